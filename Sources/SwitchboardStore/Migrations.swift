import GRDB

extension SQLiteStore {
    /// Every schema change, in order. Never edit a registered migration: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1-outbox") { db in
            try db.execute(sql: """
                CREATE TABLE outbox_messages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    idempotency_key TEXT NOT NULL UNIQUE,
                    correlation_id TEXT NOT NULL,
                    target TEXT NOT NULL,
                    platform TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'dead')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL NOT NULL,
                    lease_until REAL,
                    last_http_status INTEGER,
                    last_error TEXT,
                    remote_id TEXT,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    delivered_at REAL
                );
                CREATE INDEX outbox_due ON outbox_messages(status, next_attempt_at);
                """)
        }
        migrator.registerMigration("2-audit") { db in
            try db.execute(sql: """
                CREATE TABLE audit_log (
                    sequence INTEGER PRIMARY KEY,
                    time TEXT NOT NULL,
                    event TEXT NOT NULL,
                    tenant TEXT,
                    actor TEXT,
                    subject TEXT,
                    plugin TEXT,
                    plugin_sha256 TEXT,
                    parameters_digest TEXT,
                    outcome TEXT,
                    duration_ms REAL,
                    error TEXT,
                    correlation_id TEXT,
                    details TEXT NOT NULL,
                    previous_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE INDEX audit_event ON audit_log(event, time);
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                """)
        }
        // Tickets, devices, actions and sites get their own columns, and each entry records the
        // hash format it was written with: existing entries are format 1 and keep verifying.
        migrator.registerMigration("3-audit-subjects") { db in
            try db.execute(sql: """
                ALTER TABLE audit_log ADD COLUMN ticket TEXT;
                ALTER TABLE audit_log ADD COLUMN device TEXT;
                ALTER TABLE audit_log ADD COLUMN action TEXT;
                ALTER TABLE audit_log ADD COLUMN site TEXT;
                ALTER TABLE audit_log ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
                CREATE INDEX audit_time ON audit_log(time);
                CREATE INDEX audit_tenant ON audit_log(tenant, time);
                """)
        }
        migrator.registerMigration("4-tenancy") { db in
            try db.execute(sql: """
                CREATE TABLE tenants (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE principals (
                    name TEXT PRIMARY KEY,
                    kind TEXT NOT NULL CHECK (kind IN ('technician', 'api-client')),
                    display_name TEXT,
                    created_at REAL NOT NULL
                );
                CREATE TABLE access_rules (
                    principal TEXT NOT NULL,
                    tenant TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                    effect TEXT NOT NULL CHECK (effect IN ('grant', 'deny')),
                    subject TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (principal, tenant, effect, subject)
                );
                -- Bumped by every change to tenants, principals and rules, so cached policies reload.
                CREATE TABLE access_generation (generation INTEGER NOT NULL);
                INSERT INTO access_generation VALUES (0);
                """)
            for table in ["tenants", "principals", "access_rules"] {
                for change in ["INSERT", "UPDATE", "DELETE"] {
                    try db.execute(sql: """
                        CREATE TRIGGER \(table)_\(change.lowercased())_generation AFTER \(change) ON \(table)
                            BEGIN UPDATE access_generation SET generation = generation + 1; END
                        """)
                }
            }
        }
        migrator.registerMigration("5-tickets-devices") { db in
            try db.execute(sql: """
                CREATE TABLE devices (
                    id TEXT PRIMARY KEY,
                    tenant TEXT NOT NULL REFERENCES tenants(id),
                    platform TEXT,
                    external_id TEXT,
                    name TEXT NOT NULL,
                    location TEXT,
                    ci_type TEXT NOT NULL,
                    os TEXT,
                    status TEXT,
                    last_sync REAL
                );
                CREATE INDEX devices_tenant ON devices(tenant);
                CREATE TABLE tickets (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    tenant TEXT NOT NULL REFERENCES tenants(id),
                    title TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('new', 'open', 'in-progress', 'resolved', 'closed')),
                    priority TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'critical')),
                    category TEXT,
                    queue TEXT,
                    device TEXT REFERENCES devices(id),
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX tickets_tenant ON tickets(tenant, id);
                CREATE TABLE ticket_notes (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    ticket INTEGER NOT NULL REFERENCES tickets(id),
                    author TEXT NOT NULL,
                    text TEXT NOT NULL,
                    correlation_id TEXT,
                    created_at REAL NOT NULL
                );
                CREATE INDEX ticket_notes_ticket ON ticket_notes(ticket, id);
                """)
        }
        migrator.registerMigration("6-datto") { db in
            try db.execute(sql: """
                CREATE TABLE datto_sites (
                    uid TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    mapping TEXT NOT NULL CHECK (mapping IN ('unmapped', 'mapped', 'ignored')),
                    tenant TEXT REFERENCES tenants(id),
                    devices INTEGER,
                    first_seen REAL NOT NULL,
                    flagged_at REAL,
                    CHECK ((mapping = 'mapped') = (tenant IS NOT NULL))
                );
                ALTER TABLE devices ADD COLUMN site TEXT;
                ALTER TABLE devices ADD COLUMN gone_at REAL;
                ALTER TABLE devices ADD COLUMN synced_by INTEGER;
                CREATE INDEX devices_platform ON devices(platform, gone_at);
                ALTER TABLE tickets ADD COLUMN assignee TEXT;
                ALTER TABLE tickets ADD COLUMN resolved_at REAL;
                CREATE TABLE datto_syncs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    started_at REAL NOT NULL,
                    finished_at REAL,
                    outcome TEXT NOT NULL CHECK (outcome IN ('running', 'completed', 'failed')),
                    pages INTEGER NOT NULL DEFAULT 0,
                    created INTEGER NOT NULL DEFAULT 0,
                    updated INTEGER NOT NULL DEFAULT 0,
                    unchanged INTEGER NOT NULL DEFAULT 0,
                    skipped INTEGER NOT NULL DEFAULT 0,
                    gone INTEGER NOT NULL DEFAULT 0,
                    error TEXT
                );
                CREATE TABLE datto_alerts (
                    uid TEXT PRIMARY KEY,
                    ticket INTEGER NOT NULL REFERENCES tickets(id),
                    tenant TEXT NOT NULL REFERENCES tenants(id),
                    site TEXT NOT NULL,
                    device TEXT,
                    priority TEXT NOT NULL,
                    type TEXT NOT NULL,
                    raised_at REAL,
                    received_at REAL NOT NULL,
                    resolved_at REAL,
                    resolve_due REAL,
                    ticket_resolved_at REAL
                );
                CREATE INDEX datto_alerts_received ON datto_alerts(received_at);
                CREATE INDEX datto_alerts_due ON datto_alerts(resolve_due) WHERE resolve_due IS NOT NULL AND ticket_resolved_at IS NULL;
                CREATE TABLE datto_marks (name TEXT PRIMARY KEY, at REAL NOT NULL);
                """)
        }
        return migrator
    }
}
