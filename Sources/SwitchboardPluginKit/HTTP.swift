import Foundation

/// The HTTP request a render or token role asks the host to send. The host owns the socket,
/// TLS, timeouts and retries; `signature` asks it to sign the body with the target's `Secret`.
public struct HTTPRequestPlan {
    public var method: String
    public var url: String
    public var headers: [String: String]
    /// A JSON body (serialized by the host with sorted keys), or
    public var body: Any?
    /// a body sent exactly as given (e.g. form-encoded).
    public var bodyText: String?
    /// `(header, prefix)`: add `header: prefix + hex(HMAC-SHA256(Secret, body))`.
    public var signature: (header: String, prefix: String)?

    public init(method: String, url: String, headers: [String: String] = [:], body: Any? = nil, bodyText: String? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.bodyText = bodyText
    }

    public var json: [String: Any] {
        var result: [String: Any] = ["method": method, "headers": headers]
        if !url.isEmpty { result["url"] = url }
        if let body { result["body"] = body }
        if let bodyText { result["bodyText"] = bodyText }
        if let signature { result["signature"] = ["header": signature.header, "prefix": signature.prefix] }
        return result
    }
}

/// What a platform answered, as `parse_response` receives it.
public struct PlatformResponse {
    /// `alert`, `ticket`, `report` or `token`: what the request was for.
    public let kind: String
    public let status: Int
    /// Header names in lowercase.
    public let headers: [String: String]
    public let body: String

    public init(_ input: JSONObject) throws(PluginError) {
        try self.init(input, kind: input.choice("kind", ["alert", "ticket", "report", "token"]))
    }

    /// Reads an answer to a request the caller names itself (`kind`: an action's stage, say)
    /// from the input's `status`, `headers` and `body`.
    public init(_ input: JSONObject, kind: String) throws(PluginError) {
        self.kind = kind
        status = try input.integer("status")
        headers = ((input.values["headers"] as? [String: Any]) ?? [:]).reduce(into: [:]) { result, pair in
            if let value = pair.value as? String { result[pair.key.lowercased()] = value }
        }
        body = input.values["body"] as? String ?? ""
    }

    /// The body parsed as JSON, when it is JSON.
    public var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }

    /// `Retry-After` in seconds (delta-seconds or an HTTP date), when present and sensible.
    public var retryAfterSeconds: Int? {
        guard let value = headers["retry-after"]?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Int(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, Int(date.timeIntervalSinceNow.rounded(.up)))
    }

    /// The standard reading of a response: 2xx delivered (with `createdID`), 401 reauthenticate,
    /// 408/429/5xx retry (honouring Retry-After), any other status rejected with `error`.
    public func result(createdID: String? = nil, error: String? = nil) -> ResponseResult {
        let text = error ?? (body.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(body.prefix(500))")
        switch status {
        case 200..<300: return .delivered(createdID: createdID)
        case 401: return .reauthenticate(error: text)
        case 408, 429, 500...599: return .retry(afterSeconds: retryAfterSeconds, error: text)
        default: return .rejected(error: text)
        }
    }
}

/// The normalized result of `parse_response`.
public enum ResponseResult {
    case delivered(createdID: String?)
    case token(accessToken: String, expiresInSeconds: Int)
    case retry(afterSeconds: Int?, error: String)
    case reauthenticate(error: String)
    case rejected(error: String)

    public var json: [String: Any] {
        switch self {
        case .delivered(let id): ["outcome": "delivered", "createdId": id ?? NSNull()]
        case .token(let token, let expires): ["outcome": "delivered", "accessToken": token, "expiresInSeconds": expires]
        case .retry(let after, let error): ["outcome": "retry", "retryAfterSeconds": after ?? NSNull(), "error": error]
        case .reauthenticate(let error): ["outcome": "reauthenticate", "error": error]
        case .rejected(let error): ["outcome": "rejected", "error": error]
        }
    }

    /// Reads a standard OAuth2 token response (`access_token`, `expires_in`).
    public static func oauthToken(_ response: PlatformResponse, defaultLifetime: Int) -> ResponseResult {
        guard (200..<300).contains(response.status) else { return response.result() }
        guard let json = response.json as? [String: Any], let token = json["access_token"] as? String, !token.isEmpty else {
            return .rejected(error: "token response has no access_token")
        }
        return .token(accessToken: token, expiresInSeconds: (json["expires_in"] as? NSNumber)?.intValue ?? defaultLifetime)
    }
}

/// Helpers for building requests.
public enum RequestBuilding {
    /// `base` + `/` + `path` with exactly one slash between them.
    public static func url(_ base: String, _ path: String) -> String {
        let trimmedBase = base.hasSuffix("/") ? String(base.dropLast()) : base
        let trimmedPath = path.hasPrefix("/") ? String(path.dropFirst()) : path
        return trimmedPath.isEmpty ? trimmedBase : trimmedBase + "/" + trimmedPath
    }

    /// `Basic base64(user:password)`.
    public static func basicAuthorization(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    /// `application/x-www-form-urlencoded` encoding of `pairs`, in order.
    public static func formEncoded(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text }
        return pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    /// `text` cut to at most `limit` characters, ending in `…` when cut.
    public static func truncated(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// The `APIEndpoint` of a target, required to be an http(s) URL.
    public static func endpoint(_ target: JSONObject) throws(PluginError) -> String {
        let endpoint = try target.string("APIEndpoint")
        guard endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://") else {
            throw .invalidInput("\(target.field("APIEndpoint")): expected an http:// or https:// URL, got '\(endpoint)'")
        }
        return endpoint
    }
}
