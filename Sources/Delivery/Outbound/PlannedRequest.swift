import Foundation
import PluginHost

/// An HTTP request a platform plugin rendered, checked by the host before it is sent: a known
/// method, a URL on the target's own host, https unless the target allows otherwise, and header
/// names and values that cannot smuggle extra lines.
public struct PlannedRequest: Sendable, Equatable {
    public var method: String
    public var url: URL
    public var headers: [(name: String, value: String)]
    public var body: Data
    /// Set when the plugin asked the host to sign the body: the header and the value's prefix.
    public var signature: Signature?

    public struct Signature: Sendable, Equatable {
        public let header: String
        public let prefix: String
    }

    public static func == (lhs: PlannedRequest, rhs: PlannedRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body && lhs.signature == rhs.signature
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    /// Reads a plugin's request description and checks it against `target`.
    init(json: JSONValue, target: DeliveryTarget, plugin: String) throws(DeliveryError) {
        func fail(_ reason: String) -> DeliveryError { .invalidRequest(plugin: plugin, reason: reason) }
        guard case .string(let method)? = json["method"], Self.methods.contains(method) else {
            throw fail("method must be one of \(Self.methods.sorted().joined(separator: ", "))")
        }
        guard case .string(let text)? = json["url"], let url = URL(string: text), let host = url.host, let scheme = url.scheme?.lowercased() else {
            throw fail("url is missing or not an absolute URL")
        }
        let endpointHost = target.endpoint.flatMap { URL(string: $0)?.host }
        guard endpointHost?.lowercased() == host.lowercased() else {
            throw fail("url \(scheme)://\(host)/... is not on the target's host \(endpointHost ?? "(none)")")
        }
        guard scheme == "https" || (scheme == "http" && (EndpointSecurity.isLoopback(host) || target.allowsInsecureHTTP)) else {
            throw fail("refusing \(scheme):// to \(host): https is required (except to this machine, or with AllowInsecureHTTP)")
        }
        var headers: [(String, String)] = []
        if case .object(let members)? = json["headers"] {
            for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                guard case .string(let text) = value, !name.isEmpty,
                      !(name + text).contains(where: { $0 == "\r" || $0 == "\n" }) else {
                    throw fail("header '\(name)' must be a single-line string")
                }
                headers.append((name, text))
            }
        }
        switch (json["body"], json["bodyText"]) {
        case (nil, nil): body = Data()
        case (let value?, nil): body = value.serialized()
        case (nil, .string(let text)?): body = Data(text.utf8)
        default: throw fail("give either body (JSON) or bodyText (a string), not both")
        }
        if case .object(let members)? = json["signature"] {
            guard case .string(let header)? = members["header"], case .string(let prefix)? = members["prefix"] else {
                throw fail("signature needs a header and a prefix")
            }
            signature = Signature(header: header, prefix: prefix)
        }
        self.method = method
        self.url = url
        self.headers = headers
    }
}

/// What a platform answered.
public struct HTTPAnswer: Sendable, Equatable {
    public let status: Int
    /// Header names in lowercase; repeated headers joined with `, `.
    public let headers: [String: String]
    public let body: String
}
