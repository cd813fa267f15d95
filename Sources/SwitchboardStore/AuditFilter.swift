import Foundation
import GRDB

/// Which audit entries to read. Every condition given must hold; an unset one selects everything.
///
/// ```swift
/// let filter = AuditFilter(since: Date().addingTimeInterval(-86400), events: ["datto.action.*"], tenants: ["acme"])
/// let entries = try store.auditEntries(filter, limit: 100)
/// ```
public struct AuditFilter: Sendable, Equatable {
    /// Entries at or after this time.
    public var since: Date?
    /// Entries before this time.
    public var until: Date?
    /// Event names: an exact name, or a prefix pattern ending in `.*` (`datto.action.*` selects
    /// `datto.action.requested`, `datto.action.executed`, ...). Empty: every event.
    public var events: [String]
    /// The tenants whose entries may be read. Nil: no restriction. An empty set means no tenant,
    /// never all: it selects nothing.
    public var tenants: Set<String>?
    public var site: String?
    public var actor: String?
    /// The entry's outcome (`executed`, `denied`, `delivered`, ...): its status.
    public var outcome: String?

    public init(since: Date? = nil, until: Date? = nil, events: [String] = [], tenants: Set<String>? = nil, site: String? = nil,
                actor: String? = nil, outcome: String? = nil) {
        self.since = since
        self.until = until
        self.events = events
        self.tenants = tenants
        self.site = site
        self.actor = actor
        self.outcome = outcome
    }

    /// The `WHERE` condition and its arguments.
    var sql: (condition: String, arguments: StatementArguments) {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let since {
            conditions.append("time >= ?")
            arguments += [AuditHash.timestamp(since)]
        }
        if let until {
            conditions.append("time < ?")
            arguments += [AuditHash.timestamp(until)]
        }
        if !events.isEmpty {
            let alternatives = events.map { pattern in
                if pattern.hasSuffix(".*") {
                    // substr counts characters (code points), as unicodeScalars does; LIKE would
                    // ignore case and treat `_` and `%` as wildcards.
                    let prefix = String(pattern.dropLast())
                    arguments += [prefix.unicodeScalars.count, prefix]
                    return "substr(event, 1, ?) = ?"
                }
                arguments += [pattern]
                return "event = ?"
            }
            conditions.append("(" + alternatives.joined(separator: " OR ") + ")")
        }
        if let tenants {
            conditions.append(tenants.isEmpty ? "0" : "tenant IN (\(tenants.map { _ in "?" }.joined(separator: ",")))")
            arguments += StatementArguments(tenants.sorted())
        }
        for (column, value) in [("site", site), ("actor", actor), ("outcome", outcome)] {
            if let value {
                conditions.append("\(column) = ?")
                arguments += [value]
            }
        }
        return (conditions.isEmpty ? "1" : conditions.joined(separator: " AND "), arguments)
    }
}
