#!/usr/bin/env bash
# Install bookbuild for an author (not a developer: see ./dev.sh for that), from a clone:
#   scripts/install.sh [--no-apt] [--no-pipx] [--wheel] [--dry-run]
# 1. the Debian packages it needs, with one apt-get command (sudo when not root);
# 2. bookbuild itself with pipx (its own environment, `bookbuild` in ~/.local/bin), or without
#    pipx a virtual environment in ~/.local/share/bookbuild/venv linked from ~/.local/bin;
# 3. `bookbuild --version` to show it works.
# --wheel builds a wheel first (pip wheel) and installs that; --no-pipx uses the venv even when
# pipx is there; --dry-run prints every command and runs none.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

apt=1 pipx=1 wheel=0 dry=0
for arg in "$@"; do
  case "$arg" in
    --no-apt) apt=0 ;;
    --no-pipx) pipx=0 ;;
    --wheel) wheel=1 ;;
    --dry-run) dry=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

# What bookbuild needs at run time: Python with venv, pipx, fonts covering Latin and Korean,
# Pango + HarfBuzz for WeasyPrint (the PDF), poppler-utils (PDF pages to pictures).
debs=(python3 python3-venv python3-pip pipx fonts-noto-cjk fonts-noto-core fonts-nanum
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils)
bin_dir="${BOOKBUILD_BIN_DIR:-$HOME/.local/bin}"
venv_dir="${BOOKBUILD_VENV_DIR:-$HOME/.local/share/bookbuild/venv}"

run() {
  echo "+ $*" >&2
  [ "$dry" -eq 1 ] || "$@"
}

missing_debs() {
  local p
  for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

install_debs() {
  local missing sudo_cmd=()
  mapfile -t missing < <(missing_debs)
  if [ ${#missing[@]} -eq 0 ]; then
    echo "install.sh: Debian packages already installed" >&2
    return
  fi
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  echo "install.sh: installing Debian packages: ${missing[*]}" >&2
  run "${sudo_cmd[@]}" apt-get update -qq
  run "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# What to install: this clone, or a wheel built from it.
target() {
  if [ "$wheel" -eq 0 ]; then
    echo "$root"
    return
  fi
  local out="$root/build/wheel"
  run rm -rf "$out"
  run python3 -m pip wheel --no-deps --wheel-dir "$out" "$root" >&2
  if [ "$dry" -eq 1 ]; then echo "$out/bookbuild-VERSION-py3-none-any.whl"; else ls "$out"/*.whl; fi
}

install_bookbuild() {
  local what
  what="$(target)"
  local use_pipx=0
  if [ "$pipx" -eq 0 ]; then
    use_pipx=0
  elif command -v pipx >/dev/null 2>&1; then
    use_pipx=1
  elif [ "$dry" -eq 1 ] && [ "$apt" -eq 1 ]; then
    use_pipx=1  # apt-get would have installed it
  fi
  if [ "$use_pipx" -eq 1 ]; then
    run pipx install --force "$what"
    return
  fi
  echo "install.sh: without pipx: installing into $venv_dir" >&2
  run python3 -m venv "$venv_dir"
  run "$venv_dir/bin/python" -m pip install -q --upgrade pip
  run "$venv_dir/bin/python" -m pip install -q "$what"
  run mkdir -p "$bin_dir"
  run ln -sf "$venv_dir/bin/bookbuild" "$bin_dir/bookbuild"
}

[ "$apt" -eq 1 ] && install_debs
install_bookbuild
if [ "$dry" -eq 0 ]; then
  if ! command -v bookbuild >/dev/null 2>&1; then
    echo "install.sh: $bin_dir is not on your PATH: run \`pipx ensurepath\` (or add it to PATH)" \
      "and open a new shell" >&2
    "$bin_dir/bookbuild" --version
  else
    bookbuild --version
  fi
  echo "install.sh: done. Next: bookbuild init my-book --template picture-book &&" \
    "bookbuild make my-book --draft" >&2
fi
