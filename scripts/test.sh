#!/usr/bin/env bash
# The test command (make test, .ci/run): set up, build everything (the tests run the built
# executables), then run the suite. Each test starts its own redis-server and redis-rest bridge on
# free ports and stops them itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
UPSTASH_PYTHON="$PWD/.venv/bin/python" swift test --skip-build "$@"
