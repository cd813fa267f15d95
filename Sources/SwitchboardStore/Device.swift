import Foundation
import GRDB

/// A device in the CMDB: synced from a platform (Datto RMM), or the `local` device, the machine
/// Switchboard runs on.
public struct Device: Sendable, Equatable {
    /// Our id: `local`, or `<platform>:<externalID>` for a synced device.
    public let id: String
    public let tenant: String
    /// `local`, a platform name such as `datto`, or nil when the device has no platform to act through.
    public let platform: String?
    /// The platform's own id for the device (Datto: the device uid); `local` for the local device.
    public let externalID: String?
    public let name: String
    public let location: String?
    /// `workstation`, `server`, `network_device`, `printer` or `other`.
    public let ciType: String
    public let operatingSystem: String?
    public let status: String?
    public let lastSync: Date?
    /// The platform site the device belongs to (a Datto site uid).
    public let site: String?
    /// When a complete sync last found the device gone from its platform (it is kept, not deleted).
    public let goneAt: Date?

    public init(id: String, tenant: String, platform: String?, externalID: String?, name: String, location: String? = nil,
                ciType: String = "other", operatingSystem: String? = nil, status: String? = nil, lastSync: Date? = nil,
                site: String? = nil, goneAt: Date? = nil) {
        self.id = id
        self.tenant = tenant
        self.platform = platform
        self.externalID = externalID
        self.name = name
        self.location = location
        self.ciType = ciType
        self.operatingSystem = operatingSystem
        self.status = status
        self.lastSync = lastSync
        self.site = site
        self.goneAt = goneAt
    }

    /// The id of the machine Switchboard runs on.
    public static let localID = "local"
}

/// The CMDB's devices.
public protocol DeviceStore: Sendable {
    /// Adds or updates a device by id, committed together with `audit`.
    func saveDevice(_ device: Device, audit: [AuditEntry]) throws(StoreError)
    /// The devices of the given tenants (every tenant when nil; none when empty).
    func devices(tenants: Set<String>?) throws(StoreError) -> [Device]
}

extension SQLiteStore: DeviceStore {
    public func saveDevice(_ device: Device, audit: [AuditEntry]) throws(StoreError) {
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM tenants WHERE id = ?", arguments: [device.tenant]) == true else {
                throw StoreError(path: path, reason: "unknown tenant '\(device.tenant)'")
            }
            try db.execute(sql: """
                INSERT INTO devices (id, tenant, platform, external_id, name, location, ci_type, os, status, last_sync, site, gone_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET tenant = excluded.tenant, platform = excluded.platform, external_id = excluded.external_id,
                    name = excluded.name, location = excluded.location, ci_type = excluded.ci_type, os = excluded.os,
                    status = excluded.status, last_sync = excluded.last_sync, site = excluded.site, gone_at = excluded.gone_at
                """, arguments: [device.id, device.tenant, device.platform, device.externalID, device.name, device.location, device.ciType,
                                 device.operatingSystem, device.status, device.lastSync?.timeIntervalSince1970, device.site,
                                 device.goneAt?.timeIntervalSince1970])
            try Self.append(audit, in: db)
        }
    }

    public func devices(tenants: Set<String>?) throws(StoreError) -> [Device] {
        if let tenants, tenants.isEmpty { return [] }
        return try read { db in
            if let tenants {
                return try Device.fetchAll(db, sql: "SELECT * FROM devices WHERE tenant IN (\(tenants.map { _ in "?" }.joined(separator: ","))) ORDER BY id",
                                           arguments: StatementArguments(tenants.sorted()))
            }
            return try Device.fetchAll(db, sql: "SELECT * FROM devices ORDER BY id")
        }
    }
}

extension Device: FetchableRecord {
    public init(row: Row) throws {
        self.init(id: row["id"], tenant: row["tenant"], platform: row["platform"], externalID: row["external_id"], name: row["name"],
                  location: row["location"], ciType: row["ci_type"], operatingSystem: row["os"], status: row["status"],
                  lastSync: (row["last_sync"] as Double?).map(Date.init(timeIntervalSince1970:)), site: row["site"],
                  goneAt: (row["gone_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
