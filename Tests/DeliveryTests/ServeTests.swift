import Delivery
import Foundation
import PluginHost
import TestSupport
import Testing

/// `switchboard serve`: the outbox keeps moving and the daily summary goes out on time.
@Suite struct ServeTests {
    @Test func dailyScheduleParsesAndFindsTheNextOccurrence() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let schedule = try #require(DailySchedule("07:30"))
        let before = try #require(ISO8601DateFormatter().date(from: "2026-11-23T06:00:00Z"))
        let after = try #require(ISO8601DateFormatter().date(from: "2026-11-23T08:00:00Z"))
        #expect(schedule.next(after: before, calendar: calendar) == ISO8601DateFormatter().date(from: "2026-11-23T07:30:00Z"))
        #expect(schedule.next(after: after, calendar: calendar) == ISO8601DateFormatter().date(from: "2026-11-24T07:30:00Z"))
        #expect(DailySchedule("23:59:59")?.second == 59)
        for bad in ["24:00", "7", "07:60", "07:30:60", "ab:cd", "07:30:00:00", ""] { #expect(DailySchedule(bad) == nil, "\(bad)") }
    }

    @Test func serveDrainsTheOutboxAndSendsTheDailySummary() async throws {
        let emulator = try await PlatformEmulator.start()
        emulator.reply("/hook", .init(status: 200, body: "ok"))
        let sandbox = try DeliverySandbox()
        let configuration = targets(#"{"Name": "hook", "Enabled": true, "APIEndpoint": "\#(emulator.url)/hook"}"#)
        try sandbox.file("config.json", configuration)
        let results = try sandbox.file("results.json", #"{"modules": 4, "issuesFound": 2, "remediated": 2, "failed": 0}"#)
        // An alert left in the outbox by an earlier command.
        let (engine, _) = try sandbox.engine(configuration)
        let queued = try engine.enqueue(alert: AlertEvent(severity: .error, module: "Disk", message: "C: full"))
        #expect(queued.count == 1)

        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        let at = formatter.string(from: Date().addingTimeInterval(3))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Paths.products + "/switchboard")
        process.arguments = ["serve", "--port", "0", "--results", results, "--summary-at", at]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") }
        environment["SWITCHBOARD_HOME"] = sandbox.root
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        var received: [PlatformEmulator.Recorded] = []
        for _ in 0..<150 where received.count < 2 {
            try await Task.sleep(for: .milliseconds(100))
            received = emulator.requests(to: "/hook")
        }
        #expect(received.count == 2)
        #expect(received.first?.headers["idempotency-key"] == queued.first?.idempotencyKey)
        let report = try #require(received.last?.json?["report"] as? [String: Any])
        #expect(report["modules"] as? Int == 4)
        #expect(report["remediated"] as? Int == 2)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        await emulator.stop()
    }
}
