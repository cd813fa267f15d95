import PluginHost

/// Alert severities, in order: Info < Warning < Error < Critical.
public enum AlertSeverity: String, Sendable, CaseIterable, Comparable {
    case info = "Info", warning = "Warning", error = "Error", critical = "Critical"

    public static func < (lhs: AlertSeverity, rhs: AlertSeverity) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }

    /// Parses a severity without regard to case.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(name) == .orderedSame }) else { return nil }
        self = match
    }
}

/// When in a remediation run an alert is raised; each target chooses which phases it hears of.
public enum AlertPhase: String, Sendable, CaseIterable {
    case detection, remediation, verification
}

/// One place alerts and reports are delivered to, with the settings users know from RMM
/// integration configs (`Platform`, `Enabled`, `APIEndpoint`, `APIKey`, `MinimumSeverity`, ...).
public struct DeliveryTarget: Sendable, Equatable {
    public let name: String
    /// The platform id of the plugin that speaks to it (`webhook`, `connectwise`, ...).
    public let platform: String
    /// Every setting, standard and plugin-specific, as the plugin receives it.
    public let settings: [String: JSONValue]
    /// The names of settings that hold secrets (`APIKey` and the plugin's secret fields).
    public let secretFields: Set<String>

    public init(name: String, platform: String, settings: [String: JSONValue] = [:], secretFields: Set<String> = []) {
        self.name = name
        self.platform = platform
        self.settings = settings
        self.secretFields = secretFields
    }

    public var enabled: Bool { settings["Enabled"] == .bool(true) }
    public var endpoint: String? { if case .string(let url)? = settings["APIEndpoint"] { url } else { nil } }
    public var allowsInsecureHTTP: Bool { settings["AllowInsecureHTTP"] == .bool(true) }
    public var sendsDailySummary: Bool { flag("SendDailySummary") }

    public var minimumSeverity: AlertSeverity {
        if case .string(let name)? = settings["MinimumSeverity"], let severity = AlertSeverity(name: name) { severity } else { .warning }
    }

    /// Whether an alert of `severity` raised in `phase` (nil: outside any phase) goes to this target.
    public func accepts(_ severity: AlertSeverity, phase: AlertPhase?) -> Bool {
        guard enabled, severity >= minimumSeverity else { return false }
        switch phase {
        case nil: return true
        case .detection: return flag("SendOnDetection")
        case .remediation: return flag("SendOnRemediation")
        case .verification: return flag("SendOnVerification")
        }
    }

    /// The values of the secret settings, for redaction.
    public var secrets: [String] {
        secretFields.compactMap { if case .string(let value)? = settings[$0], !value.isEmpty { value } else { nil } }
    }

    private func flag(_ name: String) -> Bool { settings[name] == .bool(true) }
}

/// How hard delivery tries: timeouts, attempts and backoff.
public struct DeliveryPolicy: Sendable, Equatable {
    public var timeoutSeconds: Double = 15
    public var maxAttempts: Int = 8
    public var initialBackoffSeconds: Double = 2
    public var maxBackoffSeconds: Double = 900

    public init() {}

    /// Exponential backoff with jitter before attempt `attempt + 1`: a random delay between half and
    /// all of `initial * 2^(attempt-1)`, capped at the maximum.
    public func backoff(afterAttempt attempt: Int, random: Double = Double.random(in: 0...1)) -> Double {
        let exponential = initialBackoffSeconds * pow(2, Double(max(0, attempt - 1)))
        return min(maxBackoffSeconds, exponential) * (0.5 + 0.5 * random)
    }
}

#if canImport(Glibc)
import Glibc
#endif
