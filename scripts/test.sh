#!/usr/bin/env bash
# The test command (make test, .ci/run): set up, build everything (the tests run the built
# executables), then run the suite. Each test starts its own redis-server and redis-rest bridge on
# free ports and stops them itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The house format (.swift-format), checked when the toolchain has swift-format.
if swift format --version >/dev/null 2>&1; then
  swift format lint --strict -r Sources Tests || { echo "test: run 'swift format format -i -r Sources Tests'" >&2; exit 1; }
fi
swift build --build-tests
UPSTASH_PYTHON="$PWD/.venv/bin/python" swift test --skip-build "$@"
