import Foundation
import Synchronization

/// A sliding-window request budget: at most `requests` sends in any `window`. Datto RMM allows
/// 600 reads per 60 s per account and slows every answer down by a second past 90% of that, so
/// the Datto client budgets 540.
///
/// ```swift
/// let limiter = RateLimiter(requests: 540, window: .seconds(60))
/// await limiter.acquire()   // waits while the window is full
/// ```
public final class RateLimiter: Sendable {
    public let requests: Int
    public let window: Duration
    /// The times of the sends in the current window, oldest first.
    private let sends = Mutex<[ContinuousClock.Instant]>([])

    public init(requests: Int, window: Duration) {
        self.requests = max(1, requests)
        self.window = window
    }

    /// Datto RMM's budget: 90% of 600 requests per 60 s.
    public static func datto() -> RateLimiter { RateLimiter(requests: 540, window: .seconds(60)) }

    /// Takes one send from the budget, waiting until the window has room. Returns early (without
    /// a send) only when the task is cancelled.
    public func acquire() async {
        while true {
            let wait: Duration? = sends.withLock { times in
                let now = ContinuousClock.now
                times.removeAll { now - $0 >= window }
                guard times.count >= requests, let oldest = times.first else {
                    times.append(now)
                    return nil
                }
                return window - (now - oldest)
            }
            guard let wait else { return }
            do { try await Task.sleep(for: wait) } catch { return }
        }
    }

    /// How many sends the current window holds.
    public var used: Int {
        sends.withLock { times in
            let now = ContinuousClock.now
            return times.filter { now - $0 < window }.count
        }
    }
}
