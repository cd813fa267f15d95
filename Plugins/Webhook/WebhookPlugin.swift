// The generic Webhook platform adapter: turns a normalized alert into the HTTP request that posts
// Switchboard's generic payload {source, module, severity, message, timestamp, endpoint, domain,
// data} to the configured endpoint. It computes only; the host sends the request.
import Foundation
import SwitchboardABI

/// Written once by init, before the host calls any data role (see switchboard_plugin.h).
nonisolated(unsafe) private var hostAPI: UnsafePointer<sb_host_api>?

/// The self-description must outlive every call, so it is allocated once and never freed.
nonisolated(unsafe) private let selfDescription: UnsafeMutablePointer<sb_plugin_info> = {
    let info = UnsafeMutablePointer<sb_plugin_info>.allocate(capacity: 1)
    info.initialize(to: sb_plugin_info(
        struct_size: UInt32(MemoryLayout<sb_plugin_info>.size), abi_major: UInt32(SB_ABI_MAJOR),
        abi_minor: UInt32(SB_ABI_MINOR), reserved: 0,
        id: UnsafePointer(strdup("switchboard.webhook")), version: UnsafePointer(strdup("1.0.0"))))
    return info
}()

@_cdecl("switchboard_webhook_describe")
public func switchboardWebhookDescribe() -> UnsafeRawPointer? {
    UnsafeRawPointer(selfDescription)
}

@_cdecl("switchboard_webhook_init")
public func switchboardWebhookInit(_ host: UnsafePointer<sb_host_api>?) -> Int32 {
    guard let host, host.pointee.struct_size >= UInt32(MemoryLayout<sb_host_api>.size),
          host.pointee.abi_major == UInt32(SB_ABI_MAJOR) else {
        return Int32(SB_ERR_INVALID_INPUT.rawValue)
    }
    hostAPI = host
    return Int32(SB_OK.rawValue)
}

@_cdecl("switchboard_webhook_render_alert")
public func switchboardWebhookRenderAlert(_ input: UnsafePointer<UInt8>?, _ length: Int,
                                          _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    guard let host = hostAPI else { return Int32(SB_ERR_NOT_INITIALIZED.rawValue) }
    guard let output else { return Int32(SB_ERR_INVALID_INPUT.rawValue) }
    let bytes = input.map { Data(bytes: $0, count: length) } ?? Data()
    let status: sb_status
    let result: Data
    do {
        result = try renderAlertRequest(bytes)
        status = SB_OK
    } catch {
        result = Data(error.message.utf8)
        status = SB_ERR_INVALID_INPUT
    }
    return hand(result, to: output, through: host, status: status)
}

/// Copies `bytes` into host-allocated memory and hands it over in `output`.
private func hand(_ bytes: Data, to output: UnsafeMutablePointer<sb_buffer>, through host: UnsafePointer<sb_host_api>,
                  status: sb_status) -> Int32 {
    guard let allocate = host.pointee.allocate,
          let memory = allocate(host.pointee.ctx, bytes.count)?.assumingMemoryBound(to: UInt8.self) else {
        return Int32(SB_ERR_NO_MEMORY.rawValue)
    }
    bytes.copyBytes(to: memory, count: bytes.count)
    output.pointee = sb_buffer(data: memory, length: bytes.count)
    return Int32(status.rawValue)
}

private struct InputError: Error {
    let message: String
}

/// `{"alert": {...}, "target": {...}}` in, `{"method", "url", "headers", "body"}` out.
private func renderAlertRequest(_ input: Data) throws(InputError) -> Data {
    guard let root = (try? JSONSerialization.jsonObject(with: input)) as? [String: Any] else {
        throw InputError(message: "input: expected a JSON object with an 'alert' member")
    }
    guard let alert = root["alert"] as? [String: Any] else {
        throw InputError(message: root["alert"] == nil ? "alert: missing" : "alert: expected an object")
    }
    let target = root["target"] as? [String: Any] ?? [:]
    if root["target"] != nil, root["target"] as? [String: Any] == nil {
        throw InputError(message: "target: expected an object")
    }

    let severityName = try text(alert, "severity")
    guard let severity = ["Info", "Warning", "Error", "Critical"]
        .first(where: { $0.caseInsensitiveCompare(severityName) == .orderedSame }) else {
        throw InputError(message: "alert.severity: expected Info, Warning, Error or Critical, got '\(severityName)'")
    }
    let data = alert["data"] ?? [String: Any]()
    guard data is [String: Any] else { throw InputError(message: "alert.data: expected an object") }

    let payload: [String: Any] = [
        "source": try optionalText(alert, "source") ?? "Switchboard",
        "module": try text(alert, "module"),
        "severity": severity,
        "message": try text(alert, "message"),
        "timestamp": try timestamp(alert["timestamp"]),
        "endpoint": try optionalText(alert, "endpoint") ?? SystemIdentity.current.hostName,
        "domain": try optionalText(alert, "domain") ?? SystemIdentity.current.domain,
        "data": data,
    ]
    var request: [String: Any] = [
        "method": "POST",
        "headers": ["Content-Type": "application/json"],
        "body": payload,
    ]
    if let endpoint = try optionalText(target, "APIEndpoint", prefix: "target") {
        guard endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://") else {
            throw InputError(message: "target.APIEndpoint: expected an http:// or https:// URL, got '\(endpoint)'")
        }
        request["url"] = endpoint
    }
    guard let encoded = try? JSONSerialization.data(withJSONObject: request, options: [.sortedKeys, .withoutEscapingSlashes]) else {
        throw InputError(message: "alert.data: cannot be serialized as JSON")
    }
    return encoded
}

private func text(_ object: [String: Any], _ key: String, prefix: String = "alert") throws(InputError) -> String {
    guard let value = try optionalText(object, key, prefix: prefix) else { throw InputError(message: "\(prefix).\(key): missing") }
    return value
}

private func optionalText(_ object: [String: Any], _ key: String, prefix: String = "alert") throws(InputError) -> String? {
    guard let value = object[key], !(value is NSNull) else { return nil }
    guard let string = value as? String else { throw InputError(message: "\(prefix).\(key): expected a string") }
    guard !string.isEmpty else { throw InputError(message: "\(prefix).\(key): must not be empty") }
    return string
}

/// ISO-8601 in UTC with a `Z`: the given time re-expressed in UTC, or now.
private func timestamp(_ value: Any?) throws(InputError) -> String {
    let utc = ISO8601DateFormatter()
    guard let value, !(value is NSNull) else { return utc.string(from: Date()) }
    guard let string = value as? String else { throw InputError(message: "alert.timestamp: expected a string") }
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    guard let date = utc.date(from: string) ?? fractional.date(from: string) else {
        throw InputError(message: "alert.timestamp: expected an ISO-8601 date-time such as 2026-11-23T07:30:00Z, got '\(string)'")
    }
    return utc.string(from: date)
}

/// This machine's host name and DNS domain, read once.
private struct SystemIdentity: Sendable {
    let hostName: String
    let domain: String

    static let current: SystemIdentity = {
        var buffer = [CChar](repeating: 0, count: 256)
        let fullName = gethostname(&buffer, buffer.count - 1) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        let parts = fullName.split(separator: ".", maxSplits: 1).map(String.init)
        let domain = parts.count == 2 ? parts[1] : resolverDomain() ?? ""
        return SystemIdentity(hostName: parts.first ?? fullName, domain: domain)
    }()

    /// The `domain` line of /etc/resolv.conf, else the first `search` domain.
    private static func resolverDomain() -> String? {
        guard let contents = try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8) else { return nil }
        var search: String?
        for line in contents.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2 else { continue }
            if words[0] == "domain" { return String(words[1]) }
            if words[0] == "search", search == nil { search = String(words[1]) }
        }
        return search
    }
}
