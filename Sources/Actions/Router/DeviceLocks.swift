import Synchronization

/// Serializes the actions of each device: one at a time per device, in arrival order, while
/// actions on different devices run at once.
final class DeviceLocks: Sendable {
    /// Held devices, each with the callers waiting for it.
    private let held = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    /// Runs `body` while holding `device`.
    func withDevice<T: Sendable>(_ device: String, _ body: () async -> T) async -> T {
        await acquire(device)
        defer { release(device) }
        return await body()
    }

    private func acquire(_ device: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let free = held.withLock { held -> Bool in
                if held[device] == nil {
                    held[device] = []
                    return true
                }
                held[device]?.append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
    }

    /// Hands the device to the next waiter, or frees it.
    private func release(_ device: String) {
        let next = held.withLock { held -> CheckedContinuation<Void, Never>? in
            guard var waiting = held[device], !waiting.isEmpty else {
                held[device] = nil
                return nil
            }
            let next = waiting.removeFirst()
            held[device] = waiting
            return next
        }
        next?.resume()
    }
}
