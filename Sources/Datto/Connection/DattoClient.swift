import Delivery
import Foundation
import PluginHost
import SwitchboardStore

/// Reads a Datto RMM account: sites, pages of devices, single alerts. The Datto plugin renders
/// each request and reads each answer (`render_inbound` / `parse_inbound`); the client sends
/// them with the account's OAuth token (password grant, cached, renewed once on 401) within
/// Datto's rate limit, retrying 5xx, 429 and the 403 rate-limit block with backoff.
///
/// ```swift
/// let client = try DattoClient(connection: try DattoConnection(settings: settings, file: file, plugins: catalog.loaded), transport: AsyncHTTPTransport())
/// for site in try await client.sites() { print(site.name) }
/// ```
public struct DattoClient: Sendable {
    public let connection: DattoConnection
    let exchange: PlatformExchange

    /// - Parameters:
    ///   - limiter: the request budget, shared by everything that reads the same account.
    ///   - tokens: the token cache, shared likewise (one token per account).
    public init(connection: DattoConnection, transport: any HTTPTransport, policy: DeliveryPolicy = DeliveryPolicy(),
                limiter: RateLimiter = .datto(), tokens: TokenCache? = nil) {
        self.connection = connection
        var exchange = PlatformExchange(target: connection.target, plugin: connection.plugin, policy: policy, transport: transport, tokens: tokens)
        exchange.pace = { await limiter.acquire() }
        self.exchange = exchange
    }

    /// A page of devices, and whether more follow.
    public struct DevicePage: Sendable {
        public let number: Int
        public let devices: [SyncedDevice]
        /// Datto's count of all devices, when it gives one (for progress).
        public let totalCount: Int?
    }

    /// Every site of the account (all pages).
    public func sites() async throws(DattoError) -> [ListedSite] {
        var sites: [ListedSite] = []
        var next: String?
        repeat {
            let page = try await read("sites", page: next)
            guard case .array(let items)? = page["sites"] else { throw malformed("sites", "no sites list") }
            for (index, item) in items.enumerated() {
                guard case .string(let uid)? = item["uid"], case .string(let name)? = item["name"] else {
                    throw malformed("sites", "sites[\(index)]: no uid or name")
                }
                let devices: Int? = if case .integer(let count)? = item["devices"] { Int(count) } else { nil }
                sites.append(ListedSite(uid: uid, name: name, devices: devices))
            }
            next = try nextPage(of: page, after: next)
        } while next != nil
        return sites
    }

    /// Walks every page of the account's devices (following `nextPageUrl`), handing each to
    /// `body` once it is read whole; a page that cannot be read ends the walk with its error.
    public func devicePages(_ body: (DevicePage) async throws(DattoError) -> Void) async throws(DattoError) {
        var next: String?
        var number = 0
        repeat {
            let page = try await read("devices", page: next)
            guard case .array(let items)? = page["devices"] else { throw malformed("devices", "no devices list") }
            var devices: [SyncedDevice] = []
            devices.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                guard let device = Self.device(item) else { throw malformed("devices", "devices[\(index)]: not a device (\(item.text().prefix(200)))") }
                devices.append(device)
            }
            let total: Int? = if case .integer(let count)? = page["totalCount"] { Int(count) } else { nil }
            try await body(DevicePage(number: number, devices: devices, totalCount: total))
            number += 1
            next = try nextPage(of: page, after: next)
        } while next != nil
    }

    /// One alert, or nil when Datto does not know it (404).
    public func alert(_ uid: String) async throws(DattoError) -> DattoAlert? {
        let answer: JSONValue
        do { answer = try await send(["resource": .string("alert"), "uid": .string(uid)], resource: "alert") } catch {
            if case .platform(let status, _) = error, status == 404 { return nil }
            throw error
        }
        guard let item = answer["alert"], let alert = DattoAlert(item) else { throw malformed("alert", "no alert in \(answer.text().prefix(200))") }
        return alert
    }

    // MARK: Reading

    private func read(_ resource: String, page: String?) async throws(DattoError) -> JSONValue {
        var input: [String: JSONValue] = ["resource": .string(resource)]
        input["page"] = page.map(JSONValue.string)
        return try await send(input, resource: resource)
    }

    private func send(_ input: [String: JSONValue], resource: String) async throws(DattoError) -> JSONValue {
        do {
            return try await exchange.send(render: .renderInbound, parse: .parseInbound, input: input, reading: ["resource": .string(resource)])
        } catch {
            switch error.kind {
            case .authentication:
                let prefix = "authentication failed: "
                throw .authentication(error.reason.hasPrefix(prefix) ? String(error.reason.dropFirst(prefix.count)) : error.description)
            case .cancelled: throw .cancelled
            case .platform: throw .platform(status: error.status, reason: error.reason)
            }
        }
    }

    /// The next page's link; a link that repeats the one just read would loop forever.
    private func nextPage(of page: JSONValue, after current: String?) throws(DattoError) -> String? {
        guard case .string(let next)? = page["nextPage"], !next.isEmpty else { return nil }
        guard next != current else { throw malformed("page", "nextPageUrl repeats the page just read (\(next))") }
        return next
    }

    private func malformed(_ resource: String, _ reason: String) -> DattoError {
        .platform(status: nil, reason: "\(connection.plugin.manifest.id): parse_inbound (\(resource)): \(reason)")
    }

    static func device(_ item: JSONValue) -> SyncedDevice? {
        guard case .string(let uid)? = item["uid"], case .string(let name)? = item["name"], case .string(let site)? = item["siteUid"],
              case .string(let ciType)? = item["ciType"], case .string(let status)? = item["status"] else { return nil }
        func text(_ key: String) -> String? { if case .string(let value)? = item[key] { value } else { nil } }
        let lastSeen: Date? = switch item["lastSeen"] {
        case .number(let seconds)?: Date(timeIntervalSince1970: seconds)
        case .integer(let seconds)?: Date(timeIntervalSince1970: Double(seconds))
        default: nil
        }
        return SyncedDevice(uid: uid, name: name, siteUid: site, location: text("siteName"), ciType: ciType, operatingSystem: text("os"),
                            status: status, lastSeen: lastSeen)
    }
}

/// An alert as the Datto plugin reads it from the API (`parse_inbound`, resource `alert`).
public struct DattoAlert: Sendable, Equatable {
    public var uid: String
    /// `Critical`, `High`, `Moderate`, `Low`, `Information` or `Unknown`.
    public var priority: String
    public var resolved: Bool
    public var raisedAt: Date?
    public var message: String
    /// `CPU`, `Memory`, `Disk`, `Network`, `Antivirus`, `Patch`, `EventLog`, `Script` or `Other`.
    public var type: String
    public var deviceUid: String?
    public var deviceName: String?
    public var siteUid: String
    public var siteName: String?

    public init(uid: String, priority: String, resolved: Bool, raisedAt: Date?, message: String, type: String, deviceUid: String?,
                deviceName: String?, siteUid: String, siteName: String?) {
        self.uid = uid
        self.priority = priority
        self.resolved = resolved
        self.raisedAt = raisedAt
        self.message = message
        self.type = type
        self.deviceUid = deviceUid
        self.deviceName = deviceName
        self.siteUid = siteUid
        self.siteName = siteName
    }

    init?(_ json: JSONValue) {
        func text(_ key: String) -> String? { if case .string(let value)? = json[key], !value.isEmpty { value } else { nil } }
        guard let uid = text("uid"), let site = text("siteUid") else { return nil }
        let raised: Date? = switch json["raisedAt"] {
        case .number(let seconds)?: Date(timeIntervalSince1970: seconds)
        case .integer(let seconds)?: Date(timeIntervalSince1970: Double(seconds))
        default: nil
        }
        self.init(uid: uid, priority: text("priority") ?? "Unknown", resolved: json["resolved"] == .bool(true), raisedAt: raised,
                  message: text("message") ?? "", type: text("type") ?? "Other", deviceUid: text("deviceUid"), deviceName: text("deviceName"),
                  siteUid: site, siteName: text("siteName"))
    }
}

/// What went wrong talking to Datto RMM.
public enum DattoError: Error, Equatable, CustomStringConvertible {
    /// `datto connect` has not been run.
    case notConnected(file: String)
    case configuration(ConfigurationErrors)
    /// No loaded Datto plugin can read inbound data.
    case noPlugin(String)
    /// Datto refused the credentials (the token request, or a request after renewing the token).
    case authentication(String)
    /// Datto answered an error, or something the plugin could not read, or gave up retrying.
    case platform(status: Int?, reason: String)
    case cancelled

    public var description: String {
        switch self {
        case .notConnected(let file): "not connected to Datto RMM (\(file) has no connection): run switchboard datto connect --api-url URL --username KEY --password-stdin"
        case .configuration(let errors): errors.description
        case .noPlugin(let reason): reason
        case .authentication(let reason): "Datto RMM refused the credentials: \(reason)"
        case .platform(let status, let reason): "Datto RMM: " + (status.map { "HTTP \($0): " } ?? "") + reason
        case .cancelled: "cancelled"
        }
    }
}
