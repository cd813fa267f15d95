import ArgumentParser
import Delivery
import Foundation
import PluginHost
import SwitchboardStore

/// `switchboard outbox list|retry|purge|flush`.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "outbox", abstract: "Inspect and manage the durable outbox.",
                                                    subcommands: [List.self, Retry.self, Purge.self, Flush.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List outbox messages (errors are stored with secrets redacted).")
        @Option(help: "pending, sending, delivered or dead.") var status: String?
        @Option(help: "At most this many messages.") var limit: Int = 100
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if let status, OutboxMessage.Status(rawValue: status) == nil {
                throw ValidationError("--status: expected pending, sending, delivered or dead, got '\(status)'")
            }
        }

        func run() async throws {
            let messages = try SQLiteStore.openInDataDirectory().messages(status: status.flatMap(OutboxMessage.Status.init), limit: limit)
            if json {
                print(JSONValue.array(messages.map(OutboxFormat.json)).text(pretty: true))
                return
            }
            for message in messages {
                print("#\(message.id) \(message.kind) \(message.status.rawValue) attempts=\(message.attempts) \(OutboxFormat.line(message))")
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make dead messages (all, or the given ids) pending again and deliver them.")
        @Argument(help: "Message ids; default: every dead message.") var ids: [Int64] = []
        @Option(help: "Seconds to keep retrying (default 30).") var wait: Int = 30
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: DeliveryOptions

        func run() async throws {
            let context = try options.context()
            let dead = ids.isEmpty ? try context.store.messages(status: .dead, limit: Int.max).map(\.id) : ids
            let revived = try context.store.retry(ids: dead, now: Date())
            printError("\(revived) message\(revived == 1 ? "" : "s") pending again")
            try OutboxFormat.report(await context.engine.deliver(among: dead, patience: .seconds(Int64(wait))), json: json)
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete delivered and/or dead messages.")
        @Flag(help: "Delete delivered messages.") var delivered = false
        @Flag(help: "Delete dead messages.") var dead = false
        @Option(name: .customLong("older-than"), help: "Only messages last updated more than this many days ago.") var olderThan: Double?

        func validate() throws {
            guard delivered || dead else { throw ValidationError("say what to purge: --delivered, --dead, or both") }
        }

        func run() async throws {
            let statuses = (delivered ? [OutboxMessage.Status.delivered] : []) + (dead ? [.dead] : [])
            let count = try SQLiteStore.openInDataDirectory().purge(statuses: statuses, before: olderThan.map { Date().addingTimeInterval(-$0 * 86400) })
            print("purged \(count) message\(count == 1 ? "" : "s")")
        }
    }

    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliver every message that is due (for example after a restart).")
        @Option(help: "Seconds to keep retrying (default 30).") var wait: Int = 30
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: DeliveryOptions

        func run() async throws {
            let context = try options.context()
            try OutboxFormat.report(await context.engine.deliver(among: nil, patience: .seconds(Int64(wait))), json: json)
        }
    }
}
