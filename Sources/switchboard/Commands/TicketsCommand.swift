import Access
import ArgumentParser
import Foundation
import PluginHost
import SwitchboardStore

/// `switchboard tickets create|list|show|note|update`. With `--as PRINCIPAL` every query is scoped
/// to the tenants where the principal holds tickets:read (tickets:write to change); without it the
/// operator of the installation acts.
struct TicketsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tickets", abstract: "Create, read and update tickets.",
                                                    subcommands: [Create.self, List.self, Show.self, Note.self, Update.self])

    struct Caller: ParsableArguments {
        @Option(name: .customLong("as"), help: ArgumentHelp("The principal asking; default: the operator of this installation.", valueName: "principal")) var principal: String?
        var actor: String { principal ?? Operator.actor }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open a ticket.")
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "What the ticket is about.") var title: String
        @Option(help: "The linked device's id (see `switchboard devices list`; `local` for this machine).") var device: String?
        @Option(help: "low, medium, high or critical.") var priority: Ticket.Priority = .medium
        @Option(help: "A category (Performance, Hardware, Network, Security, Update, ...).") var category: String?
        @Option(help: "The assignment queue.") var queue: String?
        @OptionGroup var caller: Caller
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: AccessOptions

        func validate() throws {
            guard !title.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--title must not be empty") }
        }

        func run() async throws {
            let context = try options.context()
            try context.require(caller.principal, "tickets:write", in: tenant, event: "ticket.denied", subject: nil)
            let new = NewTicket(tenant: tenant, title: title, priority: priority,
                                category: category, queue: queue, device: device)
            let ticket = try storing { () throws(StoreError) in
                try context.store.createTicket(new, audit: [AuditEntry(event: "ticket.created", tenant: tenant, actor: caller.actor,
                                                                       outcome: "ok")])
            }
            try TicketFormat.print(ticket, notes: [], json: json)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tickets.")
        @Option(help: "Only this tenant's tickets.") var tenant: String?
        @Option(help: "Only tickets with this status (new, open, in-progress, resolved, closed).") var status: Ticket.Status?
        @Option(help: "At most this many.") var limit: Int = 100
        @OptionGroup var caller: Caller
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: AccessOptions

        func run() async throws {
            let context = try options.context()
            var scope = try context.scope(caller.principal, "tickets:read")
            if let tenant { scope = (scope ?? [tenant]).intersection([tenant]) }
            let tickets = try storing { () throws(StoreError) in
                try context.store.tickets(tenants: scope, status: status, limit: limit)
            }
            if json {
                Swift.print(JSONValue.array(tickets.map { TicketFormat.json($0, notes: nil) }).text(pretty: true))
            } else {
                tickets.forEach { Swift.print(TicketFormat.line($0)) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a ticket with its notes.")
        @Argument(help: "The ticket id.") var id: Int64
        @OptionGroup var caller: Caller
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: AccessOptions

        func run() async throws {
            let context = try options.context()
            let ticket = try TicketFormat.find(id, caller: caller, permission: "tickets:read", context: context)
            let notes = try storing { () throws(StoreError) in try context.store.notes(ticket: id) }
            try TicketFormat.print(ticket, notes: notes, json: json)
        }
    }

    struct Note: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a note to a ticket.")
        @Argument(help: "The ticket id.") var id: Int64
        @Option(help: "The note.") var text: String
        @OptionGroup var caller: Caller
        @OptionGroup var options: AccessOptions

        func run() async throws {
            let context = try options.context()
            let ticket = try TicketFormat.find(id, caller: caller, permission: "tickets:write", context: context)
            let note = try storing { () throws(StoreError) in
                try context.store.addNote(ticket: id, author: caller.actor, text: text, correlationID: nil, audit: [
                    AuditEntry(event: "ticket.note.added", tenant: ticket.tenant, actor: caller.actor, ticket: String(id), outcome: "ok"),
                ])
            }
            Swift.print("added note \(note.id) to ticket \(id)")
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a ticket's status, priority, category or queue.")
        @Argument(help: "The ticket id.") var id: Int64
        @Option(help: "new, open, in-progress, resolved or closed.") var status: Ticket.Status?
        @Option(help: "low, medium, high or critical.") var priority: Ticket.Priority?
        @Option(help: "A category.") var category: String?
        @Option(help: "The assignment queue.") var queue: String?
        @OptionGroup var caller: Caller
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: AccessOptions

        func validate() throws {
            guard status != nil || priority != nil || category != nil || queue != nil else {
                throw ValidationError("say what to change: --status, --priority, --category or --queue")
            }
        }

        func run() async throws {
            let context = try options.context()
            let ticket = try TicketFormat.find(id, caller: caller, permission: "tickets:write", context: context)
            let changes = TicketChanges(status: status, priority: priority, category: category, queue: queue)
            var details: [String: String] = [:]
            for (name, value) in [("status", status?.rawValue), ("priority", priority?.rawValue), ("category", category), ("queue", queue)] {
                details[name] = value
            }
            let updated = try storing { () throws(StoreError) in
                try context.store.updateTicket(id: id, changes, audit: [
                    AuditEntry(event: "ticket.updated", tenant: ticket.tenant, actor: caller.actor, ticket: String(id), outcome: "ok", details: details),
                ])
            }
            try TicketFormat.print(updated, notes: nil, json: json)
        }
    }
}

enum TicketFormat {
    /// The ticket if the caller may see it with `permission`; one message for "no such ticket"
    /// and "not in your tenants", so a principal cannot probe other tenants' ticket ids.
    static func find(_ id: Int64, caller: TicketsCommand.Caller, permission: String, context: AccessContext) throws -> Ticket {
        let ticket = try storing { () throws(StoreError) in try context.store.ticket(id: id, tenants: nil) }
        if let principal = caller.principal {
            let decision = context.access.decide(principal: principal, permission: permission, tenant: ticket?.tenant)
            guard let ticket, decision.allowed else {
                try context.audit([AuditEntry(event: "ticket.denied", tenant: ticket?.tenant, actor: principal, ticket: String(id),
                                              outcome: "denied", error: ticket == nil ? "no such ticket" : decision.reason)])
                printError("ticket \(id): no such ticket among the tenants where \(principal) holds \(permission)")
                throw ExitCode.failure
            }
            return ticket
        }
        guard let ticket else {
            printError("ticket \(id): no such ticket")
            throw ExitCode.failure
        }
        return ticket
    }

    static func line(_ ticket: Ticket) -> String {
        "#\(ticket.id)\t\(ticket.tenant)\t\(ticket.status.rawValue)\t\(ticket.priority.rawValue)\t\(ticket.device ?? "-")\t\(ticket.title)"
    }

    static func print(_ ticket: Ticket, notes: [TicketNote]?, json: Bool) throws {
        if json {
            Swift.print(Self.json(ticket, notes: notes).text(pretty: true))
            return
        }
        Swift.print("ticket #\(ticket.id): \(ticket.title)")
        Swift.print("  tenant \(ticket.tenant), status \(ticket.status.rawValue), priority \(ticket.priority.rawValue)"
                    + (ticket.category.map { ", category \($0)" } ?? "") + (ticket.queue.map { ", queue \($0)" } ?? "")
                    + (ticket.device.map { ", device \($0)" } ?? "") + (ticket.assignee.map { ", assigned to \($0)" } ?? ""))
        for note in notes ?? [] {
            Swift.print("  [\(note.createdAt.formatted(.iso8601))] \(note.author): \(note.text)")
        }
    }

    static func json(_ ticket: Ticket, notes: [TicketNote]?) -> JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        var object: [String: JSONValue] = [
            "id": .integer(ticket.id), "tenant": .string(ticket.tenant), "title": .string(ticket.title), "status": .string(ticket.status.rawValue),
            "priority": .string(ticket.priority.rawValue), "category": text(ticket.category), "queue": text(ticket.queue), "device": text(ticket.device),
            "assignee": text(ticket.assignee), "createdAt": .string(ticket.createdAt.formatted(.iso8601)),
            "updatedAt": .string(ticket.updatedAt.formatted(.iso8601)), "resolvedAt": text(ticket.resolvedAt.map { $0.formatted(.iso8601) }),
        ]
        if let notes {
            object["notes"] = .array(notes.map {
                .object(["id": .integer($0.id), "author": .string($0.author), "text": .string($0.text), "correlationId": text($0.correlationID),
                         "createdAt": .string($0.createdAt.formatted(.iso8601))])
            })
        }
        return .object(object)
    }
}

extension Ticket.Priority: ExpressibleByArgument {}
extension Ticket.Status: ExpressibleByArgument {}
