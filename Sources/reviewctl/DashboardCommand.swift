import ArgumentParser
import Foundation
import ReviewCore
import ReviewRuntime

/// `reviewctl dashboard`: the queue on one page, live, with retry and purge — on 127.0.0.1 only,
/// and only for whoever holds the token in the printed link.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve a live page of the queue on 127.0.0.1: counts per state, jobs with their errors and attempts, retry and purge.",
        discussion: """
            The printed link carries a one-off token (in the URL's fragment, which never leaves the browser); every \
            call the page makes sends it as a bearer token, and requests naming another host are refused.
            """
    )

    @OptionGroup var queueOptions: QueueOptions
    @Option(help: "Port on 127.0.0.1 (0 picks a free one).") var port = 8090

    func run() async throws {
        let queue = try queueOptions.open()
        let token = HTTPAccess.newToken()
        let nonce = HTTPAccess.newToken()
        let server = try await HTTPServer.start(host: "127.0.0.1", port: port) { request in
            await Dashboard(queue: queue, token: token, nonce: nonce).answer(request)
        }
        FileHandle.standardError.write(
            Data("reviewctl dashboard: open http://127.0.0.1:\(server.port)/#token=\(token) (serving on 127.0.0.1:\(server.port))\n".utf8))
        await server.waitUntilClosed()
    }
}

/// The dashboard's page and its small JSON API.
struct Dashboard: Sendable {
    let queue: RedisJobQueue
    let token: String
    let nonce: String

    struct State: Encodable {
        let stats: QueueStats
        let scheduled: [JobRecord]
        let failed: [JobRecord]
    }

    func answer(_ request: HTTPRequest) async -> HTTPResponse {
        guard HTTPAccess.namesThisMachine(hostHeader: request.header("host")) else {
            return ErrorAnswer(ReviewError(.unauthorized, "this dashboard answers requests for 127.0.0.1 only")).http
        }
        if request.method == "GET", request.url.path == "/" { return page }
        guard request.url.path.hasPrefix("/api/") else { return ErrorAnswer(ReviewError(.badInput, "no such page")).http }
        guard HTTPAccess.bearer(request.header("authorization"), matches: token) else {
            return ErrorAnswer(ReviewError(.unauthorized, "the dashboard's token is missing or wrong: open the link it printed")).http
        }
        do {
            let now = Date()
            switch (request.method, request.url.path) {
            case ("GET", "/api/state"):
                let state = State(
                    stats: try await queue.stats(now: now), scheduled: try await queue.scheduledJobs(limit: 100, now: now),
                    failed: try await queue.failedJobs(limit: 100))
                return .json(200, try JSONEncoder.iso.encode(state))
            case ("POST", "/api/retry"):
                let ids = (try? JSONDecoder().decode([String: [String]].self, from: request.body))?["ids"] ?? []
                let moved = try await queue.retryFailed(ids: ids, now: now)
                return .json(200, try JSONEncoder.iso.encode(["retried": moved]))
            case ("POST", "/api/purge"):
                let removed = try await queue.purgeCompleted(keep: 0, now: now)
                return .json(200, try JSONEncoder.iso.encode(["purged": removed]))
            default:
                return ErrorAnswer(ReviewError(.methodNotAllowed, "\(request.method) \(request.url.path) is not part of the dashboard")).http
            }
        } catch {
            return ErrorAnswer(error).http
        }
    }

    /// One static page: everything shown comes from the API and is set as text, never as markup.
    var page: HTTPResponse {
        .html(
            200, Self.html(nonce: nonce),
            contentSecurityPolicy: "default-src 'none'; connect-src 'self'; style-src 'nonce-\(nonce)'; script-src 'nonce-\(nonce)'")
    }

    static func html(nonce: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>pr-review queue</title>
        <style nonce="\(nonce)">
        body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1f2328}
        h1{font-size:20px;margin:0 0 .8em} h2{font-size:16px;margin:1.6em 0 .5em}
        .counts{display:flex;gap:.8em;flex-wrap:wrap}
        .count{border:1px solid #d0d7de;border-radius:6px;padding:.5em .9em;min-width:6em}
        .count b{display:block;font-size:22px}
        table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:.35em .6em;border-bottom:1px solid #d8dee4;vertical-align:top}
        th{font-weight:600;background:#f6f8fa} td.error{color:#a40e26;white-space:pre-wrap;word-break:break-word;max-width:40em}
        button{font:inherit;padding:.25em .8em;border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa;cursor:pointer}
        button.primary{background:#1f883d;color:#fff;border-color:#1a7f37} #status{color:#59636e;margin-left:1em}
        .empty{color:#59636e}
        </style></head><body>
        <h1>pr-review queue <span id="status">loading…</span></h1>
        <div class="counts" id="counts"></div>
        <h2>Waiting, delayed and running</h2><div id="scheduled"></div>
        <h2>Failed <button id="retry-all" class="primary">Retry all failed</button> <button id="purge">Purge completed</button></h2><div id="failed"></div>
        <script nonce="\(nonce)">
        const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
        const headers = {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'};
        // Job ids are percent-encoded to be safe as Redis keys; people read them decoded (as text: textContent).
        function shown(id) { try { return decodeURIComponent(id); } catch (e) { return id; } }
        function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; }
        function pr(job) { return job && job.job ? job.job.owner + '/' + job.job.repo + '#' + job.job.prNumber : ''; }
        function when(text) { return text ? new Date(text).toLocaleString() : ''; }
        function table(target, jobs, columns, action) {
          target.replaceChildren();
          if (jobs.length === 0) { const p = document.createElement('p'); p.className = 'empty'; p.textContent = 'none'; target.append(p); return; }
          const t = document.createElement('table'); const head = t.createTHead().insertRow();
          for (const name of columns.map(c => c[0]).concat(action ? [''] : [])) { const th = document.createElement('th'); th.textContent = name; head.append(th); }
          const body = t.createTBody();
          for (const job of jobs) {
            const row = body.insertRow(); row.dataset.job = job.id;
            for (const [, value, cls] of columns) cell(row, value(job), cls);
            if (action) { const td = row.insertCell(); const b = document.createElement('button'); b.textContent = action[0]; b.dataset.retry = job.id; b.onclick = () => action[1](job); td.append(b); }
          }
          target.append(t);
        }
        async function post(path, body) {
          const answer = await fetch(path, {method: 'POST', headers, body: JSON.stringify(body || {})});
          if (!answer.ok) throw new Error((await answer.json()).error.message);
          await refresh();
        }
        async function refresh() {
          try {
            const answer = await fetch('/api/state', {headers});
            const state = await answer.json();
            if (!answer.ok) throw new Error(state.error.message);
            const counts = document.getElementById('counts'); counts.replaceChildren();
            for (const name of ['waiting', 'delayed', 'active', 'failed', 'completed']) {
              const box = document.createElement('div'); box.className = 'count'; box.id = 'count-' + name;
              const b = document.createElement('b'); b.textContent = state.stats[name]; box.append(b, document.createTextNode(name)); counts.append(box);
            }
            table(document.getElementById('scheduled'), state.scheduled,
              [['job', j => shown(j.id)], ['pull request', pr], ['state', j => j.state], ['attempts', j => String(j.attemptsSpent)],
               ['due / lease until', j => when(j.scheduledAt)], ['last error', j => j.lastError || '', 'error']]);
            table(document.getElementById('failed'), state.failed,
              [['job', j => shown(j.id)], ['pull request', pr], ['attempts', j => String(j.attemptsSpent)], ['failed at', j => when(j.finishedAt)], ['error', j => j.error || '', 'error']],
              ['Retry', job => post('/api/retry', {ids: [job.id]})]);
            document.getElementById('status').textContent = 'updated ' + new Date().toLocaleTimeString();
          } catch (error) { document.getElementById('status').textContent = error.message; }
        }
        document.getElementById('retry-all').onclick = () => post('/api/retry', {ids: []});
        document.getElementById('purge').onclick = () => post('/api/purge');
        refresh(); setInterval(refresh, 3000);
        </script></body></html>
        """
    }
}
