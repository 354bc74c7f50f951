import Foundation
import ReviewCore
import Testing

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(base: 10, cap: 600)

    @Test func backoffDoublesWithJitterAndIsCapped() {
        #expect(policy.delay(afterAttempt: 1, jitter: 0) == 5)
        #expect(policy.delay(afterAttempt: 1, jitter: 1) == 10)
        #expect(policy.delay(afterAttempt: 2, jitter: 1) == 20)
        #expect(policy.delay(afterAttempt: 4, jitter: 0.5) == 60)
        #expect(policy.delay(afterAttempt: 20, jitter: 1) == 600)
        #expect(policy.delay(afterAttempt: 200, jitter: 0) == 300)
    }

    @Test func retryAfterIsHonouredEvenBeyondTheCap() {
        #expect(policy.delay(afterAttempt: 1, jitter: 0, retryAfter: 3600) == 3600)
        #expect(policy.delay(afterAttempt: 3, jitter: 1, retryAfter: 1) == 40)
    }

    @Test func aRateLimitWaitsWhatWasAskedThenASpreadShare() {
        #expect(policy.limitDelay(retryAfter: 20, spread: 60, jitter: 0) == 20)
        #expect(policy.limitDelay(retryAfter: 20, spread: 60, jitter: 1) == 40)
        #expect(policy.limitDelay(retryAfter: 3600, spread: 60, jitter: 0.5) == 3630)
        #expect(policy.limitDelay(retryAfter: nil, spread: 60, jitter: 0) == 10)
        #expect(policy.limitDelay(retryAfter: 0, spread: 60, jitter: 1) == 2)
    }
}

/// The waits services ask for, in each documented form.
@Suite struct RetryAfterTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    func wait(_ headers: [String: String]) -> TimeInterval? {
        RetryAfter.seconds(now: now) { headers[$0] }
    }

    @Test func retryAfterInSecondsOrAsAnHTTPDate() {
        #expect(wait(["retry-after": "20"]) == 20)
        #expect(wait(["retry-after": " 1.5 "]) == 1.5)
        // 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT.
        #expect(wait(["retry-after": "Tue, 14 Nov 2023 22:14:20 GMT"]) == 60)
        #expect(wait(["retry-after": "Tue, 14 Nov 2023 22:12:20 GMT"]) == 0)
        #expect(wait(["retry-after": "soon"]) == nil)
        #expect(wait(["retry-after": "99999999"]) == RetryAfter.longest)
    }

    @Test func gitHubsResetOnlyWhenNothingRemains() {
        #expect(wait(["x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000300"]) == 300)
        #expect(wait(["x-ratelimit-remaining": "12", "x-ratelimit-reset": "1700000300"]) == nil)
        // Both: the longer wait.
        #expect(wait(["retry-after": "60", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000300"]) == 300)
    }

    @Test func openAIsDurations() {
        #expect(RetryAfter.duration("1s") == 1)
        #expect(RetryAfter.duration("6m0s") == 360)
        #expect(RetryAfter.duration("20ms") == 0.02)
        #expect(RetryAfter.duration("1h2m3.5s") == 3723.5)
        #expect(RetryAfter.duration("5x") == nil)
        #expect(RetryAfter.duration("") == nil)
        #expect(wait(["x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s", "x-ratelimit-reset-requests": "1s"]) == 360)
        #expect(wait(["x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s", "x-ratelimit-remaining-tokens": "9"]) == 1)
    }

    @Test func anthropicsResetTimes() {
        #expect(wait(["anthropic-ratelimit-input-tokens-remaining": "0", "anthropic-ratelimit-input-tokens-reset": "2023-11-14T22:13:50Z"]) == 30)
        #expect(wait(["anthropic-ratelimit-requests-remaining": "3", "anthropic-ratelimit-requests-reset": "2023-11-14T22:13:50Z"]) == nil)
    }
}
