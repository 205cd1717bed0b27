#!/usr/bin/env bash
# One entry point for developers and CI: installs what bookbuild needs (Debian packages, a venv),
# then runs a command inside it.
#   ./dev.sh bookbuild make sample_books/hare-and-tortoise --draft
#   ./dev.sh test            # ruff, mypy and the whole pytest suite
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
"$root/scripts/setup.sh"
# shellcheck disable=SC1091
source "$root/.venv/bin/activate"
case "${1:-}" in
  test) shift; exec "$root/scripts/test.sh" "$@" ;;
  "") echo "usage: ./dev.sh test | ./dev.sh COMMAND [ARGS...]" >&2; exit 2 ;;
  *) exec "$@" ;;
esac
