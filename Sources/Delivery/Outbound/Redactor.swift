import Synchronization

/// Removes secrets (API keys, declared secret settings, access tokens) from any text before it is
/// logged, printed, stored in the outbox or written to the audit trail.
public final class Redactor: Sendable {
    public static let mask = "[REDACTED]"
    private let secrets: Mutex<Set<String>>

    public init(_ secrets: [String] = []) {
        self.secrets = Mutex(Set(secrets.filter { $0.count >= 4 }))
    }

    /// Adds secrets learned later (tokens). Very short values are not treated as secrets: masking
    /// them would mangle ordinary text without protecting anything.
    public func add(_ secret: String) {
        guard secret.count >= 4 else { return }
        secrets.withLock { _ = $0.insert(secret) }
    }

    public func redact(_ text: String) -> String {
        // Longest first, so a secret containing another is masked whole.
        secrets.withLock { $0.sorted { $0.count > $1.count } }.reduce(text) { $0.replacingOccurrences(of: $1, with: Self.mask) }
    }
}
