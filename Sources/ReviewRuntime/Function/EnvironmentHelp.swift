/// Every environment variable the executables read, with who reads it and what it does: the one
/// list `--help` prints from (a test checks it names every variable the code reads).
public enum EnvironmentHelp {
    public enum Reader: Sendable { case ingest, reviewJob, redisREST, reviewctl }

    public struct Variable: Sendable {
        public let name: String
        public let readers: Set<Reader>
        public let text: String
    }

    static let functions: Set<Reader> = [.ingest, .reviewJob]
    static let queueUsers: Set<Reader> = [.ingest, .reviewJob, .reviewctl]

    public static let all: [Variable] = [
        Variable(name: "GITHUB_WEBHOOK_SECRET", readers: [.ingest], text: "required: the App's webhook secret"),
        Variable(name: "GITHUB_WEBHOOK_SECRET_PREVIOUS", readers: [.ingest], text: "the old secret, also accepted while rotating"),
        Variable(name: "WEBHOOK_MAX_BODY_BYTES", readers: [.ingest], text: "largest delivery taken (default 26214400, GitHub's cap)"),
        Variable(name: "REVIEW_DRAFTS", readers: [.ingest], text: "review draft pull requests (default false)"),
        Variable(name: "REVIEW_BOT_SENDERS", readers: [.ingest], text: "review pushes by bots (default false)"),
        Variable(name: "REVIEW_COMMAND_ASSOCIATIONS", readers: [.ingest], text: "who may give commands (default OWNER,MEMBER,COLLABORATOR)"),
        Variable(name: "GITHUB_APP_SLUG", readers: [.ingest, .reviewJob], text: "the App's slug, for @mentions (review-job asks GET /app when unset)"),
        Variable(name: "REVIEW_JOB_KICK", readers: [.ingest], text: "wake review-job when a job is queued: lambda:FUNCTION or an http(s) URL"),
        Variable(name: "REVIEW_JOB_KICK_TOKEN", readers: functions, text: "bearer token of HTTP kicks; review-job serve requires it when set"),
        Variable(name: "REVIEW_JOB_KICK_TIMEOUT_SECONDS", readers: [.ingest], text: "how long a kick may take (default 3)"),
        Variable(name: "REVIEW_JOB_KICK_URL", readers: [.ingest], text: "cloudtasks: kick: review-job's URL, where the drain is POSTed"),
        Variable(name: "REVIEW_JOB_KICK_SERVICE_ACCOUNT", readers: [.ingest], text: "cloudtasks: kick: the account whose OIDC token calls review-job"),
        Variable(name: "AWS_REGION", readers: [.ingest, .reviewJob], text: "region of a lambda: kick or a scheduler: wake"),
        Variable(
            name: "AWS_ACCESS_KEY_ID", readers: [.ingest, .reviewJob], text: "credentials of a lambda: kick or a scheduler: wake (the runtime sets them)"),
        Variable(name: "AWS_SECRET_ACCESS_KEY", readers: [.ingest, .reviewJob], text: "the same credentials"),
        Variable(name: "AWS_SESSION_TOKEN", readers: [.ingest, .reviewJob], text: "the same credentials"),
        Variable(name: "AWS_ENDPOINT_URL_LAMBDA", readers: [.ingest], text: "another Lambda endpoint for the kick"),
        Variable(name: "UPSTASH_REDIS_REST_URL", readers: queueUsers, text: "required: the queue's Redis REST endpoint"),
        Variable(name: "UPSTASH_REDIS_REST_TOKEN", readers: queueUsers, text: "required: its token"),
        Variable(name: "REDIS_REST_TIMEOUT_SECONDS", readers: queueUsers, text: "per call (default 5)"),
        Variable(name: "QUEUE_NAME", readers: queueUsers, text: "the queue's key prefix (default reviews)"),
        Variable(name: "QUEUE_LEASE_SECONDS", readers: queueUsers, text: "how long a claim holds a job between heartbeats (default 120)"),
        Variable(name: "QUEUE_MAX_ATTEMPTS", readers: queueUsers, text: "attempts before a job fails (default 5)"),
        Variable(
            name: "QUEUE_COMMENT_JOBS_PER_AUTHOR", readers: queueUsers,
            text: "comment jobs (commands, replies) one author may queue on one pull request a day; more are ignored (default 20)"),
        Variable(
            name: "QUEUE_COMMENT_JOBS_PER_PULL_REQUEST", readers: queueUsers,
            text: "and everyone who may not command the reviewer, together (default 100)"),
        Variable(
            name: "QUEUE_INSTALLATION_CONCURRENCY", readers: queueUsers,
            text: "jobs of one installation running at once across all workers; the next claim serves another installation (default 2)"),
        Variable(name: "QUEUE_BACKOFF_BASE_SECONDS", readers: queueUsers, text: "first retry delay (default 10)"),
        Variable(name: "QUEUE_BACKOFF_CAP_SECONDS", readers: queueUsers, text: "longest retry delay (default 600)"),
        Variable(
            name: "QUEUE_LIMIT_WAIT_SECONDS", readers: queueUsers,
            text: "how long a job may wait for GitHub's or the model's rate limits in all, spending no attempt (default 21600)"),
        Variable(
            name: "QUEUE_LIMIT_SPREAD_SECONDS", readers: queueUsers,
            text: "jobs stopped by a rate limit restart spread over this long after it ends (default 60)"),
        Variable(name: "QUEUE_FAILED_RETENTION_SECONDS", readers: queueUsers, text: "how long failed jobs are kept (default 604800)"),
        Variable(name: "QUEUE_COMPLETED_KEEP", readers: queueUsers, text: "completed jobs kept (default 1000)"),
        Variable(name: "QUEUE_COMPLETED_RETENTION_SECONDS", readers: queueUsers, text: "and for how long (default 604800)"),
        Variable(name: "DRAIN_CONCURRENCY", readers: [.reviewJob], text: "jobs reviewed at once (default 2)"),
        Variable(name: "DRAIN_DEADLINE_MARGIN_SECONDS", readers: [.reviewJob], text: "no new claim this close to the deadline (default 30)"),
        Variable(name: "DRAIN_MAX_SECONDS", readers: [.reviewJob], text: "a drain's length when the platform gives no deadline (default 300)"),
        Variable(name: "DRAIN_WAIT_SECONDS", readers: [.reviewJob], text: "wait for a retry due this soon (default 120)"),
        Variable(
            name: "REVIEW_JOB_WAKE", readers: [.reviewJob],
            text: "wake a drain when work left for later falls due: scheduler:self (EventBridge Scheduler) or cloudtasks:projects/P/locations/L/queues/Q"),
        Variable(name: "REVIEW_JOB_WAKE_ROLE_ARN", readers: [.reviewJob], text: "scheduler: the role EventBridge Scheduler invokes review-job as"),
        Variable(name: "REVIEW_JOB_WAKE_URL", readers: [.reviewJob], text: "cloudtasks: review-job's URL, where the woken drain is POSTed"),
        Variable(name: "REVIEW_JOB_WAKE_SERVICE_ACCOUNT", readers: [.reviewJob], text: "cloudtasks: the account whose OIDC token calls review-job"),
        Variable(name: "AWS_ENDPOINT_URL_SCHEDULER", readers: [.reviewJob], text: "another EventBridge Scheduler endpoint"),
        Variable(
            name: "CLOUD_TASKS_API_URL", readers: [.reviewJob, .ingest], text: "another Cloud Tasks endpoint (default https://cloudtasks.googleapis.com)"),
        Variable(name: "GCE_METADATA_HOST", readers: [.reviewJob, .ingest], text: "another metadata server for the instance's token"),
        Variable(name: "REVIEW_JOB_ALLOW_UNAUTHENTICATED", readers: [.reviewJob], text: "serve off loopback without a token (the platform authenticates)"),
        Variable(name: "REVIEW_CHECK_RUNS", readers: [.reviewJob], text: "report each review as a check run (default true; needs checks: write)"),
        Variable(name: "REVIEW_RECORD_URL", readers: [.reviewJob], text: "diagnostics: POST each job to this URL instead of reviewing"),
        Variable(name: "GITHUB_APP_ID", readers: [.reviewJob, .reviewctl], text: "the App's id (or GITHUB_APP_CLIENT_ID)"),
        Variable(name: "GITHUB_APP_CLIENT_ID", readers: [.reviewJob, .reviewctl], text: "the App's client id (preferred as the JWT issuer)"),
        Variable(name: "GITHUB_APP_PRIVATE_KEY", readers: [.reviewJob, .reviewctl], text: "the App's private key, PEM (or GITHUB_APP_PRIVATE_KEY_FILE)"),
        Variable(
            name: "GITHUB_APP_PRIVATE_KEY_FILE", readers: [.reviewJob, .reviewctl],
            text: "a file holding it: any variable NAME may be given as NAME_FILE (secrets mounted as files)"),
        Variable(name: "GITHUB_API_URL", readers: [.reviewJob, .reviewctl], text: "default https://api.github.com (Enterprise: https://HOST/api/v3)"),
        Variable(
            name: "HEAD_FILES_MAX", readers: [.reviewJob],
            text: "changed files read whole at the head per job, for the context around hunks (default 40)"),
        Variable(
            name: "HEAD_FILES_MAX_BYTES", readers: [.reviewJob],
            text: "bytes of head files read per job; a file over 1 MB is never downloaded (default 4000000)"),
        Variable(
            name: "GITHUB_WRITE_GAP_SECONDS", readers: [.reviewJob],
            text: "seconds between two writes of one installation, across every worker (default 1, GitHub's advice)"),
        Variable(
            name: "GITHUB_CONTENT_WRITES_PER_MINUTE", readers: [.reviewJob],
            text: "content-creating requests (reviews, comments, reactions, check runs) of one installation a minute (default 80, GitHub's limit)"),
        Variable(
            name: "GITHUB_CONTENT_WRITES_PER_HOUR", readers: [.reviewJob],
            text: "and an hour (default 500, GitHub's limit)"),
        Variable(
            name: "GITHUB_RATE_LIMIT_RESERVE", readers: [.reviewJob],
            text: "requests of an installation's hourly quota left unspent: below it the installation waits for its reset (default 50)"),
        Variable(name: "LLM_PROVIDER", readers: [.reviewJob, .reviewctl], text: "rules (default), openai (any compatible server) or anthropic"),
        Variable(name: "LLM_MODEL", readers: [.reviewJob, .reviewctl], text: "the model (default gpt-4o-mini / claude-sonnet-4-5)"),
        Variable(name: "LLM_BASE_URL", readers: [.reviewJob, .reviewctl], text: "the provider's API base URL"),
        Variable(name: "LLM_API_KEY", readers: [.reviewJob, .reviewctl], text: "the provider's key"),
        Variable(name: "LLM_MAX_INPUT_TOKENS", readers: [.reviewJob, .reviewctl], text: "prompt budget per call (default 32000)"),
        Variable(name: "LLM_MAX_CALLS", readers: [.reviewJob, .reviewctl], text: "calls per review (default 4)"),
        Variable(name: "LLM_CONCURRENCY", readers: [.reviewJob, .reviewctl], text: "calls at once (default 2)"),
        Variable(
            name: "LLM_MAX_CONCURRENT_CALLS", readers: [.reviewJob, .reviewctl],
            text: "model calls at once in the whole process, across its jobs (default 4)"),
        Variable(name: "LLM_MAX_OUTPUT_TOKENS", readers: [.reviewJob, .reviewctl], text: "answer budget (default 4096)"),
        Variable(name: "LLM_TIMEOUT_SECONDS", readers: [.reviewJob, .reviewctl], text: "per call (default 120)"),
        Variable(name: "LLM_PRICE_INPUT_PER_MTOK", readers: [.reviewJob, .reviewctl], text: "US dollars per million input tokens, for the cost"),
        Variable(name: "LLM_PRICE_OUTPUT_PER_MTOK", readers: [.reviewJob, .reviewctl], text: "and per million output tokens"),
        Variable(name: "SHUTDOWN_GRACE_SECONDS", readers: functions, text: "serve: how long SIGTERM waits for in-flight work (default 10)"),
        Variable(name: "METRICS_TOKEN", readers: functions, text: "serve: bearer token for GET /metrics (unset: loopback only)"),
        Variable(name: "PORT", readers: [.ingest, .reviewJob, .redisREST], text: "serve: the port (default 8080; redis-rest 8079; 0 picks one)"),
        Variable(name: "HOST", readers: [.ingest, .reviewJob, .redisREST], text: "serve: the address (default 0.0.0.0; redis-rest 127.0.0.1)"),
        Variable(name: "FUNCTIONS_CUSTOMHANDLER_PORT", readers: functions, text: "serve: the port Azure Functions gives"),
        Variable(name: "AWS_LAMBDA_RUNTIME_API", readers: functions, text: "set by Lambda: run the Runtime API loop"),
        Variable(name: "LOG_LEVEL", readers: functions, text: "trace, debug, info (default), warning, error"),
        Variable(name: "REDIS_URL", readers: [.redisREST], text: "redis://HOST:PORT (default redis://127.0.0.1:6379) or unix:///PATH"),
        Variable(name: "REDIS_REST_TOKEN", readers: [.redisREST], text: "required: the bearer token clients must send"),
    ]

    /// The help section for one executable: each name, and under it what it does (lines short
    /// enough that `--help` never rewraps them).
    public static func section(for reader: Reader) -> String {
        "Environment:\n" + all.filter { $0.readers.contains(reader) }.map { "  \($0.name)\n      \($0.text)" }.joined(separator: "\n")
    }
}
