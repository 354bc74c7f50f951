"""make bench, part 9: serverless at scale (issue #24). Called by run.py with its helpers.

- CPU a process spends while one call waits 30 s for a late answer: the long calls' transport
  (AsyncHTTPClient) beside URLSession.
- A 1,000-delivery burst through webhook-ingest serve, with kicks to one review-job serve
  (DRAIN_CONCURRENCY=2) and without: ingest's p99, and the most jobs that process ran at once
  (counted by the record sink the jobs post to).
- A worker that died holding a job, with nothing else arriving: seconds from its lease's end to
  the job being taken (serve mode's timer).
- stats and depth over queues of 0, 2,000 and 100,000 jobs.
- Genuine deliveries while a stranger holds unfinished 24 MiB bodies.
"""
import hashlib, hmac, http.client, json, os, socket, subprocess, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(answer):
    """A loopback HTTP server (TCP_NODELAY: URLSession otherwise stalls 40 ms a request) that calls
    `answer(body)` for each POST and replies `{}`. Returns its URL."""

    class Handler(BaseHTTPRequestHandler):
        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self):
            answer(self.rfile.read(int(self.headers.get("content-length", 0))))
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


class Sink:
    """The record endpoint review-job posts each job to: counts jobs at once, keeps arrivals."""

    def __init__(self, delay):
        self.lock = threading.Lock()
        self.now = self.most = 0
        self.arrivals = []
        self.delay = delay
        self.url = serve(self.record)

    def record(self, body):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.delay)
        with self.lock:
            self.now -= 1
            self.arrivals.append((time.time(), json.loads(body)))


class Late:
    """Answers every request after `seconds`."""

    def __init__(self, seconds):
        self.url = serve(lambda body: time.sleep(seconds))


def wait_for_port(port):
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)


def post(port, path, body, headers, timeout=60):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.perf_counter() - started


def burst(port, secret, payload, count, threads, first):
    """`count` signed deliveries of distinct pull requests, `threads` at once: (statuses, latencies s)."""
    template = json.loads(payload)
    results = []
    lock = threading.Lock()
    numbers = iter(range(first, first + count))

    def worker():
        while True:
            with lock:
                n = next(numbers, None)
            if n is None:
                return
            event = json.loads(json.dumps(template))
            event["number"] = event["pull_request"]["number"] = n
            event["pull_request"]["head"]["sha"] = f"{n:040x}"
            body = json.dumps(event).encode()
            signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            status, seconds = post(port, "/", body, {"content-type": "application/json", "x-github-event": "pull_request",
                                                     "x-github-delivery": f"burst-{n}", "x-hub-signature-256": signature})
            with lock:
                results.append((status, seconds))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return [s for s, _ in results], sorted(t for _, t in results)


def percentile(values, p):
    return values[min(len(values) - 1, int(len(values) * p / 100))] * 1000


def measure(BIN, FUNCTIONS, ENV, FIXTURES, start, free_port, bench):
    out = {}
    # CPU while a call waits 30 s (URLSession over 10 s, scaled to 30).
    late30, late10 = Late(30), Late(10)
    ahc = bench(["wait", late30.url, "ahc"])
    urlsession = bench(["wait", late10.url, "urlsession"])
    out["wait"] = {"seconds": 30, "ahcCpuSeconds": ahc["cpuSeconds"], "urlsessionCpuSecondsPer30s": urlsession["cpuSeconds"] * 3}

    # The burst, without kicks and then with them.
    secret, token = "bench-secret", "bench-kick-token"
    payload = open(os.path.join(FIXTURES, "github-webhooks/pull_request/opened.payload.json"), "rb").read()
    sink = Sink(0.05)
    job_port = free_port()
    start([f"{FUNCTIONS}/review-job", "serve"], {**ENV, "REVIEW_RECORD_URL": sink.url, "DRAIN_CONCURRENCY": "2", "QUEUE_NAME": "burst",
                                               "PORT": str(job_port), "HOST": "127.0.0.1", "REVIEW_JOB_KICK_TOKEN": token, "LOG_LEVEL": "error",
                                               "DRAIN_MAX_SECONDS": "900"})
    wait_for_port(job_port)
    plain_port, kick_port = free_port(), free_port()
    common = {**ENV, "GITHUB_WEBHOOK_SECRET": secret, "LOG_LEVEL": "error"}
    start([f"{FUNCTIONS}/webhook-ingest", "serve"], {**common, "PORT": str(plain_port), "QUEUE_NAME": "burst-nokick"})
    start([f"{FUNCTIONS}/webhook-ingest", "serve"], {**common, "PORT": str(kick_port), "QUEUE_NAME": "burst",
                                                    "REVIEW_JOB_KICK": f"http://127.0.0.1:{job_port}/", "REVIEW_JOB_KICK_TOKEN": token})
    wait_for_port(plain_port)
    wait_for_port(kick_port)
    plain_statuses, plain = burst(plain_port, secret, payload, 1000, 16, 100_000)
    kick_statuses, kicked = burst(kick_port, secret, payload, 1000, 16, 200_000)
    deadline = time.time() + 300
    while len(sink.arrivals) < 1000 and time.time() < deadline:
        time.sleep(0.2)
    out["burst"] = {"deliveries": 1000, "plainP99Ms": percentile(plain, 99), "kickP99Ms": percentile(kicked, 99),
                    "plain202": plain_statuses.count(202), "kick202": kick_statuses.count(202),
                    "jobsDone": len(sink.arrivals), "mostJobsAtOnce": sink.most, "drainConcurrency": 2}

    # A worker died holding a job; nothing else arrives.
    dead = json.loads(subprocess.run([f"{BIN}/review-bench", "dead-worker", "5"], env={**os.environ, **ENV, "QUEUE_NAME": "burst"},
                                     capture_output=True, text=True, check=True).stdout)
    seen = len(sink.arrivals)
    post(job_port, "/", b'{"action":"drain"}', {"content-type": "application/json", "authorization": f"Bearer {token}"})
    deadline = time.time() + 120
    picked = None
    while picked is None and time.time() < deadline:
        picked = next((at for at, job in sink.arrivals[seen:] if job.get("repo") == "dead"), None)
        time.sleep(0.05)
    out["leaseExpiry"] = {"leaseSeconds": 5, "pickupSeconds": None if picked is None else picked - dead["deadline"]}

    # stats and depth over growing queues.
    out["stats"] = bench(["stats"])["sizes"]

    # A stranger holds unfinished bodies (through a proxy of ours naming it), genuine deliveries arrive.
    strangers = []
    for _ in range(4):
        s = socket.create_connection(("127.0.0.1", plain_port))
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 26214399\r\n\r\n")
        try:
            s.sendall(b"x" * (24 * 1024 * 1024))
        except OSError:
            pass  # refused past its share: the server answered and closed
        strangers.append(s)
    genuine = []
    for n in range(8):
        event = json.loads(payload)
        event["number"] = event["pull_request"]["number"] = 300_000 + n
        event["pull_request"]["head"]["sha"] = f"{300_000 + n:040x}"
        body = json.dumps(event).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        status, _ = post(plain_port, "/", body, {"content-type": "application/json", "x-github-event": "pull_request", "x-forwarded-for": "140.82.115.1",
                                                 "x-github-delivery": f"genuine-{n}", "x-hub-signature-256": signature})
        genuine.append(status)
    for s in strangers:
        s.close()
    out["blackout"] = {"strangers": 4, "genuine": 8, "genuine202": genuine.count(202)}
    return out
