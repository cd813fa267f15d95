// The Datto RMM (CentraStage) platform adapter.
//
// Datto RMM's API v2 has NO endpoint that creates an alert: alerts come only from its own monitors.
// So this adapter does not create alerts. It writes each alert, as one line of text, into a device
// user-defined field (UDF): `POST {apiUrl}/api/v2/device/{deviceUid}/udf` with `{"udf<N>": "<text>"}`.
// A Datto monitor watching that UDF then raises a real Datto alert, with Datto's own routing, tickets
// and webhooks. Run summaries go to a UDF the same way. Datto RMM has no ticket API, so there is no
// render_ticket. Requests carry an OAuth2 password-grant token from `POST {apiUrl}/auth/oauth/token`;
// the host asks for it through request_token, caches it until it expires and renews it on 401.
// Actions on a device (render_action / parse_action) run a configured Datto component as a quick
// job (`PUT /api/v2/device/{deviceUid}/quickjob`), whose status, results, stdout and stderr the host
// then polls and fetches; a remote session reads the device's web remote URL. Inbound reads
// (render_inbound / parse_inbound) bring the account's sites, devices and alerts into Switchboard.
// The plugin computes only; the host sends.
import Foundation
import SwitchboardABI
import SwitchboardPluginKit

nonisolated(unsafe) private let selfDescription = PluginExports.selfDescription(id: "switchboard.dattormm", version: "1.0.0")

@_cdecl("switchboard_dattormm_describe")
public func switchboardDattoRMMDescribe() -> UnsafeRawPointer? { UnsafeRawPointer(selfDescription) }

@_cdecl("switchboard_dattormm_init")
public func switchboardDattoRMMInit(_ host: UnsafePointer<sb_host_api>?) -> Int32 { PluginExports.initialize(host) }

@_cdecl("switchboard_dattormm_request_token")
public func switchboardDattoRMMRequestToken(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        try DattoRMM(target: input.target).tokenRequest().json
    }
}

@_cdecl("switchboard_dattormm_render_alert")
public func switchboardDattoRMMRenderAlert(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let alert = try Alert(input.object("alert"))
        let target = try input.target
        let datto = try DattoRMM(target: target)
        let data = JSONObject(alert.data, path: "alert.data")
        // The alert's own device wins; the target's DeviceUID is the fallback for alerts about this machine.
        let device: String
        if let uid = try data.optionalString("deviceUid") {
            device = try DattoRMM.uid(uid, field: data.field("deviceUid"))
        } else if let uid = try target.optionalString("DeviceUID") {
            device = try DattoRMM.uid(uid, field: target.field("DeviceUID"))
        } else {
            throw .invalidInput("\(data.field("deviceUid")): missing, and \(target.field("DeviceUID")) is not set")
        }
        let udf = try DattoRMM.udf(target, "AlertUDF") ?? 1
        let text = "\(alert.timestamp) \(alert.severity.rawValue) \(alert.module): \(alert.message)"
        return try datto.udfRequest(device: device, udf: udf, text: text, token: input.string("token")).json
    }
}

@_cdecl("switchboard_dattormm_render_report")
public func switchboardDattoRMMRenderReport(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let report = try Report(input.object("report"))
        let target = try input.target
        let datto = try DattoRMM(target: target)
        // A summary is about the machine Switchboard runs on, so only the target names the device.
        let device = try DattoRMM.uid(target.string("DeviceUID"), field: target.field("DeviceUID"))
        let alertUDF = try DattoRMM.udf(target, "AlertUDF") ?? 1
        let udf = try DattoRMM.udf(target, "SummaryUDF") ?? alertUDF
        let text = "\(report.timestamp) \(report.severity.rawValue) \(report.title): \(report.summary)"
        return try datto.udfRequest(device: device, udf: udf, text: text, token: input.string("token")).json
    }
}

@_cdecl("switchboard_dattormm_render_action")
public func switchboardDattoRMMRenderAction(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let stage = try DattoRMM.ActionStage(input)
        let datto = try DattoRMM(target: input.target)
        return try datto.actionRequest(stage, step: input.object("step"), input: input).json
    }
}

@_cdecl("switchboard_dattormm_parse_action")
public func switchboardDattoRMMParseAction(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let stage = try DattoRMM.ActionStage(input)
        let response = try PlatformResponse(input, kind: stage.rawValue)
        let result = try DattoRMM.result(response, target: input.target)
        guard case .delivered = result else { return result.json }
        return DattoRMM.actionResult(stage, response)
    }
}

@_cdecl("switchboard_dattormm_render_inbound")
public func switchboardDattoRMMRenderInbound(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let resource = try DattoRMM.InboundResource(input)
        return try DattoRMM(target: input.target).inboundRequest(resource, input: input).json
    }
}

@_cdecl("switchboard_dattormm_parse_inbound")
public func switchboardDattoRMMParseInbound(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        let resource = try DattoRMM.InboundResource(input)
        let response = try PlatformResponse(input, kind: resource.rawValue)
        let result = try DattoRMM.result(response, target: input.target)
        guard case .delivered = result else { return result.json }
        return DattoRMM.inboundResult(resource, response)
    }
}

@_cdecl("switchboard_dattormm_parse_response")
public func switchboardDattoRMMParseResponse(_ input: UnsafePointer<UInt8>?, _ length: Int, _ output: UnsafeMutablePointer<sb_buffer>?) -> Int32 {
    PluginExports.respond(input, length, output) { input throws(PluginError) in
        try DattoRMM.result(PlatformResponse(input), target: input.target).json
    }
}

extension JSONObject {
    /// The delivery target; absent means empty, so the first missing setting is what gets reported.
    fileprivate var target: JSONObject {
        get throws(PluginError) { try optionalObject("target") ?? JSONObject([:], path: "target") }
    }
}

/// One Datto RMM account's API, as a target configures it.
struct DattoRMM {
    /// Datto shows UDF values on one line and stores at most 255 characters.
    static let udfLimit = 255

    /// The account's API URL (`https://concord-api.centrastage.net`), without `/api`.
    let apiURL: String
    let target: JSONObject

    init(target: JSONObject) throws(PluginError) {
        // Legacy configs hold a resource URL (`https://api.centrastage.net/api/v2/alert`); the
        // token endpoint sits beside `/api`, so both `/api/...` and `/auth/...` are cut off.
        apiURL = try RequestBuilding.apiBase(target, strippingFrom: ["api", "auth"])
        self.target = target
    }

    /// The password grant with Datto's fixed public client (`public-client:public`).
    func tokenRequest() throws(PluginError) -> HTTPRequestPlan {
        let body = RequestBuilding.formEncoded([
            ("grant_type", "password"),
            ("username", try target.string("APIKey")),
            ("password", try target.string("APISecret")),
        ])
        return HTTPRequestPlan(method: "POST", url: RequestBuilding.url(apiURL, "auth/oauth/token"),
                               headers: ["Authorization": RequestBuilding.basicAuthorization(user: "public-client", password: "public"),
                                         "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"],
                               bodyText: body)
    }

    /// `POST /api/v2/device/{deviceUid}/udf` setting one UDF.
    func udfRequest(device: String, udf: Int, text: String, token: String) -> HTTPRequestPlan {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return HTTPRequestPlan(method: "POST", url: RequestBuilding.url(apiURL, "api/v2/device/\(device)/udf"),
                               headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json", "Accept": "application/json"],
                               body: ["udf\(udf)": RequestBuilding.truncated(line, to: Self.udfLimit)])
    }

    /// A device or job UID goes into the URL path, so it may hold only what Datto's UIDs hold.
    static func uid(_ uid: String, field: String, of thing: String = "device") throws(PluginError) -> String {
        guard uid.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }) else {
            throw .invalidInput("\(field): expected a Datto RMM \(thing) UID (letters, digits and dashes), got '\(uid)'")
        }
        return uid
    }

    /// A UDF number: Datto devices have udf1 to udf300.
    static func udf(_ target: JSONObject, _ key: String) throws(PluginError) -> Int? {
        guard let number = try target.optionalInteger(key) else { return nil }
        guard (1...300).contains(number) else { throw .invalidInput("\(target.field(key)): expected a UDF number between 1 and 300, got \(number)") }
        return number
    }

    static func positive(_ target: JSONObject, _ key: String, default fallback: Int) throws(PluginError) -> Int {
        let value = try target.optionalInteger(key) ?? fallback
        guard value > 0 else { throw .invalidInput("\(target.field(key)): must be positive, got \(value)") }
        return value
    }

    /// The standard reading, except that Datto answers 403 both to plain authorization failures and
    /// to the temporary IP block that follows repeated rate-limit violations (a five-minute penalty).
    /// Like the pncit client, a Retry-After header or a body that mentions the limit marks a block.
    static func result(_ response: PlatformResponse, target: JSONObject) throws(PluginError) -> ResponseResult {
        let standard = response.result(error: errorText(response))
        if response.status == 403, case .rejected(let error) = standard {
            let body = response.body.lowercased()
            let blocked = ["rate limit", "rate-limit", "ratelimit", "blocked"].contains { body.contains($0) }
            guard response.headers["retry-after"] != nil || blocked else { return standard }
            let penalty = try positive(target, "BlockedRetrySeconds", default: 300)
            return .retry(afterSeconds: response.retryAfterSeconds ?? penalty, error: error)
        }
        if response.kind == "token", (200..<300).contains(response.status) {
            // Datto tokens live 100 hours; the exact expires_in is unverified, so it is only a fallback.
            return .oauthToken(response, defaultLifetime: try positive(target, "TokenLifetimeSeconds", default: 360_000))
        }
        return standard
    }

    /// Datto's API is Spring-based: errors are Spring Boot's `{timestamp, status, error, message, path}`,
    /// and the token endpoint's are OAuth2's `{error, error_description}`.
    static func errorText(_ response: PlatformResponse) -> String? {
        guard !(200..<300).contains(response.status), let json = response.json as? [String: Any] else { return nil }
        let parts = ["error", "error_description", "message"].compactMap { json[$0] as? String }
            .filter { !$0.isEmpty && $0 != "No message available" }
        guard !parts.isEmpty else { return nil }
        let path = (json["path"] as? String).map { " (\($0))" } ?? ""
        return "HTTP \(response.status): " + parts.joined(separator: ": ") + path
    }
}
