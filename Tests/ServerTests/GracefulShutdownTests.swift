import Logging
import Server
import Synchronization
import Testing

/// Starting and stopping: `run` throws when it cannot bind; cancelling it shuts the server down
/// gracefully: the listener closes at once, a webhook in flight still gets its answer, and only the
/// grace period cuts a request short.
@Suite struct GracefulShutdownTests {
    @Test func runThrowsWhenThePortIsTaken() async throws {
        let first = try await RunningServer.start()
        var logger = Logger(label: "switchboard.server.test")
        logger.logLevel = .critical
        let second = SwitchboardServer(configuration: ServerConfiguration(port: first.port), receiver: BaselineReceiver(), secret: { nil },
                                       dashboard: { DashboardPage(title: "") }, logger: logger)
        await #expect(throws: (any Error).self) { try await second.run { _ in Issue.record("listening on a taken port") } }
        #expect(try await first.send("GET", "/healthz").status == 200)
    }

    @Test func aWebhookInFlightIsAnsweredAndNewConnectionsAreRefused() async throws {
        let (started, receiverStarted) = AsyncStream<Void>.makeStream()
        let (proceed, letReceiverProceed) = AsyncStream<Void>.makeStream()
        let cancelled = Mutex(false)
        let receiver = RecordingReceiver {
            receiverStarted.yield()
            for await _ in proceed { break }
            try? await Task.sleep(for: .milliseconds(200))
            cancelled.withLock { $0 = Task.isCancelled }
        }
        let server = try await RunningServer.start(receiver: receiver)
        async let inFlight = server.post(body: #"{"alert":1}"#, headers: ["X-Switchboard-Token": RunningServer.secret])
        for await _ in started { break }

        server.beginShutdown()
        // The listener closes while the receiver is still at work.
        #expect(await Loopback.startsRefusing(port: server.port, within: .seconds(5)))
        letReceiverProceed.yield()

        let answer = try await inFlight
        #expect(answer.status == 202)
        #expect(answer.body == #"{"ticket":"T-1"}"#)
        #expect(cancelled.withLock { $0 } == false)
        try await server.stopped()
        #expect(Loopback.refuses(port: server.port))
    }

    @Test func anIdleServerStopsWithoutWaitingForTheGracePeriod() async throws {
        let server = try await RunningServer.start(configuration: ServerConfiguration(port: 0, shutdownGracePeriod: .seconds(60)))
        #expect(try await server.send("GET", "/healthz").status == 200)
        let start = ContinuousClock.now
        server.beginShutdown()
        try await server.stopped()
        // Far below the grace period, with room for a loaded machine.
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(Loopback.refuses(port: server.port))
    }

    @Test func requestsStillRunningAfterTheGracePeriodAreCancelled() async throws {
        let (started, receiverStarted) = AsyncStream<Void>.makeStream()
        let receiver = RecordingReceiver {
            receiverStarted.yield()
            try? await Task.sleep(for: .seconds(60))
        }
        let server = try await RunningServer.start(configuration: ServerConfiguration(port: 0, shutdownGracePeriod: .milliseconds(100)),
                                                   receiver: receiver)
        async let inFlight = server.post(body: "{}", headers: ["X-Switchboard-Token": RunningServer.secret])
        for await _ in started { break }
        let start = ContinuousClock.now
        server.beginShutdown()
        try await server.stopped()
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(Loopback.refuses(port: server.port))
        // Cut short: the connection closes without an answer.
        let answer = try? await inFlight
        #expect(answer == nil)
    }
}
