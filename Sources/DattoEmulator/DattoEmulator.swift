import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A Datto RMM API v2 account emulated on loopback, for `switchboard demo`, the benchmarks and the
/// tests: the OAuth password grant, bearer tokens, sites and devices paged like Datto (absolute
/// `nextPageUrl`, at most 250 per page), single alerts and devices, quick jobs and their results,
/// Datto's sliding-window rate limit (429), and faults injected by path.
///
/// ```swift
/// let datto = try await DattoEmulator.start(account: .demo)
/// // connect Switchboard to datto.url with demo-key / demo-secret
/// datto.resolveAlert("alert-0001-cpu")
/// ```
public final class DattoEmulator: Sendable {
    /// One canned answer for the next request to a path.
    public struct Fault: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
        public var delay: Duration?

        public init(status: Int, headers: [String: String] = [:], body: String = "", delay: Duration? = nil) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }
    }

    /// A quick job the emulator ran.
    struct Job: Sendable, Equatable {
        let uid: String
        let device: String
        let component: String
        let variables: [String: String]
    }

    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)" }
    private let box: StateBox
    private let task: Task<Void, any Error>

    private init(port: Int, box: StateBox, task: Task<Void, any Error>) {
        self.port = port
        self.box = box
        self.task = task
    }

    deinit { task.cancel() }

    /// Starts the emulator on 127.0.0.1:`port` (0: any free port) and waits until it listens.
    public static func start(account: DattoAccountData, port: Int = 0) async throws -> DattoEmulator {
        let box = StateBox(state: State(account: account))
        let (bound, task) = await LoopbackServer.start(Responder(box: box), port: port, label: "datto-emulator")
        box.state.withLock { $0.base = "http://127.0.0.1:\(bound)" }
        return DattoEmulator(port: bound, box: box, task: task)
    }

    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    // MARK: Changing the account

    /// Answers the next requests whose path (and query) starts with `prefix` with `faults`, one
    /// each, in order (`/api/v2/account/devices?max=250&page=1` aims at one page).
    public func inject(_ prefix: String, _ faults: [Fault]) {
        box.state.withLock { $0.faults.append(contentsOf: faults.map { (prefix, $0) }) }
    }

    public func setDevices(_ devices: [EmulatedDevice]) { box.state.withLock { $0.setDevices(devices) } }
    public func upsertDevice(_ device: EmulatedDevice) { box.state.withLock { $0.upsert(device) } }
    public func removeDevice(_ uid: String) { box.state.withLock { $0.remove(uid) } }
    /// Marks an alert resolved (now).
    public func resolveAlert(_ uid: String) {
        box.state.withLock { state in
            guard let index = state.account.alerts.firstIndex(where: { $0.uid == uid }) else { return }
            state.account.alerts[index].resolvedAt = Date()
        }
    }
    public func setCredentials(key: String, secret: String) { box.state.withLock { $0.account.apiKey = key; $0.account.apiSecret = secret } }

    // MARK: What happened

    /// How many requests had a path starting with `prefix`.
    public func requestCount(pathPrefix prefix: String) -> Int {
        box.state.withLock { $0.log.filter { $0.split(separator: " ", maxSplits: 1).last?.hasPrefix(prefix) ?? false }.count }
    }
}

/// The emulator's state, shared with its responder.
private final class StateBox: Sendable {
    let state: Mutex<State>
    init(state: State) { self.state = Mutex(state) }
}

private struct State {
    var account: DattoAccountData
    var base = ""
    /// Each device's JSON, rendered once (pages are joined from them).
    var rendered: [String: String] = [:]
    var order: [String] = []
    var tokens: Set<String> = []
    var faults: [(prefix: String, fault: DattoEmulator.Fault)] = []
    var log: [String] = []
    var window: [Date] = []
    var jobs: [DattoEmulator.Job] = []

    init(account: DattoAccountData) {
        self.account = account
        setDevices(account.devices)
    }

    mutating func setDevices(_ devices: [EmulatedDevice]) {
        account.devices = devices
        order = devices.map(\.uid)
        rendered = [:]
        for device in devices { rendered[device.uid] = render(device) }
    }

    mutating func upsert(_ device: EmulatedDevice) {
        if let index = account.devices.firstIndex(where: { $0.uid == device.uid }) {
            account.devices[index] = device
        } else {
            account.devices.append(device)
            order.append(device.uid)
        }
        rendered[device.uid] = render(device)
    }

    mutating func remove(_ uid: String) {
        account.devices.removeAll { $0.uid == uid }
        order.removeAll { $0 == uid }
        rendered[uid] = nil
    }

    func site(_ uid: String) -> EmulatedSite? { account.sites.first { $0.uid == uid } }

    /// A device as Datto's `Device` schema has it (35 properties; times in epoch milliseconds).
    func render(_ device: EmulatedDevice) -> String {
        let siteIndex = account.sites.firstIndex { $0.uid == device.siteUid } ?? 0
        let deviceClass = switch device.category {
        case "Printer": "printer"
        case "Network Device": "rmmnetworkdevice"
        case "ESXi Host": "esxihost"
        default: "device"
        }
        let seen = Int64(device.lastSeen.timeIntervalSince1970 * 1000)
        let domain = (site(device.siteUid)?.name ?? "WORKGROUP").uppercased().filter(\.isLetter)
        return """
            {"id":\(device.id),"uid":\(json(device.uid)),"siteId":\(siteIndex + 1),"siteUid":\(json(device.siteUid)),\
            "siteName":\(json(site(device.siteUid)?.name ?? "")),"deviceType":{"category":\(json(device.category)),"type":"Physical"},\
            "hostname":\(json(device.hostname)),"intIpAddress":"10.\(device.id / 65536 % 256).\(device.id / 256 % 256).\(device.id % 256)",\
            "operatingSystem":\(device.os.isEmpty ? "null" : json(device.os)),"lastLoggedInUser":\(json("\(domain)\\user\(device.id % 97)")),\
            "domain":\(json(domain)),"cagVersion":"4.4.2200","displayVersion":"4.4.2200.2200","extIpAddress":"203.0.113.\(device.id % 250 + 1)",\
            "description":null,"a64Bit":true,"rebootRequired":\(device.id % 7 == 0),"online":\(device.online),"suspended":\(device.suspended),\
            "deleted":\(device.deleted),"lastSeen":\(seen),"lastReboot":\(seen - 86_400_000),"lastAuditDate":\(seen - 3_600_000),\
            "creationDate":\(seen - 90 * 86_400_000),"udf":{"udf1":null,"udf2":"asset-\(device.id)","udf3":null},"snmpEnabled":false,\
            "deviceClass":"\(deviceClass)","portalUrl":"https://concord.centrastage.net/csm/search?qs=uid%3A\(device.uid)","warrantyDate":null,\
            "antivirus":{"antivirusProduct":"Datto AV","antivirusStatus":"RunningAndUpToDate"},\
            "patchManagement":{"patchStatus":"FullyPatched","patchesApprovedPending":0,"patchesNotApproved":0,"patchesInstalled":\(device.id % 300)},\
            "softwareStatus":"Compliant","webRemoteUrl":"https://concord.centrastage.net/csm/remote/rto/\(device.uid)","networkProbe":false,\
            "onboardedViaNetworkMonitor":false}
            """
    }

    func render(_ alert: EmulatedAlert) -> String {
        let device = account.devices.first { $0.uid == alert.deviceUid }
        let site = device.flatMap { self.site($0.siteUid) }
        let context = (["\"@class\":\(json(alert.contextClass))"] + alert.context.sorted { $0.key < $1.key }.map { "\(json($0.key)):\(json($0.value))" })
            .joined(separator: ",")
        let resolved = alert.resolvedAt.map { String(Int64($0.timeIntervalSince1970 * 1000)) } ?? "null"
        return """
            {"alertUid":\(json(alert.uid)),"priority":\(json(alert.priority)),"diagnostics":\(json(alert.diagnostics)),\
            "resolved":\(alert.resolvedAt != nil),"resolvedBy":\(alert.resolvedAt == nil ? "null" : "\"monitor\""),"resolvedOn":\(resolved),\
            "muted":false,"ticketNumber":null,"timestamp":\(Int64(alert.raised.timeIntervalSince1970 * 1000)),\
            "alertMonitorInfo":{"sendsEmails":true,"createsTicket":false},"alertContext":{\(context)},\
            "alertSourceInfo":{"deviceUid":\(json(alert.deviceUid)),"deviceName":\(json(device?.hostname ?? "")),\
            "siteUid":\(json(device?.siteUid ?? "")),"siteName":\(json(site?.name ?? ""))},"responseActions":[],"autoresolveMins":60}
            """
    }

    /// Counts a request against the window; false when the budget is spent.
    mutating func admit(at now: Date) -> Bool {
        window.removeAll { now.timeIntervalSince($0) >= account.rateLimit.seconds }
        guard window.count < account.rateLimit.requests else { return false }
        window.append(now)
        return true
    }
}

/// A JSON string literal. (The plugin kit has the same function, but the host must not link the
/// kit: plugins link their own copy of it.)
private func json(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

private struct Responder: HTTPResponder {
    typealias Context = BasicRequestContext
    let box: StateBox

    struct Reply {
        var status: Int
        var body: String
        var headers: [String: String] = [:]
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        var request = request
        let body = String(buffer: try await request.collectBody(upTo: 1 << 20))
        let path = request.uri.path
        let query = Self.query(request.uri.query ?? "")
        let method = request.method.rawValue
        let authorization = request.headers[.authorization] ?? ""
        let (reply, delay) = box.state.withLock { state -> (Reply, Duration?) in
            state.log.append("\(method) \(request.uri.description)")
            let target = request.uri.description
            if let index = state.faults.firstIndex(where: { target.hasPrefix($0.prefix) }) {
                let fault = state.faults.remove(at: index).fault
                return (Reply(status: fault.status, body: fault.body, headers: fault.headers), fault.delay)
            }
            guard state.admit(at: Date()) else {
                var headers: [String: String] = [:]
                if let after = state.account.retryAfterSeconds { headers["Retry-After"] = String(after) }
                return (Self.error(429, "Too Many Requests", "Rate limit of \(state.account.rateLimit.requests) requests exceeded", path, headers), nil)
            }
            return (Self.route(method: method, path: path, query: query, body: body, authorization: authorization, state: &state), nil)
        }
        if let delay { try await Task.sleep(for: delay) }
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        for (name, value) in reply.headers { if let field = HTTPField.Name(name) { fields[field] = value } }
        return Response(status: .init(code: reply.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: reply.body)))
    }

    static func query(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            values[parts[0]] = parts.count > 1 ? parts[1].removingPercentEncoding ?? parts[1] : ""
        }
        return values
    }

    /// Spring Boot's error body.
    static func error(_ status: Int, _ error: String, _ message: String, _ path: String, _ headers: [String: String] = [:]) -> Reply {
        Reply(status: status, body: #"{"timestamp":"2026-11-23T10:00:00.000+00:00","status":\#(status),"error":\#(json(error)),"message":\#(json(message)),"path":\#(json(path))}"#,
              headers: headers)
    }

    static func route(method: String, path: String, query: [String: String], body: String, authorization: String, state: inout State) -> Reply {
        if path == "/auth/oauth/token" {
            guard method == "POST" else { return error(405, "Method Not Allowed", "use POST", path) }
            return token(body: body, authorization: authorization, state: &state)
        }
        guard path.hasPrefix("/api/") else { return error(404, "Not Found", "No message available", path) }
        guard authorization.hasPrefix("Bearer "), state.tokens.contains(String(authorization.dropFirst("Bearer ".count))) else {
            return error(401, "Unauthorized", "Full authentication is required to access this resource", path)
        }
        let parts = Array(path.split(separator: "/").map(String.init).dropFirst(2))  // after /api/v2
        func matches(_ verb: String, _ pattern: String...) -> Bool {
            method == verb && parts.count == pattern.count && zip(parts, pattern).allSatisfy { $1 == "*" || $0 == $1 }
        }
        if matches("GET", "account", "sites") {
            var counts: [String: Int] = [:]
            for device in state.account.devices { counts[device.siteUid, default: 0] += 1 }
            return page("sites", count: state.account.sites.count, path: path, query: query, state: state) { range in
                state.account.sites[range].map { site in
                    let count = counts[site.uid] ?? 0
                    return #"{"uid":\#(json(site.uid)),"name":\#(json(site.name)),"description":null,"onDemand":false,"devicesStatus":{"numberOfDevices":\#(count),"numberOfOnlineDevices":\#(count),"numberOfOfflineDevices":0}}"#
                }
            }
        }
        if matches("GET", "account", "devices") {
            return page("devices", count: state.order.count, path: path, query: query, state: state) { range in
                state.order[range].compactMap { state.rendered[$0] }
            }
        }
        if matches("GET", "alert", "*") {
            guard let alert = state.account.alerts.first(where: { $0.uid == parts[1] }) else { return error(404, "Not Found", "Alert not found", path) }
            return Reply(status: 200, body: state.render(alert))
        }
        if matches("GET", "device", "*") {
            guard let device = state.rendered[parts[1]] else { return error(404, "Not Found", "Device not found", path) }
            return Reply(status: 200, body: device)
        }
        if matches("PUT", "device", "*", "quickjob") { return quickJob(device: parts[1], body: body, path: path, state: &state) }
        if matches("GET", "job", "*") {
            guard state.jobs.contains(where: { $0.uid == parts[1] }) else { return error(404, "Not Found", "Job not found", path) }
            return Reply(status: 200, body: #"{"id":1,"uid":\#(json(parts[1])),"name":"job","dateCreated":1795000000000,"status":"completed"}"#)
        }
        if parts.count >= 4, parts[0] == "job", parts[2] == "results", method == "GET" {
            guard let job = state.jobs.first(where: { $0.uid == parts[1] && $0.device == parts[3] }) else { return error(404, "Not Found", "Job not found", path) }
            if matches("GET", "job", "*", "results", "*") {
                return Reply(status: 200, body: #"{"jobUid":\#(json(job.uid)),"deviceUid":\#(json(job.device)),"ranOn":1795000000000,"jobDeploymentStatus":"Success","componentResults":[{"componentUid":\#(json(job.component)),"componentName":"Component","componentStatus":"Success","numberOfWarnings":0,"hasStdOut":true,"hasStdErr":false}]}"#)
            }
            if matches("GET", "job", "*", "results", "*", "stdout") {
                return Reply(status: 200, body: #"[{"componentUid":\#(json(job.component)),"componentName":"Component","stdData":\#(json("component \(job.component) ran on \(job.device)"))}]"#)
            }
            if matches("GET", "job", "*", "results", "*", "stderr") { return Reply(status: 200, body: "[]") }
        }
        return error(404, "Not Found", "No message available", path)
    }

    /// `PUT /api/v2/device/{uid}/quickjob`: recorded; its job completes at once.
    static func quickJob(device: String, body: String, path: String, state: inout State) -> Reply {
        guard state.rendered[device] != nil else { return error(404, "Not Found", "Device not found", path) }
        guard let request = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any],
              let name = request["jobName"] as? String, let component = request["jobComponent"] as? [String: Any],
              let componentUid = component["componentUid"] as? String else {
            return error(400, "Bad Request", "jobName and jobComponent.componentUid are required", path)
        }
        var variables: [String: String] = [:]
        for item in component["variables"] as? [[String: Any]] ?? [] {
            if let key = item["name"] as? String { variables[key] = item["value"] as? String ?? "" }
        }
        let job = DattoEmulator.Job(uid: String(format: "job-%08d-0000-4000-8000-000000000000", state.jobs.count + 1), device: device,
                                    component: componentUid, variables: variables)
        state.jobs.append(job)
        return Reply(status: 200, body: #"{"job":{"id":\#(state.jobs.count),"uid":\#(json(job.uid)),"name":\#(json(name)),"dateCreated":1795000000000,"status":"active"},"jobComponents":[{"uid":\#(json(componentUid)),"name":"Component","variables":[]}]}"#)
    }

    /// The password grant with Datto's public client.
    static func token(body: String, authorization: String, state: inout State) -> Reply {
        let form = query(body.replacingOccurrences(of: "+", with: " "))
        let client = "Basic " + Data("public-client:public".utf8).base64EncodedString()
        guard authorization == client, form["grant_type"] == "password", form["username"] == state.account.apiKey,
              form["password"] == state.account.apiSecret else {
            return Reply(status: 400, body: #"{"error":"invalid_grant","error_description":"Bad credentials"}"#)
        }
        let token = "tok-" + UUID().uuidString.lowercased()
        state.tokens.insert(token)
        return Reply(status: 200, body: #"{"access_token":\#(json(token)),"token_type":"bearer","expires_in":359999,"scope":"default"}"#)
    }

    /// A page of a list of `count` items: `max` (1...250, default 250) from `page` (0-based), with
    /// absolute links; `items` renders the items of a range.
    static func page(_ name: String, count: Int, path: String, query: [String: String], state: State,
                     items: (Range<Int>) -> [String]) -> Reply {
        let size = min(250, max(1, Int(query["max"] ?? "") ?? 250))
        let number = max(0, Int(query["page"] ?? "") ?? 0)
        let start = min(count, number * size), end = min(count, start + size)
        func link(_ page: Int) -> String { json("\(state.base)\(path)?max=\(size)&page=\(page)") }
        let next = end < count ? link(number + 1) : "null"
        let previous = number > 0 ? link(number - 1) : "null"
        return Reply(status: 200, body: #"{"pageDetails":{"count":\#(end - start),"totalCount":\#(count),"prevPageUrl":\#(previous),"nextPageUrl":\#(next)},"\#(name)":[\#(items(start..<end).joined(separator: ","))]}"#)
    }
}
