import Foundation
import SwitchboardStore
import Testing

/// Selecting audit entries: each filter alone, together, and the tenant scope that never widens.
/// The seeded trail has one entry a day from 2026-11-20 (sequence 1) to 2026-11-26 (sequence 7).
@Suite struct AuditFilterTests {
    let sandbox: AuditSandbox

    init() throws {
        sandbox = try AuditSandbox()
        try sandbox.seed()
    }

    func sequences(_ filter: AuditFilter, limit: Int? = nil) throws -> [Int64] {
        try sandbox.store.auditEntries(filter, limit: limit).map(\.sequence)
    }

    @Test func noFilterSelectsEverythingInSequenceOrder() throws {
        #expect(try sequences(AuditFilter()) == [1, 2, 3, 4, 5, 6, 7])
        #expect(try sequences(AuditFilter(), limit: 2) == [1, 2])
        #expect(try sequences(AuditFilter(), limit: 0) == [])
    }

    @Test func periodIncludesItsStartAndExcludesItsEnd() throws {
        #expect(try sequences(AuditFilter(since: AuditSandbox.date("2026-11-22T10:00:00Z"))) == [3, 4, 5, 6, 7])
        #expect(try sequences(AuditFilter(until: AuditSandbox.date("2026-11-22T10:00:00Z"))) == [1, 2])
        #expect(try sequences(AuditFilter(since: AuditSandbox.date("2026-11-21T00:00:00Z"), until: AuditSandbox.date("2026-11-23T00:00:00Z")))
                == [2, 3])
    }

    @Test func eventsMatchExactlyOrByDottedPrefix() throws {
        #expect(try sequences(AuditFilter(events: ["datto.sync.completed"])) == [4])
        #expect(try sequences(AuditFilter(events: ["datto.action"])) == [])
        // Neither `datto.actionable` nor `Datto.action.executed` is under `datto.action.`.
        #expect(try sequences(AuditFilter(events: ["datto.action.*"])) == [1, 2, 3])
        #expect(try sequences(AuditFilter(events: ["datto.*"])) == [1, 2, 3, 4, 6])
        #expect(try sequences(AuditFilter(events: ["datto.action.*", "delivery.attempted"])) == [1, 2, 3, 5])
        // `_` and `%` are not wildcards.
        #expect(try sequences(AuditFilter(events: ["datto_action.*", "datto.%"])) == [])
    }

    @Test func tenantScopeNeverWidens() throws {
        #expect(try sequences(AuditFilter(tenants: nil)) == [1, 2, 3, 4, 5, 6, 7])
        #expect(try sequences(AuditFilter(tenants: ["acme"])) == [1, 2, 6, 7])
        #expect(try sequences(AuditFilter(tenants: ["acme", "globex"])) == [1, 2, 3, 4, 6, 7])
        #expect(try sequences(AuditFilter(tenants: ["initech"])) == [])
        // An empty set is no tenant at all: not even the entries that have no tenant.
        #expect(try sequences(AuditFilter(tenants: [])) == [])
        #expect(try sequences(AuditFilter(events: ["delivery.attempted"], tenants: [])) == [])
    }

    @Test func siteActorAndOutcomeMatchExactly() throws {
        #expect(try sequences(AuditFilter(site: "hq")) == [1, 2, 6, 7])
        #expect(try sequences(AuditFilter(site: "HQ")) == [])
        #expect(try sequences(AuditFilter(actor: "bob")) == [3])
        #expect(try sequences(AuditFilter(outcome: "executed")) == [2, 6, 7])
        #expect(try sequences(AuditFilter(outcome: "denied")) == [3])
    }

    @Test func filtersCombine() throws {
        let filter = AuditFilter(since: try AuditSandbox.date("2026-11-21T00:00:00Z"), until: try AuditSandbox.date("2026-11-27T00:00:00Z"),
                                 events: ["datto.action.*", "datto.actionable"], tenants: ["acme", "globex"], site: "hq", actor: "alice",
                                 outcome: "executed")
        #expect(try sequences(filter) == [2, 6])
        #expect(try sequences(filter, limit: 1) == [2])
        let entry = try #require(try sandbox.store.auditEntries(filter, limit: 1).first)
        #expect(entry.entry == AuditEntry(event: "datto.action.executed", tenant: "acme", actor: "alice", ticket: "T-1", device: "local",
                                          action: "reboot", site: "hq", outcome: "executed", durationMilliseconds: 812.5))
        #expect(entry.time == "2026-11-21T10:00:00.000Z")
    }

    @Test func streamingStopsAtTheBodysErrorAndRethrowsIt() throws {
        struct Full: Error, Equatable {}
        var seen: [Int64] = []
        #expect(throws: Full()) {
            try sandbox.store.forEachAuditEntry(AuditFilter(tenants: ["acme"]), limit: nil) { recorded in
                seen.append(recorded.sequence)
                if seen.count == 2 { throw Full() }
            }
        }
        #expect(seen == [1, 2])
        var all: [Int64] = []
        try sandbox.store.forEachAuditEntry(AuditFilter(tenants: ["acme"]), limit: 3) { all.append($0.sequence) }
        #expect(all == [1, 2, 6])
    }
}
