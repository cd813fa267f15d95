import Foundation

/// Alert severities, in order: Info < Warning < Error < Critical.
public enum Severity: String, CaseIterable, Comparable, Sendable {
    case info = "Info", warning = "Warning", error = "Error", critical = "Critical"

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }

    /// The ticket priority an alert of this severity maps to.
    public var priority: Priority {
        switch self {
        case .info: .low
        case .warning: .medium
        case .error: .high
        case .critical: .critical
        }
    }
}

/// Ticket priorities, in order.
public enum Priority: String, CaseIterable, Sendable {
    case low, medium, high, critical
}

/// A normalized alert (`{"alert": {...}}` in the data model).
public struct Alert {
    public let source: String
    public let module: String
    public let severity: Severity
    public let message: String
    /// `detection`, `remediation` or `verification`, when the alert belongs to a phase.
    public let phase: String?
    /// ISO-8601 in UTC, `2026-11-23T07:30:00Z`.
    public let timestamp: String
    public let endpoint: String
    public let domain: String
    public let data: [String: Any]

    public init(_ object: JSONObject) throws(PluginError) {
        source = try object.optionalString("source") ?? "Switchboard"
        module = try object.string("module")
        severity = Severity(rawValue: try object.choice("severity", Severity.allCases.map(\.rawValue))) ?? .info
        message = try object.string("message")
        phase = try object.optionalString("phase")
        timestamp = try Timestamp.utc(object.optionalString("timestamp"), field: object.field("timestamp"))
        endpoint = try object.optionalString("endpoint") ?? SystemIdentity.current.hostName
        domain = try object.optionalString("domain") ?? SystemIdentity.current.domain
        data = try object.optionalObject("data")?.values ?? [:]
    }

    /// A one-line title: `[Critical] DiskCleanup on pc-042: C: has 1% free`.
    public var title: String { "[\(severity.rawValue)] \(module) on \(endpoint): \(message)" }

    /// A plain-text description with every field, for ticket bodies.
    public var details: String {
        var lines = ["Severity: \(severity.rawValue)", "Module: \(module)", "Message: \(message)",
                     "Endpoint: \(endpoint)" + (domain.isEmpty ? "" : ".\(domain)"), "Time: \(timestamp)", "Source: \(source)"]
        if let phase { lines.append("Phase: \(phase)") }
        if !data.isEmpty, let json = try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys, .withoutEscapingSlashes]) {
            lines.append("Data: " + String(decoding: json, as: UTF8.self))
        }
        return lines.joined(separator: "\n")
    }

    /// The generic payload `{source, module, severity, message, timestamp, endpoint, domain, data}`.
    public var payload: [String: Any] {
        ["source": source, "module": module, "severity": severity.rawValue, "message": message, "timestamp": timestamp,
         "endpoint": endpoint, "domain": domain, "data": data]
    }
}

/// A normalized ticket (`{"ticket": {...}}`).
public struct Ticket {
    public let title: String
    public let description: String
    public let priority: Priority
    /// The device the ticket is about, as the platform knows it, when there is one.
    public let device: String?
    public let category: String?

    public init(_ object: JSONObject) throws(PluginError) {
        title = try object.string("title")
        description = try object.optionalString("description") ?? ""
        priority = Priority(rawValue: try object.choice("priority", Priority.allCases.map(\.rawValue), default: "medium")) ?? .medium
        device = try object.optionalString("device")
        category = try object.optionalString("category")
    }

    /// The ticket an alert opens.
    public init(alert: Alert) {
        title = alert.title
        description = alert.details
        priority = alert.severity.priority
        device = alert.data["deviceUid"] as? String
        category = nil
    }

    /// The ticket a run summary opens on platforms that take reports as tickets.
    public init(report: Report) {
        title = report.title
        description = report.summary
        priority = report.severity.priority
        device = nil
        category = nil
    }
}

/// A normalized run summary (`{"report": {...}}`): counts of modules run, issues found,
/// remediated and failed.
public struct Report {
    public let title: String
    public let modules: Int
    public let issuesFound: Int
    public let remediated: Int
    public let failed: Int
    public let timestamp: String
    public let endpoint: String
    public let domain: String

    public init(_ object: JSONObject) throws(PluginError) {
        modules = try object.integer("modules")
        issuesFound = try object.integer("issuesFound")
        remediated = try object.integer("remediated")
        failed = try object.integer("failed")
        timestamp = try Timestamp.utc(object.optionalString("timestamp"), field: object.field("timestamp"))
        endpoint = try object.optionalString("endpoint") ?? SystemIdentity.current.hostName
        domain = try object.optionalString("domain") ?? SystemIdentity.current.domain
        title = try object.optionalString("title") ?? "Switchboard daily summary for \(endpoint)"
        for (name, value) in [("modules", modules), ("issuesFound", issuesFound), ("remediated", remediated), ("failed", failed)] where value < 0 {
            throw .invalidInput("\(object.field(name)): must not be negative")
        }
    }

    /// `12 modules, 3 issues found, 2 remediated, 1 failed`.
    public var summary: String {
        "\(modules) modules, \(issuesFound) issues found, \(remediated) remediated, \(failed) failed"
    }

    /// The worst severity the summary warrants.
    public var severity: Severity { failed > 0 ? .error : issuesFound > remediated ? .warning : .info }

    public var payload: [String: Any] {
        ["title": title, "modules": modules, "issuesFound": issuesFound, "remediated": remediated, "failed": failed,
         "timestamp": timestamp, "endpoint": endpoint, "domain": domain]
    }
}

/// ISO-8601 timestamps, normalized to UTC with a `Z`. (Format styles, not ISO8601DateFormatter:
/// creating one of those costs tens of microseconds on Linux, on every call.)
public enum Timestamp {
    public static func utc(_ text: String?, field: String) throws(PluginError) -> String {
        guard let text else { return Date().formatted(.iso8601) }
        guard let date = (try? Date(text, strategy: .iso8601))
                ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) else {
            throw .invalidInput("\(field): expected an ISO-8601 date-time such as 2026-11-23T07:30:00Z, got '\(text)'")
        }
        return date.formatted(.iso8601)
    }
}

/// This machine's host name and DNS domain, read once.
public struct SystemIdentity: Sendable {
    public let hostName: String
    public let domain: String

    public static let current: SystemIdentity = {
        var buffer = [CChar](repeating: 0, count: 256)
        let fullName = gethostname(&buffer, buffer.count - 1) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        let parts = fullName.split(separator: ".", maxSplits: 1).map(String.init)
        return SystemIdentity(hostName: parts.first ?? fullName, domain: parts.count == 2 ? parts[1] : resolverDomain() ?? "")
    }()

    /// The `domain` line of /etc/resolv.conf, else the first `search` domain.
    private static func resolverDomain() -> String? {
        guard let contents = try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8) else { return nil }
        var search: String?
        for line in contents.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2 else { continue }
            if words[0] == "domain" { return String(words[1]) }
            if words[0] == "search", search == nil { search = String(words[1]) }
        }
        return search
    }
}
