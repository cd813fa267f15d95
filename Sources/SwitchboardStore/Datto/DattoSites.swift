import Foundation
import GRDB

/// A Datto RMM site and where its devices and alerts go: to the tenant it is mapped to, nowhere
/// when it is ignored, and nowhere (flagged once) while it is unmapped.
public struct DattoSite: Sendable, Equatable {
    public enum Mapping: String, Sendable, CaseIterable { case unmapped, mapped, ignored }

    public let uid: String
    public let name: String
    public let mapping: Mapping
    /// The tenant of a mapped site.
    public let tenant: String?
    /// How many devices Datto counts in the site, when it says.
    public let devices: Int?
    public let firstSeen: Date
    /// When the failure alert for this unmapped site was raised (it is raised once).
    public let flaggedAt: Date?
}

/// A site as Datto lists it.
public struct ListedSite: Sendable, Equatable {
    public let uid: String
    public let name: String
    public let devices: Int?

    public init(uid: String, name: String, devices: Int?) {
        self.uid = uid
        self.name = name
        self.devices = devices
    }
}

/// Why a site could not be mapped or ignored.
public enum SiteMappingError: Error, Equatable, CustomStringConvertible {
    case unknownSite(String)
    case unknownTenant(String)
    case store(StoreError)

    public var description: String {
        switch self {
        case .unknownSite(let uid): "unknown Datto site '\(uid)': run 'switchboard datto sites' to list the sites Datto has"
        case .unknownTenant(let tenant): "unknown tenant '\(tenant)': add it with 'switchboard tenants add \(tenant)'"
        case .store(let error): error.description
        }
    }
}

extension SQLiteStore {
    /// Records the sites Datto lists: new ones start unmapped, known ones get their current name
    /// and device count. Returns every known site.
    public func recordSites(_ sites: [ListedSite], at date: Date) throws(StoreError) -> [DattoSite] {
        try write { db in
            for site in sites {
                try db.cachedStatement(sql: """
                    INSERT INTO datto_sites (uid, name, mapping, devices, first_seen) VALUES (?, ?, 'unmapped', ?, ?)
                    ON CONFLICT(uid) DO UPDATE SET name = excluded.name, devices = excluded.devices
                    """).execute(arguments: [site.uid, site.name, site.devices, date.timeIntervalSince1970])
            }
            return try DattoSite.fetchAll(db, sql: "SELECT * FROM datto_sites ORDER BY name, uid")
        }
    }

    /// Every known Datto site, by name.
    public func dattoSites() throws(StoreError) -> [DattoSite] {
        try read { db in try DattoSite.fetchAll(db, sql: "SELECT * FROM datto_sites ORDER BY name, uid") }
    }

    /// Maps a site to a tenant (`tenant` given) or ignores it (nil), committed with `audit`
    /// (its `tenant` and `site` filled in).
    public func setSiteMapping(_ uid: String, tenant: String?, audit: AuditEntry) throws(SiteMappingError) -> DattoSite {
        do {
            return try pool.write { db in
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM datto_sites WHERE uid = ?", arguments: [uid]) == true else {
                    throw SiteMappingError.unknownSite(uid)
                }
                if let tenant, try Bool.fetchOne(db, sql: "SELECT 1 FROM tenants WHERE id = ?", arguments: [tenant]) != true {
                    throw SiteMappingError.unknownTenant(tenant)
                }
                guard let site = try DattoSite.fetchOne(db, sql: "UPDATE datto_sites SET mapping = ?, tenant = ? WHERE uid = ? RETURNING *",
                                                        arguments: [tenant == nil ? "ignored" : "mapped", tenant, uid]) else {
                    throw SiteMappingError.unknownSite(uid)
                }
                var entry = audit
                entry.tenant = tenant
                entry.site = uid
                try Self.append([entry], in: db)
                return site
            }
        } catch let error as SiteMappingError {
            throw error
        } catch {
            throw .store(StoreError(path: path, reason: "\(error)"))
        }
    }

    /// Marks unmapped sites as flagged (their failure alert raised), committed with `audit`.
    public func flagSites(_ uids: [String], at date: Date, audit: [AuditEntry]) throws(StoreError) {
        try write { db in
            for uid in uids {
                try db.execute(sql: "UPDATE datto_sites SET flagged_at = ? WHERE uid = ? AND flagged_at IS NULL", arguments: [date.timeIntervalSince1970, uid])
            }
            try Self.append(audit, in: db)
        }
    }
}

extension DattoSite: FetchableRecord {
    public init(row: Row) throws {
        uid = row["uid"]
        name = row["name"]
        mapping = Mapping(rawValue: row["mapping"]) ?? .unmapped
        tenant = row["tenant"]
        devices = row["devices"]
        firstSeen = Date(timeIntervalSince1970: row["first_seen"])
        flaggedAt = (row["flagged_at"] as Double?).map(Date.init(timeIntervalSince1970:))
    }
}
