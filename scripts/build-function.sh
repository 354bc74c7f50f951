#!/usr/bin/env bash
# Builds one function executable and copies it to OUT_DIR — the step every Dockerfile runs, and the
# one the tests run (in debug, which is fast). Usage: build-function.sh NAME OUT_DIR [release|debug]
# Release builds link the Swift runtime statically (--static-swift-stdlib): the runtime image needs
# only libcurl4 and ca-certificates.
set -euo pipefail
NAME="${1:?usage: build-function.sh NAME OUT_DIR [release|debug]}"
OUT="${2:?usage: build-function.sh NAME OUT_DIR [release|debug]}"
MODE="${3:-release}"
cd "$(dirname "$0")/.."
case "$NAME" in webhook-ingest|review-job) ;; *) echo "build-function: unknown function $NAME" >&2; exit 2 ;; esac
if [ "$MODE" = release ]; then
  swift build -c release --static-swift-stdlib --product "$NAME"
else
  swift build --product "$NAME"
fi
mkdir -p "$OUT"
cp "$(swift build -c "$MODE" --show-bin-path)/$NAME" "$OUT/$NAME"
echo "$OUT/$NAME"
