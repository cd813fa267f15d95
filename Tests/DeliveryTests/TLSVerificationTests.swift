import Delivery
import Foundation
import Glibc
import SwitchboardStore
import TestSupport
import Testing

/// Certificates are verified: an https endpoint whose certificate no trusted authority signed is
/// refused at the handshake, before any request is sent.
@Suite struct TLSVerificationTests {
    /// An `openssl s_server` on loopback with a self-signed certificate for 127.0.0.1.
    final class UntrustedServer: Sendable {
        let port: Int
        let process: Process

        init(folder: TemporaryFolder) async throws {
            let key = folder.root + "/key.pem", certificate = folder.root + "/cert.pem"
            let made = try await runProcess("/usr/bin/env", ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
                                                      "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
            guard made.status == 0 else { throw ServerError.failed(made.stderr) }
            port = Int.random(in: 20_000...60_000)
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl", "s_server", "-accept", "127.0.0.1:\(port)", "-cert", certificate, "-key", key, "-www", "-quiet"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// Waits until the server accepts connections.
        func ready() async throws {
            for _ in 0..<200 {
                let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                close(socket)
                if connected == 0 { return }
                try await Task.sleep(for: .milliseconds(25))
            }
            throw ServerError.failed("openssl s_server did not start on port \(port)")
        }

        deinit { process.terminate() }
    }

    enum ServerError: Error { case failed(String) }

    @Test func anUntrustedCertificateIsRefused() async throws {
        let sandbox = try DeliverySandbox()
        let server = try await UntrustedServer(folder: sandbox)
        try await server.ready()
        let (engine, _) = try sandbox.engine(targets(#"{"Name": "hook", "Enabled": true, "APIEndpoint": "https://127.0.0.1:\#(server.port)/hook"}"#,
                                                     timeout: 5, attempts: 1))
        let queued = try engine.enqueue(alert: AlertEvent(severity: .error, module: "Disk", message: "C: full"))
        let final = try await engine.deliver(among: queued.map(\.id), patience: .seconds(10))
        #expect(final.map(\.status) == [.dead])
        let error = final.first?.lastError ?? ""
        #expect(error.contains("CERTIFICATE_VERIFY_FAILED"), "\(error)")
    }
}
