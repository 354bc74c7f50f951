#!/usr/bin/env bash
# Builds one function executable and copies it to OUT_DIR — the step every Dockerfile runs, and the
# one the tests run (in debug, which is fast). Usage: build-function.sh NAME OUT_DIR [release|debug]
# Release builds link the Swift runtime statically (--static-swift-stdlib): the runtime image needs
# only ca-certificates (no function uses FoundationNetworking, so nothing needs libcurl). A release
# copy loses its DWARF debug sections (`strip --strip-debug`: 169 → 109 MB for webhook-ingest, less
# for the image to pull on a cold start); its symbols stay, so a crash's backtrace still names functions.
set -euo pipefail
NAME="${1:?usage: build-function.sh NAME OUT_DIR [release|debug]}"
OUT="${2:?usage: build-function.sh NAME OUT_DIR [release|debug]}"
MODE="${3:-release}"
cd "$(dirname "$0")/.."
case "$NAME" in webhook-ingest|review-job) ;; *) echo "build-function: unknown function $NAME" >&2; exit 2 ;; esac
# PREBUILT_BIN_DIR: take the executable from an earlier build (the tests do: SwiftPM's build lock is
# held while they run).
if [ -n "${PREBUILT_BIN_DIR:-}" ]; then
  BIN="$PREBUILT_BIN_DIR"
elif [ "$MODE" = release ]; then
  swift build -c release --static-swift-stdlib --product "$NAME"
  BIN="$(swift build -c release --show-bin-path)"
else
  swift build --product "$NAME"
  BIN="$(swift build --show-bin-path)"
fi
[ -x "$BIN/$NAME" ] || { echo "build-function: $BIN/$NAME was not built" >&2; exit 1; }
mkdir -p "$OUT"
cp "$BIN/$NAME" "$OUT/$NAME"
if [ "$MODE" = release ]; then strip --strip-debug "$OUT/$NAME"; fi
echo "$OUT/$NAME"
