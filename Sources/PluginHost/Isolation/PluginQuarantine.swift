import Foundation
import Synchronization

/// Quarantined plugins, kept in a JSON file under the data directory so that every host process
/// (serve, the CLI) refuses them until `switchboard plugins release ID`.
///
/// ```swift
/// let quarantine = PluginQuarantine(dataDirectory: environment.dataDirectory)
/// try quarantine.add("acme.crashy", reason: "5 faults within 60 s, the last: SIGSEGV")
/// try quarantine.release("acme.crashy")   // true
/// ```
public final class PluginQuarantine: Sendable {
    public let file: String
    private let lock = Mutex(())

    public init(file: String) {
        self.file = file
    }

    /// The quarantine every host of the data directory shares: `<dataDirectory>/plugin-quarantine.json`.
    public convenience init(dataDirectory: String) {
        self.init(file: dataDirectory + "/plugin-quarantine.json")
    }

    /// The quarantined plugins by id. A missing file is an empty quarantine; an unreadable one
    /// quarantines nothing and says why.
    public func records() throws(PluginQuarantineError) -> [String: QuarantineRecord] {
        guard let data = FileManager.default.contents(atPath: file) else { return [:] }
        let json: JSONValue
        do {
            json = try JSONValue.parse(data)
        } catch {
            throw .unreadable(file: file, reason: "malformed JSON: \(error.reason)")
        }
        guard case .object(let plugins) = json else { throw .unreadable(file: file, reason: "expected an object of plugin ids") }
        var records: [String: QuarantineRecord] = [:]
        for (id, value) in plugins {
            guard case .object(let fields) = value, case .string(let since)? = fields["since"], case .string(let reason)? = fields["reason"] else {
                throw .unreadable(file: file, reason: "\(id): expected {\"since\", \"reason\"}")
            }
            records[id] = QuarantineRecord(since: since, reason: reason)
        }
        return records
    }

    /// The record for `id`, if it is quarantined (an unreadable file counts as none).
    public func record(for id: String) -> QuarantineRecord? {
        (try? records())?[id]
    }

    /// Quarantines `id` (replacing an earlier record) and returns the record.
    @discardableResult
    public func add(_ id: String, reason: String, at date: Date = Date()) throws(PluginQuarantineError) -> QuarantineRecord {
        let record = QuarantineRecord(since: date.formatted(.iso8601), reason: reason)
        try lock.withLock { _ throws(PluginQuarantineError) in
            var all = try records()
            all[id] = record
            try write(all)
        }
        return record
    }

    /// Lifts the quarantine of `id`; false when it was not quarantined.
    public func release(_ id: String) throws(PluginQuarantineError) -> Bool {
        try lock.withLock { _ throws(PluginQuarantineError) in
            var all = try records()
            guard all.removeValue(forKey: id) != nil else { return false }
            try write(all)
            return true
        }
    }

    /// Writes a temporary file and renames it over the old one, so readers never see half a file.
    private func write(_ records: [String: QuarantineRecord]) throws(PluginQuarantineError) {
        let json = JSONValue.object(records.mapValues { .object(["since": .string($0.since), "reason": .string($0.reason)]) })
        let folder = (file as NSString).deletingLastPathComponent
        let temporary = file + ".\(getpid()).tmp"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(json.text(pretty: true).utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, file) == 0 else { throw PluginQuarantineError.unwritable(file: file, reason: String(cString: strerror(errno))) }
        } catch let error as PluginQuarantineError {
            throw error
        } catch {
            throw .unwritable(file: file, reason: "\(error)")
        }
    }
}

/// When and why a plugin was quarantined.
public struct QuarantineRecord: Sendable, Equatable {
    /// ISO 8601 time of the quarantine.
    public let since: String
    public let reason: String
}

/// The quarantine file could not be read or written.
public enum PluginQuarantineError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case unwritable(file: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): "\(file): cannot read the plugin quarantine: \(reason)"
        case .unwritable(let file, let reason): "\(file): cannot write the plugin quarantine: \(reason)"
        }
    }
}
