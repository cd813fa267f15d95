import Delivery
import Foundation
import PluginHost

/// The Datto RMM integration's settings: `datto.json` in the data directory, written by
/// `switchboard datto connect` and `datto webhook-secret` (mode 0600: it holds secrets), and
/// edited by hand for the rest. Every member is optional; absent ones take the defaults below.
///
/// ```json
/// {"connection": {"APIEndpoint": "https://concord-api.centrastage.net", "APIKey": "...", "APISecret": "..."},
///  "webhookSecret": "...", "categories": {"Backup": "Backup"}, "queues": {"Performance": "noc"}, "assignees": {"noc": "alice"},
///  "autoResolve": {"enabled": true, "delayMinutes": 15, "note": true, "sla": true, "notify": true},
///  "failureAlerts": {"authentication": true, "syncError": true, "unmappedSite": true, "webhookSilenceMinutes": 240},
///  "syncInterval": "1h"}
/// ```
public struct DattoSettings: Sendable, Equatable {
    /// The file's name in the data directory.
    public static let fileName = "datto.json"

    /// The Datto RMM target's settings (`APIEndpoint`, `APIKey`, `APISecret`, and any setting the
    /// Datto plugin declares, such as `RebootComponentUID`); empty when not connected.
    public var connection: [String: JSONValue] = [:]
    /// The shared secret webhooks authenticate with.
    public var webhookSecret: String?
    /// Alert type -> ticket category, over the defaults (`CPU` -> `Performance`, ...).
    public var categories: [String: String] = [:]
    /// Ticket category -> the queue its tickets are assigned to.
    public var queues: [String: String] = [:]
    /// Queue -> the principal its tickets are assigned to (and who is notified when they resolve).
    public var assignees: [String: String] = [:]
    public var autoResolve = AutoResolve()
    public var failureAlerts = FailureAlerts()
    public var syncInterval: SyncInterval = .hour

    /// What happens when Datto reports an alert resolved.
    public struct AutoResolve: Sendable, Equatable {
        /// Resolve the alert's ticket.
        public var enabled = true
        /// After this long.
        public var delaySeconds: Double = 15 * 60
        /// With an automatic note on the ticket.
        public var note = true
        /// Recording the time to resolve (on the note and in the audit trail).
        public var sla = true
        /// Notifying the ticket's assignee through the delivery targets.
        public var notify = true
    }

    /// Which failures raise an alert through the delivery targets.
    public struct FailureAlerts: Sendable, Equatable {
        public var authentication = true
        public var syncError = true
        public var unmappedSite = true
        /// Raise one when no webhook has arrived for this long while serving; nil: never.
        public var webhookSilenceSeconds: Double? = 4 * 60 * 60
    }

    /// How often `serve` syncs devices.
    public enum SyncInterval: String, Sendable, CaseIterable {
        case fifteenMinutes = "15m", hour = "1h", fourHours = "4h"

        public var duration: Duration {
            switch self {
            case .fifteenMinutes: .seconds(15 * 60)
            case .hour: .seconds(60 * 60)
            case .fourHours: .seconds(4 * 60 * 60)
            }
        }
    }

    /// Alert types and the ticket categories they map to unless `categories` says otherwise.
    public static let defaultCategories = ["CPU": "Performance", "Disk": "Hardware", "Memory": "Performance", "Network": "Network",
                                           "Antivirus": "Security", "Patch": "Update"]
    /// The category of alert types that no mapping names.
    public static let fallbackCategory = "General"

    public init() {}

    /// Whether `datto connect` has stored a connection.
    public var isConnected: Bool { !connection.isEmpty }

    /// The ticket category of an alert type.
    public func category(ofAlertType type: String) -> String {
        categories[type] ?? Self.defaultCategories[type] ?? Self.fallbackCategory
    }

    // MARK: Reading and writing

    /// Reads the file; a missing file gives the defaults (not connected). Every problem is
    /// reported, each with the file and field.
    public static func load(file: String) throws(ConfigurationErrors) -> DattoSettings {
        guard let data = FileManager.default.contents(atPath: file) else {
            guard !FileManager.default.fileExists(atPath: file) else { throw ConfigurationErrors(problems: [.init(location: file, field: nil, reason: "cannot be read")]) }
            return DattoSettings()
        }
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch {
            throw ConfigurationErrors(problems: [.init(location: file, field: nil, reason: "malformed JSON: \(error.reason)")])
        }
        var reader = SettingsReader(file: file)
        let settings = reader.settings(json)
        guard reader.problems.isEmpty else { throw ConfigurationErrors(problems: reader.problems) }
        return settings
    }

    /// Writes the file (mode 0600, replaced atomically).
    public func save(file: String) throws(ConfigurationErrors) {
        var object: [String: JSONValue] = [
            "categories": .object(categories.mapValues(JSONValue.string)), "queues": .object(queues.mapValues(JSONValue.string)),
            "assignees": .object(assignees.mapValues(JSONValue.string)), "syncInterval": .string(syncInterval.rawValue),
            "autoResolve": .object(["enabled": .bool(autoResolve.enabled), "delayMinutes": .number(autoResolve.delaySeconds / 60),
                                    "note": .bool(autoResolve.note), "sla": .bool(autoResolve.sla), "notify": .bool(autoResolve.notify)]),
            "failureAlerts": .object(["authentication": .bool(failureAlerts.authentication), "syncError": .bool(failureAlerts.syncError),
                                      "unmappedSite": .bool(failureAlerts.unmappedSite),
                                      "webhookSilenceMinutes": failureAlerts.webhookSilenceSeconds.map { .number($0 / 60) } ?? .null]),
        ]
        if !connection.isEmpty { object["connection"] = .object(connection) }
        if let webhookSecret { object["webhookSecret"] = .string(webhookSecret) }
        let temporary = file + ".tmp"
        let directory = (file as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw ConfigurationErrors(problems: [.init(location: directory, field: nil, reason: "cannot be created: \(error.localizedDescription)")])
        }
        guard FileManager.default.createFile(atPath: temporary, contents: JSONValue.object(object).serialized(pretty: true) + Data("\n".utf8),
                                             attributes: [.posixPermissions: 0o600]),
              rename(temporary, file) == 0 else {
            throw ConfigurationErrors(problems: [.init(location: file, field: nil, reason: "cannot be written: \(String(cString: strerror(errno)))")])
        }
    }
}

/// Reads the members of `datto.json`, collecting every problem.
private struct SettingsReader {
    let file: String
    var problems: [ConfigurationProblem] = []

    mutating func problem(_ field: String?, _ reason: String) {
        problems.append(ConfigurationProblem(location: file, field: field, reason: reason))
    }

    mutating func settings(_ json: JSONValue) -> DattoSettings {
        var settings = DattoSettings()
        guard case .object(let members) = json else {
            problem(nil, "expected a JSON object")
            return settings
        }
        let known = ["connection", "webhookSecret", "categories", "queues", "assignees", "autoResolve", "failureAlerts", "syncInterval"]
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "connection":
                guard case .object(let connection) = value else { problem(key, "expected an object of Datto RMM target settings"); continue }
                settings.connection = connection
            case "webhookSecret":
                if value == .null { continue }
                guard case .string(let secret) = value, secret.utf8.count >= 16 else {
                    problem(key, "expected a string of at least 16 characters (run switchboard datto webhook-secret to generate one)")
                    continue
                }
                settings.webhookSecret = secret
            case "categories": settings.categories = strings(value, key)
            case "queues": settings.queues = strings(value, key)
            case "assignees": settings.assignees = strings(value, key)
            case "syncInterval":
                guard case .string(let text) = value, let interval = DattoSettings.SyncInterval(rawValue: text) else {
                    problem(key, "expected one of \(DattoSettings.SyncInterval.allCases.map(\.rawValue).joined(separator: ", ")), got \(value.text())")
                    continue
                }
                settings.syncInterval = interval
            case "autoResolve":
                guard case .object(let block) = value else { problem(key, "expected an object"); continue }
                for (name, member) in block.sorted(by: { $0.key < $1.key }) {
                    let field = "\(key).\(name)"
                    switch name {
                    case "enabled": flag(member, field) { settings.autoResolve.enabled = $0 }
                    case "note": flag(member, field) { settings.autoResolve.note = $0 }
                    case "sla": flag(member, field) { settings.autoResolve.sla = $0 }
                    case "notify": flag(member, field) { settings.autoResolve.notify = $0 }
                    case "delayMinutes": minutes(member, field, optional: false) { settings.autoResolve.delaySeconds = $0 ?? 0 }
                    default: problem(field, "unknown setting (known: delayMinutes, enabled, note, notify, sla)")
                    }
                }
            case "failureAlerts":
                guard case .object(let block) = value else { problem(key, "expected an object"); continue }
                for (name, member) in block.sorted(by: { $0.key < $1.key }) {
                    let field = "\(key).\(name)"
                    switch name {
                    case "authentication": flag(member, field) { settings.failureAlerts.authentication = $0 }
                    case "syncError": flag(member, field) { settings.failureAlerts.syncError = $0 }
                    case "unmappedSite": flag(member, field) { settings.failureAlerts.unmappedSite = $0 }
                    case "webhookSilenceMinutes": minutes(member, field, optional: true) { settings.failureAlerts.webhookSilenceSeconds = $0 }
                    default: problem(field, "unknown setting (known: authentication, syncError, unmappedSite, webhookSilenceMinutes)")
                    }
                }
            default:
                problem(key, "unknown setting (known: \(known.joined(separator: ", ")))")
            }
        }
        return settings
    }

    private mutating func strings(_ value: JSONValue, _ field: String) -> [String: String] {
        guard case .object(let members) = value else {
            problem(field, "expected an object of names")
            return [:]
        }
        var result: [String: String] = [:]
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            guard case .string(let text) = member, !text.isEmpty else { problem("\(field).\(name)", "expected a non-empty string, got \(member.text())"); continue }
            result[name] = text
        }
        return result
    }

    private mutating func flag(_ value: JSONValue, _ field: String, _ set: (Bool) -> Void) {
        guard case .bool(let flag) = value else { problem(field, "expected true or false, got \(value.text())"); return }
        set(flag)
    }

    /// Minutes as seconds; with `optional`, null or 0 means off (nil).
    private mutating func minutes(_ value: JSONValue, _ field: String, optional: Bool, _ set: (Double?) -> Void) {
        let minutes: Double? = switch value {
        case .integer(let number): Double(number)
        case .number(let number): number
        default: nil
        }
        if optional, value == .null || minutes == 0 { set(nil); return }
        guard let minutes, minutes >= 0, minutes.isFinite else {
            problem(field, "expected a number of minutes (0 or more), got \(value.text())")
            return
        }
        set(minutes * 60)
    }
}
