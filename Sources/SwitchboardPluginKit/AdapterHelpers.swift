import Foundation

extension RequestBuilding {
    /// The API base of a target whose `APIEndpoint` may be a full resource URL copied from a legacy
    /// config (`https://api.ninjarmm.com/v2/alerts`): the URL up to, not including, the first path
    /// segment named in `segments` (compared without regard to case), without query, fragment or
    /// trailing slash. A plain base URL comes back unchanged apart from a trailing slash.
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
}

extension PlatformResponse {
    /// The value at `keys` in a JSON object body (`"id"`, or `"ticket", "id"`) as text, when it is
    /// a non-empty string or an integer: created ids arrive as either, depending on the platform.
    public func idText(at keys: String...) -> String? {
        var value: Any? = json
        for key in keys { value = (value as? [String: Any])?[key] }
        if let text = value as? String, !text.isEmpty { return text }
        if let number = value as? NSNumber, String(cString: number.objCType) != "c",
           number.doubleValue == number.doubleValue.rounded() {
            return String(number.int64Value)
        }
        return nil
    }
}
