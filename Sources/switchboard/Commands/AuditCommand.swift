import ArgumentParser
import Foundation
import PluginHost
import SwitchboardStore

/// `switchboard audit list|export|verify`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Read, export and verify the hash-chained audit trail.",
                                                    subcommands: [List.self, Export.self, Verify.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List audit entries, oldest first.")
        @OptionGroup var filter: AuditFilterOptions
        @Option(help: "At most this many entries (the oldest that match).") var limit: Int?
        @Flag(help: "Print a JSON array of entries with every field, as `audit export --format jsonl` writes them.") var json = false

        func validate() throws {
            if let limit, limit < 0 { throw ValidationError("--limit: expected 0 or more, got \(limit)") }
        }

        func run() async throws {
            let store = try SQLiteStore.openInDataDirectory()
            let filter = try filter.scopedFilter()
            if json {
                try AuditOutput.reporting {
                    let output = try AuditOutput(path: nil)
                    var count = 0
                    try store.forEachAuditEntry(filter, limit: limit) { recorded in
                        try output.add((count == 0 ? "[\n" : ",\n") + AuditExportFormat.jsonl.record(recorded).dropLast())
                        count += 1
                    }
                    try output.add(count == 0 ? "[]\n" : "\n]\n")
                    try output.finish()
                }
                return
            }
            let entries = try AuditOutput.reporting { try store.auditEntries(filter, limit: limit) }
            let header = ["SEQ", "TIME", "EVENT", "TENANT", "ACTOR", "SUBJECT", "OUTCOME", "ERROR"]
            print(TextTable.render(header, entries.map(Self.row)) + (entries.isEmpty ? "\n(no audit entries)" : ""))
        }

        /// The ticket, device and action when the entry has them, else its subject. Control
        /// characters become spaces: fields such as errors hold text from platforms, which must
        /// not move the cursor or break the table.
        static func row(_ recorded: RecordedAuditEntry) -> [String] {
            let entry = recorded.entry
            let about = [("ticket", entry.ticket), ("device", entry.device), ("action", entry.action)]
                .compactMap { name, value in value.map { "\(name)=\($0)" } }
            let cells = [String(recorded.sequence), recorded.time, entry.event, entry.tenant, entry.actor,
                         about.isEmpty ? entry.subject : about.joined(separator: " "), entry.outcome, entry.error]
            return cells.map { cell in
                guard let cell, !cell.isEmpty else { return "-" }
                return String(String.UnicodeScalarView(cell.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export audit entries with every field, including sequence, time, previous hash and hash.",
            discussion: "CSV follows RFC 4180 (a header row, CRLF line ends, an absent value is an empty field); JSON Lines writes one object per line.")
        @Option(help: "csv or jsonl.") var format: String
        @OptionGroup var filter: AuditFilterOptions
        @Option(help: ArgumentHelp("Write to this file (readable by you only) instead of stdout; it is replaced only once the export is complete.",
                                   valueName: "file"))
        var output: String?

        func validate() throws {
            guard AuditExportFormat(rawValue: format) != nil else {
                throw ValidationError("--format: expected csv or jsonl, got '\(format)'")
            }
        }

        func run() async throws {
            let store = try SQLiteStore.openInDataDirectory()
            let filter = try filter.scopedFilter()
            guard let format = AuditExportFormat(rawValue: format) else { throw ExitCode.validationFailure }
            try AuditOutput.reporting {
                let output = try AuditOutput(path: output)
                try output.add(format.header)
                try store.forEachAuditEntry(filter, limit: nil) { try output.add(format.record($0)) }
                try output.finish()
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the hash chain: print the number of entries and the head hash, or name the first bad entry (exit 1).",
            discussion: """
                Finds an edited, deleted, reordered or inserted entry. Deleting the newest entries leaves a shorter chain \
                that is still intact: compare the count and head hash with an earlier run or export.
                """)
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let store = try SQLiteStore.openInDataDirectory()
            let verification = try AuditOutput.reporting { try store.verifyAuditChain() }
            if json {
                let fields: [String: JSONValue] = switch verification {
                case .intact(let entries, let head): ["intact": .bool(true), "entries": .integer(entries), "head": .string(head)]
                case .broken(let problem):
                    ["intact": .bool(false), "sequence": .integer(problem.sequence), "reason": .string(problem.reason.description),
                     "message": .string(problem.description)]
                }
                print(JSONValue.object(fields).text(pretty: true))
            } else {
                print(verification.description)
            }
            if !verification.isIntact { throw ExitCode.failure }
        }
    }
}

/// The filters `audit list` and `audit export` share.
struct AuditFilterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Entries at or after WHEN: 2026-11-23 (midnight UTC), 2026-11-23T10:00:00Z, or a period back from now: 30m, 24h, 7d.",
                               valueName: "when"))
    var since: String?
    @Option(help: ArgumentHelp("Entries before WHEN (same forms as --since).", valueName: "when")) var until: String?
    @Option(name: .customLong("event"), help: ArgumentHelp("An event name, or a prefix pattern such as datto.action.* (repeatable).", valueName: "name"))
    var events: [String] = []
    @Option(name: .customLong("tenant"), help: ArgumentHelp("Only this tenant's entries (repeatable).", valueName: "tenant"))
    var tenants: [String] = []
    @Option(help: "Only entries about this site.") var site: String?
    @Option(help: "Only entries by this actor.") var actor: String?
    @Option(help: "Only entries with this outcome: requested, executed, failed, denied, delivered, ...") var status: String?
    @Option(name: .customLong("as"), help: ArgumentHelp(
        "The principal asking: only entries of the tenants where it holds audit:read; default: the operator (every entry).", valueName: "principal"))
    var principal: String?
    @OptionGroup var access: AccessOptions

    /// The filter, narrowed to the tenants where `--as` holds audit:read (entries with no tenant
    /// are then left out: an empty scope is no tenant, never all).
    func scopedFilter() throws -> AuditFilter {
        var filter = try filter()
        guard let principal else { return filter }
        let allowed = try access.context().scope(principal, "audit:read") ?? []
        filter.tenants = filter.tenants.map { $0.intersection(allowed) } ?? allowed
        return filter
    }

    func validate() throws {
        _ = try filter()
    }

    /// The filter the options describe; relative periods count back from `now`.
    func filter(now: Date = Date()) throws -> AuditFilter {
        for event in events where event.dropLast(event.hasSuffix(".*") ? 1 : 0).contains("*") {
            throw ValidationError("--event: '*' may only end a pattern, after a dot (datto.action.*), got '\(event)'")
        }
        func moment(_ text: String?, option: String) throws -> Date? {
            guard let text else { return nil }
            guard let date = PointInTime.parse(text, now: now) else {
                throw ValidationError("\(option): expected \(PointInTime.expected), got '\(text)'")
            }
            return date
        }
        return AuditFilter(since: try moment(since, option: "--since"), until: try moment(until, option: "--until"), events: events,
                           tenants: tenants.isEmpty ? nil : Set(tenants), site: site, actor: actor, outcome: status)
    }
}

/// Where `audit export` and `audit list --json` write, in large chunks: stdout, or a file that
/// appears, created readable by the owner only, once everything is written.
final class AuditOutput {
    private let descriptor: Int32
    private let path: String?
    private let temporary: String?
    private var buffer: [UInt8] = []
    private var moved = false

    init(path: String?) throws(OutputError) {
        self.path = path
        guard let path else {
            descriptor = STDOUT_FILENO
            temporary = nil
            return
        }
        let temporary = path + ".partial"
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw OutputError(path: path, reason: String(cString: strerror(errno))) }
        self.temporary = temporary
    }

    deinit {
        guard let temporary else { return }
        close(descriptor)
        if !moved { unlink(temporary) }
    }

    func add(_ text: some StringProtocol) throws(OutputError) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Writes what is left and, for a file, moves it into place.
    func finish() throws(OutputError) {
        try flush()
        guard let path, let temporary else { return }
        guard rename(temporary, path) == 0 else { throw OutputError(path: path, reason: String(cString: strerror(errno))) }
        moved = true
    }

    private func flush() throws(OutputError) {
        var offset = 0
        while offset < buffer.count {
            let written = buffer[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw OutputError(path: path ?? "stdout", reason: String(cString: strerror(errno)))
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Runs `body`, printing a store or output failure as one line and exiting 1.
    static func reporting<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            printError(error.description)
        } catch let error as OutputError {
            printError(error.description)
        }
        throw ExitCode.failure
    }
}

/// Output that could not be written.
struct OutputError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): cannot write: \(reason)" }
}
