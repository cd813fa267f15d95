import Foundation
import GRDB

/// A device as a page of Datto's device list brings it, already mapped to CMDB fields.
public struct SyncedDevice: Sendable, Equatable {
    /// Datto's device uid (the CMDB's external id).
    public let uid: String
    public let name: String
    public let siteUid: String
    /// The site's name, the device's location in the CMDB.
    public let location: String?
    public let ciType: String
    public let operatingSystem: String?
    public let status: String
    public let lastSeen: Date?

    public init(uid: String, name: String, siteUid: String, location: String?, ciType: String, operatingSystem: String?,
                status: String, lastSeen: Date?) {
        self.uid = uid
        self.name = name
        self.siteUid = siteUid
        self.location = location
        self.ciType = ciType
        self.operatingSystem = operatingSystem
        self.status = status
        self.lastSeen = lastSeen
    }

    /// The CMDB id of a Datto device.
    public static func deviceID(_ uid: String) -> String { "datto:\(uid)" }
}

/// One run of the device sync, as recorded while it goes and when it ends.
public struct SyncRun: Sendable, Equatable {
    public enum Outcome: String, Sendable { case running, completed, failed }

    public let id: Int64
    public let startedAt: Date
    public let finishedAt: Date?
    public let outcome: Outcome
    public let pages: Int
    public let created: Int
    public let updated: Int
    public let unchanged: Int
    /// Devices of unmapped or ignored sites, not imported.
    public let skipped: Int
    /// Devices marked gone (no longer in Datto) when the run completed.
    public let gone: Int
    public let error: String?
}

/// What applying one page did.
public struct PageCounts: Sendable, Equatable {
    public var created = 0, updated = 0, unchanged = 0, skipped = 0

    public init() {}
}

extension SQLiteStore {
    /// Starts a sync run, committed with `audit` (`datto.sync.started`). A run left `running` by a
    /// process that died is closed as failed first.
    public func startSync(at date: Date, audit: AuditEntry) throws(StoreError) -> Int64 {
        try write { db in
            try db.execute(sql: "UPDATE datto_syncs SET outcome = 'failed', finished_at = ?, error = 'interrupted: the process ended during the sync' WHERE outcome = 'running'",
                           arguments: [date.timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO datto_syncs (started_at, outcome) VALUES (?, 'running')", arguments: [date.timeIntervalSince1970])
            let id = db.lastInsertedRowID
            var entry = audit
            entry.details["sync"] = String(id)
            try Self.append([entry], in: db)
            return id
        }
    }

    /// Applies one page of devices in one transaction: devices of mapped sites are created or
    /// updated (`datto.device.created` / `datto.device.updated`, by `actor`), devices of other
    /// sites are only counted. A change of `lastSeen` alone updates the device without an audit
    /// entry (it changes on every sync).
    public func applyDevicePage(_ devices: [SyncedDevice], sync: Int64, actor: String, at date: Date) throws(StoreError) -> PageCounts {
        try write { db in
            let tenants = try Dictionary(Row.fetchAll(db.cachedStatement(sql: "SELECT uid, tenant FROM datto_sites WHERE mapping = 'mapped'"))
                .map { ($0["uid"] as String, $0["tenant"] as String) }, uniquingKeysWith: { first, _ in first })
            var counts = PageCounts()
            var audit: [AuditEntry] = []
            for device in devices {
                let id = SyncedDevice.deviceID(device.uid)
                guard let tenant = tenants[device.siteUid] else {
                    counts.skipped += 1
                    // Known before its site was unmapped or ignored: still there, so not gone.
                    try db.cachedStatement(sql: "UPDATE devices SET synced_by = ? WHERE id = ?").execute(arguments: [sync, id])
                    continue
                }
                let existing = try Device.fetchOne(db.cachedStatement(sql: "SELECT * FROM devices WHERE id = ?"), arguments: [id])
                let fresh = Device(id: id, tenant: tenant, platform: "datto", externalID: device.uid, name: device.name, location: device.location,
                                   ciType: device.ciType, operatingSystem: device.operatingSystem, status: device.status, lastSync: device.lastSeen,
                                   site: device.siteUid)
                try db.cachedStatement(sql: """
                    INSERT INTO devices (id, tenant, platform, external_id, name, location, ci_type, os, status, last_sync, site, gone_at, synced_by)
                    VALUES (?, ?, 'datto', ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
                    ON CONFLICT(id) DO UPDATE SET tenant = excluded.tenant, platform = excluded.platform, external_id = excluded.external_id,
                        name = excluded.name, location = excluded.location, ci_type = excluded.ci_type, os = excluded.os,
                        status = excluded.status, last_sync = excluded.last_sync, site = excluded.site, gone_at = NULL, synced_by = excluded.synced_by
                    """).execute(arguments: [id, tenant, device.uid, device.name, device.location, device.ciType, device.operatingSystem,
                                             device.status, device.lastSeen?.timeIntervalSince1970, device.siteUid, sync])
                guard let existing else {
                    counts.created += 1
                    audit.append(AuditEntry(event: "datto.device.created", tenant: tenant, actor: actor, device: id, site: device.siteUid,
                                            outcome: "created", details: ["name": device.name, "ciType": device.ciType, "sync": String(sync)]))
                    continue
                }
                let changed = Self.changedFields(from: existing, to: fresh)
                guard !changed.isEmpty else {
                    counts.unchanged += 1
                    continue
                }
                counts.updated += 1
                audit.append(AuditEntry(event: "datto.device.updated", tenant: tenant, actor: actor, device: id, site: device.siteUid,
                                        outcome: "updated", details: ["changed": changed.joined(separator: ","), "sync": String(sync)]))
            }
            try db.cachedStatement(sql: """
                UPDATE datto_syncs SET pages = pages + 1, created = created + ?, updated = updated + ?, unchanged = unchanged + ?, skipped = skipped + ?
                WHERE id = ?
                """).execute(arguments: [counts.created, counts.updated, counts.unchanged, counts.skipped, sync])
            try Self.append(audit, in: db, at: date)
            return counts
        }
    }

    /// The CMDB fields (other than `last_sync`) that differ, by name; `returned` when the device was gone.
    static func changedFields(from old: Device, to new: Device) -> [String] {
        var changed: [String] = []
        if old.tenant != new.tenant { changed.append("tenant") }
        if old.name != new.name { changed.append("name") }
        if old.location != new.location { changed.append("location") }
        if old.ciType != new.ciType { changed.append("ci_type") }
        if old.operatingSystem != new.operatingSystem { changed.append("os") }
        if old.status != new.status { changed.append("status") }
        if old.site != new.site { changed.append("site") }
        if old.goneAt != nil { changed.append("returned") }
        return changed
    }

    /// Ends a sync run. A completed run marks the Datto devices it did not see as gone
    /// (`datto.device.gone` each; they stay in the CMDB) and records `completion` with the counts;
    /// a failed one marks nothing (a partial list says nothing about what is gone).
    public func finishSync(_ id: Int64, error: String?, at date: Date, completion: AuditEntry) throws(StoreError) -> SyncRun {
        try write { db in
            let now = date.timeIntervalSince1970
            var audit: [AuditEntry] = []
            var gone = 0
            if error == nil {
                let rows = try Row.fetchAll(db, sql: """
                    UPDATE devices SET gone_at = ? WHERE platform = 'datto' AND gone_at IS NULL AND (synced_by IS NULL OR synced_by != ?)
                    RETURNING id, tenant, site
                    """, arguments: [now, id])
                gone = rows.count
                audit = rows.map {
                    AuditEntry(event: "datto.device.gone", tenant: $0["tenant"], actor: completion.actor, device: $0["id"], site: $0["site"],
                               outcome: "gone", details: ["sync": String(id)])
                }
            }
            guard let run = try SyncRun.fetchOne(db, sql: """
                UPDATE datto_syncs SET outcome = ?, finished_at = ?, error = ?, gone = ? WHERE id = ? RETURNING *
                """, arguments: [error == nil ? "completed" : "failed", now, error, gone, id]) else {
                throw StoreError(path: path, reason: "unknown sync run \(id)")
            }
            var entry = completion
            entry.error = error
            entry.details.merge(["sync": String(id), "pages": String(run.pages), "created": String(run.created), "updated": String(run.updated),
                                 "unchanged": String(run.unchanged), "skipped": String(run.skipped), "gone": String(gone)]) { given, _ in given }
            try Self.append(audit + [entry], in: db, at: date)
            return run
        }
    }

    /// The latest sync runs, newest first.
    public func syncRuns(limit: Int) throws(StoreError) -> [SyncRun] {
        try read { db in try SyncRun.fetchAll(db, sql: "SELECT * FROM datto_syncs ORDER BY id DESC LIMIT ?", arguments: [limit]) }
    }
}

extension SyncRun: FetchableRecord {
    public init(row: Row) throws {
        id = row["id"]
        startedAt = Date(timeIntervalSince1970: row["started_at"])
        finishedAt = (row["finished_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        outcome = Outcome(rawValue: row["outcome"]) ?? .failed
        pages = row["pages"]
        created = row["created"]
        updated = row["updated"]
        unchanged = row["unchanged"]
        skipped = row["skipped"]
        gone = row["gone"]
        error = row["error"]
    }
}
