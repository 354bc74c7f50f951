"""Checks redis-rest with Upstash's official Python client (PyPI upstash-redis).

Usage: python upstash_client_check.py URL TOKEN
Prints one line per check and exits non-zero on the first failure.
"""
import sys

from upstash_redis import Redis
from upstash_redis.errors import UpstashError


def check(name, got, want):
    if got != want:
        print(f"FAIL {name}: got {got!r}, want {want!r}")
        sys.exit(1)
    print(f"ok   {name}")


def main():
    url, token = sys.argv[1], sys.argv[2]
    for encoding in ("base64", None):
        redis = Redis(url=url, token=token, rest_encoding=encoding, rest_retries=0, allow_telemetry=False)
        label = encoding or "plain"
        check(f"{label}: set", redis.set("greeting", "héllo wörld"), True)
        check(f"{label}: get", redis.get("greeting"), "héllo wörld")
        check(f"{label}: get missing", redis.get("no-such-key"), None)
        check(f"{label}: incr", redis.incr("counter"), 1 if encoding else 2)

        pipeline = redis.pipeline()
        pipeline.set("p1", "one")
        pipeline.incrby("p2", 5)
        pipeline.get("p1")
        pipeline.lpush("list", "a", "b")
        check(f"{label}: pipeline", pipeline.exec(), [True, 5 if encoding else 10, "one", 2 if encoding else 4])

        transaction = redis.multi()
        transaction.set("t1", "x")
        transaction.append("t1", "y")
        transaction.get("t1")
        check(f"{label}: multi-exec", transaction.exec(), [True, 2, "xy"])

        script = "return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}"
        first = redis.eval(script, keys=["evalkey"], args=["arg"])
        check(f"{label}: eval", first[:2], ["evalkey", "arg"])
        sha = redis.script_load(script)
        check(f"{label}: evalsha", redis.evalsha(sha, keys=["evalkey"], args=["arg"])[:2], ["evalkey", "arg"])

        try:
            redis.lpush("greeting", "x")
            check(f"{label}: error reply", "no error", "WRONGTYPE")
        except UpstashError as error:
            check(f"{label}: error reply", str(error).split(" ")[0], "WRONGTYPE")

    # Read-your-writes: the client keeps the Upstash-Sync-Token of each answer and sends it back.
    ryw = Redis(url=url, token=token, rest_retries=0, allow_telemetry=False)
    ryw.get("ryw")
    start = ryw._sync_token
    check("sync token: every answer carries one", start != "", True)
    ryw.set("ryw", "1")
    after_set = ryw._sync_token
    check("sync token: a write moves it", after_set != start, True)
    ryw.get("ryw")
    check("sync token: a read keeps it", ryw._sync_token, after_set)
    pipeline = ryw.pipeline()
    pipeline.set("ryw", "2")
    pipeline.get("ryw")
    pipeline.exec()
    after_pipeline = ryw._sync_token
    check("sync token: a pipeline with a write moves it", after_pipeline != after_set, True)
    transaction = ryw.multi()
    transaction.incr("ryw")
    transaction.exec()
    after_multi = ryw._sync_token
    check("sync token: multi-exec moves it", after_multi != after_pipeline, True)
    ryw.eval("return redis.call('SET', KEYS[1], ARGV[1])", keys=["ryw"], args=["4"])
    after_eval = ryw._sync_token
    check("sync token: a script moves it", after_eval != after_multi, True)
    sha = ryw.script_load("return redis.call('INCR', KEYS[1])")
    ryw.evalsha(sha, keys=["ryw"])
    check("sync token: evalsha moves it", ryw._sync_token != after_eval, True)
    check("sync token: read your writes", ryw.get("ryw"), "5")
    # A second client handed the first one's token reads what it wrote.
    other = Redis(url=url, token=token, rest_retries=0, allow_telemetry=False)
    other._sync_token = ryw._sync_token
    check("sync token: honoured from another client", other.get("ryw"), "5")
    off = Redis(url=url, token=token, rest_retries=0, allow_telemetry=False, read_your_writes=False)
    off.set("ryw-off", "x")
    check("sync token: not kept with read_your_writes off", off._sync_token, "")

    wrong = Redis(url=url, token="wrong-" + token, rest_retries=0, allow_telemetry=False)
    try:
        wrong.get("greeting")
        check("wrong token", "accepted", "Unauthorized")
    except UpstashError as error:
        check("wrong token", str(error), "Unauthorized")


main()
