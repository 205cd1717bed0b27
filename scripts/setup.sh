#!/usr/bin/env bash
# Idempotent set-up: Debian packages (fonts with Hangul, poppler-utils, epubcheck, HarfBuzz subsetting)
# and a virtual environment with bookbuild installed in editable mode. Skips what is already done.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
debs=(fonts-noto-cjk fonts-noto-core fonts-nanum poppler-utils epubcheck libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 libgs-common chromium bash zsh fish)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
stamp=".venv/.bookbuild-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Python packages into .venv" >&2
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >&2
  .venv/bin/python -m pip install -q -e ".[dev,docs]" >&2
  echo "$want" > "$stamp"
fi
