import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

// review-bench: the Swift side of make bench. Prints one JSON object.
//   review-bench queue JOBS        enqueue + claim + complete through UPSTASH_REDIS_REST_URL
//   review-bench lpush N           N single LPUSH calls through the same endpoint (the raw REST rate)
//   review-bench diff FILE…        parse + index + pack each diff, median of repeated runs
//   review-bench adversarial [RULES_BYTES GLOB_PATH_CHARS REPLY_BYTES]
//                                  what a hostile PR or peer can send: the rules reviewer on one long
//                                  line, a 20-star glob against a long path, one large reply through
//                                  UPSTASH_REDIS_REST_URL (defaults 1 MB, 4,000, 15 MB)
//   review-bench fairness [BACKLOG]  BACKLOG jobs of one installation, then one of another: its claim position
//   review-bench pacing            600 content writes of one installation reserved at once: the most in a minute and an hour
//   review-bench stats             stats and depth over queues of 0, 2,000 and 100,000 jobs (100 installations): median ms
//   review-bench wait URL TRANSPORT  one request to URL (which answers late) through TRANSPORT (ahc or urlsession):
//                                  the process's CPU seconds while it waited
//   review-bench dead-worker LEASE   a job queued and claimed with a LEASE-second lease that nobody ends: its id and deadline
//   review-bench prompts FIXTURE…  each fixture folder (pull.json, pull.diff, head/) reviewed with the
//                                  default settings: the system prompt, user prompt and schema of each model call
//   review-bench json FILE…        each JSON file parsed by JSONValue.parse (ours), Foundation's
//                                  JSONSerialization and JSONDecoder into JSONValue: median ms
//   review-bench anchor [FINDINGS LINES]
//                                  anchoring FINDINGS findings (quotes of real lines, line numbers off
//                                  by a few, a third quoting nothing) on one file of LINES added lines

/// Counts the HTTP round trips a client makes.
final class CountingTransport: HTTPTransport, Sendable {
    let inner = AsyncHTTPClientTransport.failingFast
    let count = NIOLockedValueBox(0)
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        count.withLockedValue { $0 += 1 }
        return try await inner.send(request)
    }
}

/// A review job for the bench's queues: pull request `number` of `owner/repo` in `installation`,
/// its head the number in hex (so each is a distinct job), a fixed base.
func benchJob(owner: String = "o", repo: String = "r", number: Int, installation: Int = 1, delivery: String, at time: Date = Date()) -> ReviewJob {
    ReviewJob(
        PullRequestRef(owner: owner, repo: repo, number: number, installationId: installation),
        .review(.init(head: String(format: "%040x", number), base: String(repeating: "b", count: 40))), deliveryId: delivery, enqueuedAt: time)
}

/// The anchor of the `wait` row: one plain URLSession call (libcurl under FoundationNetworking on
/// Linux), which the project used for its queue calls until this row and the ingest row showed what
/// its waiting costs. Nothing shipped uses URLSession.
struct URLSessionAnchor: HTTPTransport {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var outgoing = URLRequest(url: request.url, timeoutInterval: request.timeout)
        outgoing.httpMethod = request.method
        outgoing.httpBody = request.body
        let (body, response) = try await URLSession.shared.data(for: outgoing)
        return HTTPResponse(status: (response as? HTTPURLResponse)?.statusCode ?? 0, headers: [:], body: body)
    }
}

/// A model that answers every call with no findings and keeps what it was sent.
final class PromptRecorder: ChatProvider, Sendable {
    let name = "recorder"
    let model = "recorder"
    let calls = NIOLockedValueBox<[[String: String]]>([])
    func complete(system: String, user: String, schema: ResponseSchema) async throws -> ProviderAnswer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // the same text, so the same count, every run
        let schemaText = String(decoding: (try? encoder.encode(schema.schema)) ?? Data(), as: UTF8.self)
        calls.withLockedValue { $0.append(["system": system, "user": user, "schema": schemaText]) }
        return ProviderAnswer(text: #"{"summary":"","changes":[],"findings":[]}"#, stop: .complete, usage: ModelUsage())
    }
}

func emit(_ object: [String: Any]) {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

/// Wall time of a synchronous body (no suspension point, so no executor hop is timed).
func secondsSync(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try await body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let arguments = Array(CommandLine.arguments.dropFirst())
let env = EnvironmentReader()
switch arguments.first {
case "queue", "lpush":
    let redis = RedisConfig.load(env)
    try env.validate()
    let transport = CountingTransport()
    let client = redis.client(transport: transport)
    let count = Int(arguments.dropFirst().first ?? "5000") ?? 5000
    if arguments.first == "lpush" {
        let elapsed = try await seconds { for n in 0..<count { _ = try await client.send(["LPUSH", "bench:list", String(n)]) } }
        emit(["calls": count, "seconds": elapsed, "callsPerSecond": Double(count) / elapsed])
    } else {
        var settings = QueueSettings()
        settings.name = "bench"
        let queue = RedisJobQueue(redis: client, settings: settings)
        // Warm the script cache first so the figures are the steady state. A worker that goes on
        // working completes a job and claims the next in one step, as the drainer does.
        let warm = benchJob(number: 0, delivery: "warm")
        _ = try await queue.enqueue(warm, now: Date())
        guard case .claimed(var held) = try await queue.claim(now: Date()) else { fatalError("bench: the warm-up claim found nothing") }
        let before = transport.count.withLockedValue { $0 }
        let elapsed = try await seconds {
            for n in 1...count {
                let job = benchJob(number: n, delivery: "d\(n)")
                _ = try await queue.enqueue(job, now: Date())
                guard case (true, .claimed(let claimed)) = try await queue.completeAndClaim(held.lease, result: "{}", now: Date()) else {
                    fatalError("bench: complete-and-claim found nothing")
                }
                held = claimed
            }
        }
        let trips = transport.count.withLockedValue { $0 } - before
        emit(["jobs": count, "seconds": elapsed, "jobsPerSecond": Double(count) / elapsed, "roundTripsPerJob": Double(trips) / Double(count)])
    }
case "stats":
    // Statistics over growing queues: `depth` is O(1); `stats` grows with installations, not jobs.
    let redis = RedisConfig.load(env)
    try env.validate()
    let client = redis.client(transport: AsyncHTTPClientTransport.failingFast)
    let now = Date()
    var sizes: [[String: Any]] = []
    for size in [0, 2_000, 100_000] {
        var settings = QueueSettings()
        settings.name = "stats-\(size)"
        let queue = RedisJobQueue(redis: client, settings: settings)
        func job(_ n: Int) -> ReviewJob { benchJob(owner: "org\(n % 100)", number: n, installation: 1 + n % 100, delivery: "d\(n)", at: now) }
        if size > 0 {
            _ = try await queue.enqueue(job(0), now: now)
            try await queue.enqueueAll((1..<size).map(job), now: now)
        }
        _ = try await queue.stats(now: now)
        _ = try await queue.depth()
        var statsTimes: [Double] = [], depthTimes: [Double] = []
        for _ in 0..<21 {
            statsTimes.append(try await seconds { _ = try await queue.stats(now: now) })
            depthTimes.append(try await seconds { _ = try await queue.depth() })
        }
        let depth = try await queue.depth()
        sizes.append(["jobs": size, "unfinished": depth.unfinished, "statsMs": statsTimes.sorted()[10] * 1000, "depthMs": depthTimes.sorted()[10] * 1000])
    }
    emit(["sizes": sizes])
case "wait":
    // One call that waits for a late answer, and the CPU the process spent meanwhile.
    guard arguments.count >= 3, let url = URL(string: arguments[1]) else { fatalError("review-bench wait URL ahc|urlsession") }
    let transport: any HTTPTransport = arguments[2] == "ahc" ? AsyncHTTPClientTransport() : URLSessionAnchor()
    func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
    let before = cpuSeconds()
    let wall = try await seconds { _ = try await transport.send(HTTPRequest(method: "POST", url: url, body: Data("{}".utf8), timeout: 600)) }
    emit(["transport": arguments[2], "wallSeconds": wall, "cpuSeconds": cpuSeconds() - before])
case "dead-worker":
    // A worker that claims a job and dies: nobody completes it, heartbeats it or gives it back.
    let redis = RedisConfig.load(env)
    var settings = QueueSettings.load(env)
    try env.validate()
    settings.lease = Double(arguments.dropFirst().first ?? "5") ?? 5
    let queue = RedisJobQueue(redis: redis.client(transport: AsyncHTTPClientTransport.failingFast), settings: settings)
    let job = benchJob(repo: "dead", number: 1, delivery: "dead-worker")
    _ = try await queue.enqueue(job, now: Date())
    guard case .claimed(let claimed) = try await queue.claim(now: Date()) else { fatalError("review-bench dead-worker: nothing to claim") }
    emit(["jobId": claimed.id, "deadline": claimed.lease.deadline.timeIntervalSince1970])
case "fairness":
    // 500 jobs of installation 1, then one of installation 2: where the second's job is claimed,
    // with every worker finishing in claim order (installation 1 never runs more than its cap).
    let redis = RedisConfig.load(env)
    try env.validate()
    var settings = QueueSettings()
    settings.name = "fairness"
    let queue = RedisJobQueue(redis: redis.client(transport: AsyncHTTPClientTransport.failingFast), settings: settings)
    let backlog = Int(arguments.dropFirst().first ?? "500") ?? 500
    let now = Date()
    func job(_ pr: Int, _ installation: Int) -> ReviewJob {
        benchJob(owner: "org\(installation)", number: pr, installation: installation, delivery: "d\(installation)-\(pr)", at: now)
    }
    for pr in 1...backlog { _ = try await queue.enqueue(job(pr, 1), now: now) }
    _ = try await queue.enqueue(job(1, 2), now: now.addingTimeInterval(0.001))
    var position = 0
    var held: [Lease] = []
    var claimed = 0
    while position == 0, claimed <= backlog + 1 {
        guard case .claimed(let next) = try await queue.claim(now: now.addingTimeInterval(1)) else {
            _ = try await queue.complete(held.removeFirst(), result: "{}", now: now.addingTimeInterval(1))
            continue
        }
        claimed += 1
        held.append(next.lease)
        if next.job.repository.installationId == 2 { position = claimed }
    }
    emit(["backlog": backlog, "cap": settings.installationConcurrency, "position": position])
case "pacing":
    // 600 content writes of one installation asked for at once: the most in any minute and hour.
    let redis = RedisConfig.load(env)
    try env.validate()
    var pacer = WritePacer(redis: redis.client(transport: AsyncHTTPClientTransport.failingFast), prefix: "{pacing}:")
    pacer.gap = 0.1
    let start = Date()
    var times: [Double] = []
    for _ in 0..<600 { times.append(try await pacer.slot(installation: 1, creatingContent: true, now: start).timeIntervalSince(start)) }
    func most(_ span: Double) -> Int {
        var best = 0, first = 0
        for (last, time) in times.enumerated() {
            while time - times[first] >= span { first += 1 }
            best = max(best, last - first + 1)
        }
        return best
    }
    emit(["writes": times.count, "mostInMinute": most(60), "mostInHour": most(3600), "perMinute": pacer.perMinute, "perHour": pacer.perHour])
case "diff":
    // The whole path (parse, index, scope, pack) timed as one, and each stage on its own.
    func median(_ times: [Double]) -> Double { times.sorted()[times.count / 2] * 1000 }
    var results: [[String: Any]] = []
    for path in arguments.dropFirst() {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var total: [Double] = [], parse: [Double] = [], index: [Double] = [], scope: [Double] = [], pack: [Double] = []
        var lines = 0
        for _ in 0..<101 {
            total.append(
                secondsSync {
                    let diff = DiffParser.parse(text)
                    let hunkIndex = HunkIndex(diff)
                    _ = ReviewPlanner().plan(ReviewScope.partition(hunkIndex.diff).review)
                    lines = diff.files.reduce(0) { $0 + $1.hunks.reduce(0) { $0 + $1.lines.count } }
                })
            var diff = UnifiedDiff(files: []), hunkIndex = HunkIndex(diff), review = diff
            parse.append(secondsSync { diff = DiffParser.parse(text) })
            index.append(secondsSync { hunkIndex = HunkIndex(diff) })
            scope.append(secondsSync { review = ReviewScope.partition(hunkIndex.diff).review })
            pack.append(secondsSync { _ = ReviewPlanner().plan(review) })
        }
        results.append([
            "file": path, "bytes": text.utf8.count, "lines": lines, "medianMs": median(total),
            "parseMs": median(parse), "indexMs": median(index), "scopeMs": median(scope), "packMs": median(pack),
        ])
    }
    emit(["diffs": results])
case "prompts":
    var results: [[String: Any]] = []
    for path in arguments.dropFirst() {
        let folder = URL(fileURLWithPath: path)
        let pull = try JSONValue.parse(Data(contentsOf: folder.appendingPathComponent("pull.json")))
        let diff = DiffParser.parse(try String(contentsOf: folder.appendingPathComponent("pull.diff"), encoding: .utf8))
        let plan = ReviewPlan(diff: diff, changedByPush: nil, withoutDiff: [], config: RepoConfig())
        var heads: [String: HeadFile] = [:]
        for file in plan.diff.files {
            guard let text = try? String(contentsOf: folder.appendingPathComponent("head").appendingPathComponent(file.path), encoding: .utf8) else { continue }
            heads[file.path] = HeadFile(text: text)
        }
        let recorder = PromptRecorder()
        let llm = LLMConfig.load(EnvironmentReader([:]))
        let model = LLMReviewModel(provider: recorder, planner: ReviewPlanner(maxInputTokens: llm.maxInputTokens, maxCalls: llm.maxCalls))
        _ = try await model.review(
            ReviewInput(
                title: pull["title"]?.stringValue ?? "", body: pull["body"]?.stringValue ?? "", diff: plan.diff, heads: heads, context: RepoConfig().context))
        results.append(["fixture": folder.lastPathComponent, "headFiles": heads.count, "calls": recorder.calls.withLockedValue { $0 }])
    }
    emit(["prompts": results])
case "anchor":
    let sizes = arguments.dropFirst().compactMap { Int($0) }
    let count = sizes.count > 0 ? sizes[0] : 1_000
    let lines = sizes.count > 1 ? sizes[1] : 100_000
    // Many lines repeat (as code does), so the hash holds several positions per text.
    let body = (1...lines).map { "+let value\($0 % 5_000) = compute(\($0 % 7_000))\n" }.joined()
    let diff = DiffParser.parse("diff --git a/big.swift b/big.swift\n--- a/big.swift\n+++ b/big.swift\n@@ -0,0 +1,\(lines) @@\n" + body)
    let findings = (0..<count).map { n -> Finding in
        let line = 1 + (n * 97) % lines
        // A third found nowhere; of the rest, some copied the way the prompt shows them (prefix, cut short).
        let code = "let value\(line % 5_000) = compute(\(line % 7_000))"
        let quote =
            switch n % 6 {
            case 2, 5: "nothing like this appears"
            case 1: "+\(line) | \(code)"
            case 3: "let value\(line % 5_000) = compute(…"
            default: code
            }
        return Finding(path: "big.swift", line: line + (n % 7) - 3, quote: quote, severity: .bug, title: "t", body: "b")
    }
    var times: [Double] = []
    var anchored = 0
    for _ in 0..<5 {
        times.append(
            secondsSync {
                // A fresh index each run: its per-file hash is built inside the timing.
                let anchorer = Anchorer(index: HunkIndex(diff))
                anchored = findings.reduce(0) { total, finding in
                    if case .lines = anchorer.anchor(finding) { total + 1 } else { total }
                }
            })
    }
    let indexOnly = (0..<5).map { _ in secondsSync { _ = HunkIndex(diff).sideText(path: "big.swift", side: .right) } }.sorted()[2]
    emit(["findings": count, "lines": lines, "anchored": anchored, "medianMs": times.sorted()[2] * 1000, "indexMs": indexOnly * 1000])
case "json":
    func median(_ body: () -> Void) -> Double {
        (0..<21).map { _ in secondsSync(body) }.sorted()[10] * 1000
    }
    var results: [[String: Any]] = []
    for path in arguments.dropFirst() {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        results.append([
            "file": path, "bytes": data.count,
            "oursMs": median { _ = try? JSONValue.parse(data) },
            "jsonSerializationMs": median { _ = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) },
            "jsonDecoderMs": median { _ = try? JSONDecoder().decode(JSONValue.self, from: data) },
        ])
    }
    emit(["json": results])
case "adversarial":
    let sizes = arguments.dropFirst().compactMap { Int($0) }
    let rulesBytes = sizes.count > 0 ? sizes[0] : 1_000_000
    let globPathChars = sizes.count > 1 ? sizes[1] : 4_000
    let replyBytes = sizes.count > 2 ? sizes[2] : 15_000_000
    func medianMs(_ runs: Int, _ body: () async throws -> Void) async rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try await body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[runs / 2] * 1000
    }
    // The rules reviewer: a secret-looking assignment followed by one long run of `<`.
    let line = #"password = "abcdefgh" "# + String(repeating: "<", count: rulesBytes)
    let diffText = "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -0,0 +1 @@\n+\(line)\n"
    var findings = 0
    let rulesMs = await medianMs(3) { findings = RulesReviewer().review(DiffParser.parse(diffText)).count }
    // A 20-star include glob against a path that almost matches.
    let pattern = "src/" + String(repeating: "*a", count: 19) + "*b"
    let path = "src/" + String(repeating: "a", count: globPathChars)
    var matched = true
    let globMs = await medianMs(3) { matched = Glob.matches(pattern, path) }
    // One large LRANGE reply through the REST bridge.
    let redis = RedisConfig.load(env)
    try env.validate()
    let client = redis.client(transport: AsyncHTTPClientTransport.failingFast)
    let element = String(repeating: "r", count: 100)
    let elements = max(1, replyBytes / element.utf8.count)
    _ = try await client.send(["DEL", "bench:reply"])
    var pushed = 0
    while pushed < elements {
        let batch = min(1000, elements - pushed)
        _ = try await client.send(["RPUSH", "bench:reply"] + Array(repeating: element, count: batch))
        pushed += batch
    }
    var received = 0
    let replyMs = try await medianMs(3) {
        if case .array(let items) = try await client.send(["LRANGE", "bench:reply", "0", "-1"]) { received = items.count }
    }
    _ = try await client.send(["DEL", "bench:reply"])
    emit([
        "rules": ["lineBytes": line.utf8.count, "findings": findings, "ms": rulesMs],
        "glob": ["stars": 20, "pathChars": path.count, "matched": matched, "ms": globMs],
        "reply": ["bytes": elements * element.utf8.count, "elements": elements, "received": received, "ms": replyMs],
    ])
default:
    FileHandle.standardError.write(Data("usage: review-bench queue JOBS | lpush N | diff FILE… | adversarial [RULES_BYTES GLOB_PATH_CHARS REPLY_BYTES]\n".utf8))
    exit(2)
}
