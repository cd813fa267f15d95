import Foundation

/// The API base URL of a target, derived from its `APIEndpoint`.
///
/// Legacy configs (the PowerShell agent's RMMConfig.json) put a full resource URL in `APIEndpoint`
/// (`https://x.syncromsp.com/api/v1/tickets`), newer ones the plain base. Both are accepted: one
/// known resource suffix is removed, and what is left must end in the platform's base path, so a
/// bare host name fails here with a clear message instead of as a 404 from the platform.
///
/// ```swift
/// let base = try APIBase(target, basePath: "/api/v1", resources: ["tickets", "rmm_alerts"],
///                        example: "https://acme.syncromsp.com/api/v1")
/// RequestBuilding.url(base.url, "tickets")
/// ```
public struct APIBase {
    /// The base, without a trailing slash: `https://x.syncromsp.com/api/v1`.
    public let url: String
    /// The resource suffix that was removed, spelled as in `resources`, when the endpoint named one.
    public let resource: String?

    /// - Parameters:
    ///   - basePath: what every base URL of the platform ends in (`/api/v1`), matched without regard to case.
    ///   - resources: the resource paths legacy configs append to the base (`service/tickets`).
    ///   - example: a base URL to show in the error message.
    public init(_ target: JSONObject, basePath: String, resources: [String], example: String) throws(PluginError) {
        let endpoint = try RequestBuilding.endpoint(target)
        let field = target.field("APIEndpoint")
        // A query could carry a key (`?api_key=` URLs exist in the wild), so it is refused and never echoed.
        guard !endpoint.contains("?"), !endpoint.contains("#") else {
            throw .invalidInput("\(field): expected a URL without a query or fragment, such as \(example)")
        }
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        var removed: String?
        for resource in resources {
            if let range = base.range(of: "/" + resource, options: [.anchored, .backwards, .caseInsensitive]) {
                base.removeSubrange(range)
                removed = resource
                break
            }
        }
        guard base.range(of: basePath, options: [.anchored, .backwards, .caseInsensitive]) != nil,
              let host = URLComponents(string: base)?.host, !host.isEmpty else {
            throw .invalidInput("\(field): expected the API base URL, such as \(example), got '\(endpoint)'")
        }
        url = base
        resource = removed
    }
}

extension RequestBuilding {
    /// The API base of a platform whose base URL is the host itself (`https://eu.ninjarmm.com`): the
    /// endpoint up to, not including, the first path segment named in `segments` (without regard
    /// to case), without query, fragment or trailing slash. Platforms whose base has a path of its
    /// own (`/api/v1`) use `APIBase`, which also checks that path.
    public static func apiBase(_ target: JSONObject, strippingFrom segments: Set<String>) throws(PluginError) -> String {
        let endpoint = try endpoint(target)
        let withoutQuery = endpoint.prefix { $0 != "?" && $0 != "#" }
        guard let schemeEnd = withoutQuery.range(of: "://") else {
            throw .invalidInput("\(target.field("APIEndpoint")): expected an http:// or https:// URL, got '\(endpoint)'")
        }
        let afterScheme = withoutQuery[schemeEnd.upperBound...]
        let host = afterScheme.prefix { $0 != "/" }
        guard !host.isEmpty else {
            throw .invalidInput("\(target.field("APIEndpoint")): expected an http:// or https:// URL with a host, got '\(endpoint)'")
        }
        let lowered = Set(segments.map { $0.lowercased() })
        var kept: [Substring] = []
        for segment in afterScheme.dropFirst(host.count).split(separator: "/", omittingEmptySubsequences: true) {
            if lowered.contains(segment.lowercased()) { break }
            kept.append(segment)
        }
        return withoutQuery[..<schemeEnd.upperBound] + host + kept.map { "/" + $0 }.joined()
    }

    /// `url` with `pairs` added to its query string, percent-encoded.
    public static func appendingQuery(_ url: String, _ pairs: [(String, String)]) -> String {
        guard !pairs.isEmpty else { return url }
        return url + (url.contains("?") ? "&" : "?") + formEncoded(pairs)
    }
}

extension PlatformResponse {
    /// The id at `keys` in a JSON object body (`"id"`, or `"ticket", "id"`), as `identifier` reads it.
    public func idText(at keys: String...) -> String? {
        var value: Any? = json
        for key in keys { value = (value as? [String: Any])?[key] }
        return Self.identifier(value)
    }

    /// A record id from a parsed JSON body as text: integers (`50123` -> "50123") and non-empty
    /// strings; nil for anything else (booleans, fractions, null).
    public static func identifier(_ value: Any?) -> String? {
        if let text = value as? String { return text.isEmpty ? nil : text }
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c",
              number.doubleValue == number.doubleValue.rounded() else { return nil }
        return String(number.int64Value)
    }
}
