#!/usr/bin/env bash
# Every check, as CI runs it: lint, format, types, the documentation site (mkdocs
# --strict: a broken link or anchor fails), then the test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
ruff check src tests benchmarks
ruff format --check src tests benchmarks
mypy
lint-imports --no-cache
NO_MKDOCS_2_WARNING=1 mkdocs build --strict --quiet --site-dir "${TMPDIR:-/tmp}/bookbuild-site"
pytest "$@"
