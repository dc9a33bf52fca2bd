#!/usr/bin/env bash
# The test suite, from a fresh checkout: sets up .venv, then runs every test (slow and model tests included).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ruff check regioqa tests models benchmarks evals
python -m pytest -q "$@"
