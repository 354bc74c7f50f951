#!/usr/bin/env bash
# make bench: release build, then bench/run.py measures each figure beside its anchor (BullMQ,
# raw REST LPUSH, Python unidiff) on this machine and writes bench/results/latest.json.
# The functions are measured as they deploy: release, Swift runtime linked statically (the
# Dockerfiles' build). Needs: wrk and hyperfine (Debian; installed with apt-get as root), PyPI
# bullmq, unidiff and tiktoken (into .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
for tool in wrk hyperfine time; do
  if [ ! -x "/usr/bin/$tool" ] && ! command -v "$tool" >/dev/null 2>&1 || { [ "$tool" = time ] && [ ! -x /usr/bin/time ]; }; then
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq $tool >/dev/null; else echo "bench: install $tool (apt-get install $tool)" >&2; exit 1; fi
  fi
done
.venv/bin/python -c 'import bullmq, unidiff, tiktoken' 2>/dev/null || .venv/bin/pip install -q --disable-pip-version-check bullmq unidiff tiktoken
echo "building (release)…" >&2
swift build -c release >/dev/null
# Built in a folder of their own (a static build beside the dynamic one would rebuild both), then
# copied as the Dockerfiles copy them (build-function.sh: debug sections stripped).
for fn in webhook-ingest review-job; do
  swift build -c release --static-swift-stdlib --build-path .build-static --product "$fn" >/dev/null
  PREBUILT_BIN_DIR="$(swift build -c release --static-swift-stdlib --build-path .build-static --show-bin-path)" \
    scripts/build-function.sh "$fn" .build-static/deployed release >/dev/null
done
exec .venv/bin/python bench/run.py "$(swift build -c release --show-bin-path)" "$PWD/.build-static/deployed" "$@"
