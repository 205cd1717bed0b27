#!/usr/bin/env bash
# Every check, as CI runs it: lint, format, types, then the whole test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
ruff check src tests benchmarks
ruff format --check src tests benchmarks
mypy
lint-imports --no-cache
pytest "$@"
