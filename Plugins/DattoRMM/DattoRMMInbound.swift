// Reading a Datto RMM account into Switchboard: sites, pages of devices, single alerts and
// devices. The host sends the requests rendered here (render_inbound) and hands every answer back
// (parse_inbound), which becomes normalized sites, CMDB devices or alerts. A page is read whole or
// rejected whole, so the host never applies half a page.
import Foundation
import SwitchboardPluginKit

extension DattoRMM {
    /// What a read asks for.
    enum InboundResource: String, CaseIterable {
        case sites, devices, alert, device

        init(_ input: JSONObject) throws(PluginError) {
            let name = try input.string("resource")
            guard let resource = Self(rawValue: name) else {
                throw .invalidInput("\(input.field("resource")): expected one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")), got '\(name)'")
            }
            self = resource
        }

        /// The list endpoints, paged with `max` and `page`.
        var listPath: String? {
            switch self {
            case .sites: "api/v2/account/sites"
            case .devices: "api/v2/account/devices"
            case .alert, .device: nil
            }
        }
    }

    /// Datto's largest page.
    static let largestPage = 250

    /// The request of a read: the first page of a list, the page a previous answer linked to
    /// (`page`, which must be on the account's API host), or one alert or device (`uid`).
    func inboundRequest(_ resource: InboundResource, input: JSONObject) throws(PluginError) -> HTTPRequestPlan {
        let url: String
        if let path = resource.listPath {
            if let page = try input.optionalString("page") {
                url = try sameHost(page, field: input.field("page"))
            } else {
                let size = try target.optionalInteger("PageSize") ?? Self.largestPage
                guard (1...Self.largestPage).contains(size) else {
                    throw .invalidInput("\(target.field("PageSize")): expected 1 to \(Self.largestPage) (Datto's maximum page size), got \(size)")
                }
                url = RequestBuilding.url(apiURL, "\(path)?max=\(size)&page=0")
            }
        } else {
            let uid = try Self.uid(input.string("uid"), field: input.field("uid"), of: resource.rawValue)
            url = RequestBuilding.url(apiURL, "api/v2/\(resource.rawValue)/\(uid)")
        }
        return HTTPRequestPlan(method: "GET", url: url, headers: ["Authorization": "Bearer \(try input.string("token"))", "Accept": "application/json"])
    }

    /// A page link from Datto, accepted only on the account's own scheme, host and port: the
    /// token must never go anywhere else.
    private func sameHost(_ link: String, field: String) throws(PluginError) -> String {
        func origin(_ text: String) -> String? {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(), !host.isEmpty else { return nil }
            let port = url.port.map { ":\($0)" } ?? ""
            return "\(scheme)://\(host)\(port)"
        }
        guard let given = origin(link), given == origin(apiURL) else {
            throw .invalidInput("\(field): the page link '\(link)' is not on the account's API host (\(origin(apiURL) ?? apiURL))")
        }
        return link
    }

    /// What a successful answer holds, normalized; an answer that is not what Datto sends is
    /// rejected whole. Pages are written as JSON text directly (a page of 250 devices through
    /// JSONSerialization costs more than reading it).
    static func inboundResult(_ resource: InboundResource, _ response: PlatformResponse) -> Any {
        func rejected(_ reason: String) -> [String: Any] {
            ResponseResult.rejected(error: "HTTP \(response.status): malformed \(resource == .devices || resource == .sites ? "\(resource.rawValue) page" : resource.rawValue): \(reason)").json
        }
        guard let json = response.json as? [String: Any] else { return rejected("not a JSON object: '\(response.body.prefix(200))'") }
        switch resource {
        case .sites, .devices:
            guard let details = json["pageDetails"] as? [String: Any] else { return rejected("pageDetails: missing") }
            guard let items = json[resource.rawValue] as? [Any] else { return rejected("\(resource.rawValue): expected a list") }
            var read: [String] = []
            read.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                let field = "\(resource.rawValue)[\(index)]"
                guard let object = item as? [String: Any] else { return rejected("\(field): expected an object") }
                do {
                    read.append(resource == .sites ? try site(object, field: field) : try device(object, field: field))
                } catch {
                    return rejected(error.message)
                }
            }
            let next = (details["nextPageUrl"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            let total = (details["totalCount"] as? NSNumber).map { String($0.intValue) } ?? "null"
            return JSONText(#"{"outcome":"delivered","\#(resource.rawValue)":[\#(read.joined(separator: ","))],"nextPage":\#(JSONText.quoted(next)),"totalCount":\#(total)}"#)
        case .device:
            do { return JSONText(#"{"outcome":"delivered","device":\#(try device(json, field: "device"))}"#) } catch { return rejected(error.message) }
        case .alert:
            do { return ["outcome": "delivered", "alert": try alert(json)] } catch { return rejected(error.message) }
        }
    }

    /// `{uid, name, devices}`, as JSON text.
    private static func site(_ json: [String: Any], field: String) throws(PluginError) -> String {
        let count = ((json["devicesStatus"] as? [String: Any])?["numberOfDevices"] as? NSNumber).map { String($0.intValue) } ?? "null"
        return #"{"uid":\#(JSONText.quoted(try text(json, "uid", field: field))),"name":\#(JSONText.quoted(try text(json, "name", field: field))),"devices":\#(count)}"#
    }

    /// `{uid, id, name, siteUid, siteName, ciType, os, lastSeen, status}`, as JSON text.
    private static func device(_ json: [String: Any], field: String) throws(PluginError) -> String {
        func flag(_ key: String) -> Bool { (json[key] as? NSNumber)?.boolValue ?? false }
        let status = flag("deleted") ? "deleted" : flag("suspended") ? "suspended" : flag("online") ? "online" : "offline"
        let category = ((json["deviceType"] as? [String: Any])?["category"] as? String) ?? ""
        let uid = try text(json, "uid", field: field), name = try text(json, "hostname", field: field), site = try text(json, "siteUid", field: field)
        let seen = seconds(json["lastSeen"]).map { String($0) } ?? "null"
        return #"{"uid":\#(JSONText.quoted(uid)),"id":\#(JSONText.quoted(PlatformResponse.identifier(json["id"]))),"name":\#(JSONText.quoted(name)),"siteUid":\#(JSONText.quoted(site)),"siteName":\#(JSONText.quoted(json["siteName"] as? String)),"ciType":"\#(ciType(category: category, deviceClass: json["deviceClass"] as? String))","os":\#(JSONText.quoted(json["operatingSystem"] as? String)),"lastSeen":\#(seen),"status":"\#(status)"}"#
    }

    /// `{uid, priority, resolved, raisedAt, resolvedAt, message, type, deviceUid, deviceName, siteUid, siteName}`.
    private static func alert(_ json: [String: Any]) throws(PluginError) -> [String: Any] {
        guard let source = json["alertSourceInfo"] as? [String: Any] else { throw .invalidInput("alertSourceInfo: missing") }
        let context = json["alertContext"] as? [String: Any]
        return ["uid": try text(json, "alertUid", field: ""), "priority": json["priority"] as? String ?? "Unknown",
                "resolved": (json["resolved"] as? NSNumber)?.boolValue ?? false, "raisedAt": seconds(json["timestamp"]) ?? NSNull(),
                "resolvedAt": seconds(json["resolvedOn"]) ?? NSNull(), "message": json["diagnostics"] as? String ?? "",
                "type": alertType(context), "deviceUid": source["deviceUid"] as? String ?? NSNull(),
                "deviceName": source["deviceName"] as? String ?? NSNull(), "siteUid": try text(source, "siteUid", field: "alertSourceInfo"),
                "siteName": source["siteName"] as? String ?? NSNull()]
    }

    private static func text(_ json: [String: Any], _ key: String, field: String) throws(PluginError) -> String {
        let path = field.isEmpty ? key : "\(field).\(key)"
        guard let value = json[key], !(value is NSNull) else { throw .invalidInput("\(path): missing") }
        guard let text = value as? String, !text.isEmpty else { throw .invalidInput("\(path): expected a non-empty string") }
        return text
    }

    /// Datto's epoch milliseconds as seconds.
    private static func seconds(_ value: Any?) -> Double? {
        (value as? NSNumber).map { $0.doubleValue / 1000 }
    }

    /// The CMDB type of a Datto device: from its type's category, else its class.
    static func ciType(category: String, deviceClass: String?) -> String {
        switch category.lowercased() {
        case "desktop", "laptop": return "workstation"
        case "server": return "server"
        case "network device": return "network_device"
        case "printer": return "printer"
        default:
            switch deviceClass?.lowercased() {
            case "printer": return "printer"
            case "rmmnetworkdevice": return "network_device"
            case "esxihost": return "server"
            default: return "other"
            }
        }
    }

    /// The alert type from the context's `@class`.
    static func alertType(_ context: [String: Any]?) -> String {
        let name = (context?["@class"] as? String ?? "").lowercased()
        switch name {
        case "perf_resource_usage_ctx":
            let mentionsMemory = context?.values.contains { ($0 as? String)?.lowercased().contains("mem") ?? false } ?? false
            return mentionsMemory ? "Memory" : "CPU"
        case "antivirus_ctx", "ransomware_ctx": return "Antivirus"
        case "patch_ctx": return "Patch"
        case "eventlog_ctx": return "EventLog"
        case "comp_script_ctx": return "Script"
        case "online_offline_status_ctx": return "Network"
        case _ where name.contains("disk"): return "Disk"
        case _ where name.contains("ping") || name.contains("network") || name.contains("snmp"): return "Network"
        default: return "Other"
        }
    }
}
