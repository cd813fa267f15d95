import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends one request. The host owns sockets, TLS (certificates are always verified) and timeouts.
public protocol HTTPTransport: Sendable {
    func send(_ request: PlannedRequest, timeout: Duration) async throws(TransportError) -> HTTPAnswer
}

/// The request never got an answer: a timeout, a refused connection, a TLS failure.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// AsyncHTTPClient with its shared client (connection pooling, verified TLS).
public struct AsyncHTTPTransport: HTTPTransport {
    /// Answers larger than this are cut: only the start of an error body is ever read.
    static let maximumBody = 1 << 20

    public init() {}

    public func send(_ request: PlannedRequest, timeout: Duration) async throws(TransportError) -> HTTPAnswer {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if !request.body.isEmpty { outgoing.body = .bytes(ByteBuffer(bytes: request.body)) }
        do {
            let response = try await HTTPClient.shared.execute(outgoing, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
                                                                                             + timeout.components.attoseconds / 1_000_000_000))
            var collected = ByteBuffer()
            for try await var chunk in response.body where collected.readableBytes < Self.maximumBody {
                collected.writeBuffer(&chunk)
            }
            var headers: [String: String] = [:]
            for (name, value) in response.headers {
                let key = name.lowercased()
                headers[key] = headers[key].map { "\($0), \(value)" } ?? value
            }
            return HTTPAnswer(status: Int(response.status.code), headers: headers,
                              body: String(decoding: collected.readableBytesView.prefix(Self.maximumBody), as: UTF8.self))
        } catch {
            throw TransportError(reason: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timed out"
            default: return "\(client)"
            }
        }
        return "\(error)"
    }
}
