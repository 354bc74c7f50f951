#!/usr/bin/env bash
# Installs what the tests and the demo need and is a no-op when it is all there:
# redis-server (Debian package; installed with apt-get when running as root) and a Python venv in
# .venv holding Upstash's official client (PyPI upstash-redis), used to check redis-rest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: swift not found; install Swift 6.2 or newer (https://www.swift.org/install/)" >&2
  exit 1
fi

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing redis-server with apt-get" >&2
    apt-get install -y -qq redis-server >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq redis-server >/dev/null; }
  else
    echo "setup: redis-server not found; install it (Debian/Ubuntu: sudo apt-get install redis-server, macOS: brew install redis)" >&2
    exit 1
  fi
fi

if ! .venv/bin/python -c 'import upstash_redis' >/dev/null 2>&1; then
  echo "setup: creating .venv with upstash-redis" >&2
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check upstash-redis
fi
