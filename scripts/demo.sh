#!/usr/bin/env bash
# The demo: a real GitHub pull_request webhook (a fixture) signed, sent through the built
# webhook-ingest binary into a real redis-server behind redis-rest, then drained by review-job.
# Everything it starts is stopped on exit. PR=<fixture> picks the webhook payload file.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "building…" >&2
swift build -c release --product webhook-ingest >/dev/null
swift build -c release --product review-job >/dev/null
swift build -c release --product redis-rest >/dev/null
swift build -c release --product reviewctl >/dev/null
BIN="$(swift build -c release --show-bin-path)"
FIXTURES="${FIXTURES_DIR:-$(cd .. && pwd)/shared/fixtures}"
WEBHOOK="${WEBHOOK:-$FIXTURES/github-webhooks/pull_request/opened.payload.json}"

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT

redis-server --port 0 --unixsocket "$WORK/redis.sock" --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
until redis-cli -s "$WORK/redis.sock" ping >/dev/null 2>&1; do
  kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$WORK/redis.log" >&2; exit 1; }
done
TOKEN="demo-$RANDOM$RANDOM"
mkfifo "$WORK/rest.out"
REDIS_URL="unix://$WORK/redis.sock" REDIS_REST_TOKEN="$TOKEN" PORT=0 "$BIN/redis-rest" >"$WORK/rest.out" &
PIDS+=($!)
read -r LINE <"$WORK/rest.out"
export UPSTASH_REDIS_REST_URL="${LINE##* }" UPSTASH_REDIS_REST_TOKEN="$TOKEN"
export GITHUB_WEBHOOK_SECRET="demo-webhook-secret" QUEUE_NAME="demo"
echo "redis-server + redis-rest at $UPSTASH_REDIS_REST_URL" >&2

# Sign the fixture's exact bytes as GitHub would and wrap them in a Function URL event.
python3 - "$WEBHOOK" "$GITHUB_WEBHOOK_SECRET" >"$WORK/event.json" <<'PY'
import base64, hashlib, hmac, json, sys, uuid
body = open(sys.argv[1], "rb").read()
signature = "sha256=" + hmac.new(sys.argv[2].encode(), body, hashlib.sha256).hexdigest()
print(json.dumps({"version": "2.0", "isBase64Encoded": True, "body": base64.b64encode(body).decode(),
                  "headers": {"x-github-event": "pull_request", "x-github-delivery": str(uuid.uuid4()),
                              "x-hub-signature-256": signature, "content-type": "application/json"}}))
PY

echo; echo "== webhook-ingest (stdin → Function URL response)"
"$BIN/webhook-ingest" <"$WORK/event.json" 2>"$WORK/ingest.log"
echo; echo "== the same delivery again"
"$BIN/webhook-ingest" <"$WORK/event.json" 2>>"$WORK/ingest.log"
echo; echo "== queue"
"$BIN/reviewctl" queue stats
echo; echo "== review-job drain"
"$BIN/review-job" drain 2>"$WORK/review.log"
echo; echo "== queue after the drain"
"$BIN/reviewctl" queue stats
