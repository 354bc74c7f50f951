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
}
