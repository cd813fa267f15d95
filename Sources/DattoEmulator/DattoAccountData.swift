import Foundation

/// The contents of an emulated Datto RMM account: credentials, sites, devices and alerts.
public struct DattoAccountData: Sendable {
    public var apiKey: String
    public var apiSecret: String
    public var sites: [EmulatedSite]
    public var devices: [EmulatedDevice]
    public var alerts: [EmulatedAlert]
    /// Datto's request budget: requests per sliding window (600 per 60 s); over it the answer is 429.
    public var rateLimit: (requests: Int, seconds: Double)
    /// The Retry-After a 429 carries (nil: none, as Datto may not send one).
    public var retryAfterSeconds: Int?

    public init(apiKey: String, apiSecret: String, sites: [EmulatedSite], devices: [EmulatedDevice], alerts: [EmulatedAlert] = [],
                rateLimit: (requests: Int, seconds: Double) = (600, 60), retryAfterSeconds: Int? = nil) {
        self.apiKey = apiKey
        self.apiSecret = apiSecret
        self.sites = sites
        self.devices = devices
        self.alerts = alerts
        self.rateLimit = rateLimit
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// A small account for `switchboard demo`: three sites, a dozen devices, one open alert of each
    /// of a few types. Credentials `demo-key` / `demo-secret`.
    public static let demo: DattoAccountData = {
        let sites = [EmulatedSite(uid: "site-acme-hq", name: "Acme HQ"), EmulatedSite(uid: "site-acme-branch", name: "Acme Branch"),
                     EmulatedSite(uid: "site-globex", name: "Globex")]
        let machines: [(String, String, String, String)] = [
            ("site-acme-hq", "ACME-DC01", "Server", "Windows Server 2022"), ("site-acme-hq", "ACME-FS01", "Server", "Windows Server 2019"),
            ("site-acme-hq", "ACME-WS014", "Desktop", "Windows 11 Pro"), ("site-acme-hq", "ACME-LT022", "Laptop", "Windows 11 Pro"),
            ("site-acme-hq", "ACME-PRN01", "Printer", ""), ("site-acme-branch", "ACME-BR-WS01", "Desktop", "Windows 10 Pro"),
            ("site-acme-branch", "ACME-BR-FW", "Network Device", "FortiOS 7.2"), ("site-acme-branch", "ACME-BR-LT03", "Laptop", "macOS 14"),
            ("site-globex", "GLX-SQL01", "Server", "Windows Server 2022"), ("site-globex", "GLX-WS101", "Desktop", "Windows 11 Pro"),
            ("site-globex", "GLX-ESX01", "ESXi Host", "VMware ESXi 8.0"), ("site-globex", "GLX-LT200", "Laptop", "Ubuntu 24.04"),
        ]
        let seen = Date(timeIntervalSince1970: 1_795_000_000)
        let devices = machines.enumerated().map { index, machine in
            EmulatedDevice(id: 1000 + index, uid: String(format: "dev-%04d-0000-4000-8000-demo", index + 1), siteUid: machine.0,
                           hostname: machine.1, category: machine.2, os: machine.3, online: index % 5 != 4, lastSeen: seen)
        }
        let alerts = [
            EmulatedAlert(uid: "alert-0001-cpu", priority: "High", contextClass: "perf_resource_usage_ctx", context: ["type": "CPU"],
                          deviceUid: devices[0].uid, diagnostics: "CPU usage above 95% for 15 minutes", raised: seen),
            EmulatedAlert(uid: "alert-0002-disk", priority: "Critical", contextClass: "perf_disk_usage_ctx", context: ["diskName": "C:"],
                          deviceUid: devices[1].uid, diagnostics: "C: has 2% free space", raised: seen),
            EmulatedAlert(uid: "alert-0003-av", priority: "Moderate", contextClass: "antivirus_ctx", context: ["status": "NotRunning"],
                          deviceUid: devices[5].uid, diagnostics: "Antivirus is not running", raised: seen),
            EmulatedAlert(uid: "alert-0004-patch", priority: "Low", contextClass: "patch_ctx", context: [:],
                          deviceUid: devices[8].uid, diagnostics: "12 patches pending approval", raised: seen),
        ]
        return DattoAccountData(apiKey: "demo-key", apiSecret: "demo-secret", sites: sites, devices: devices, alerts: alerts)
    }()

    /// A deterministic account of `sites` sites with `devicesPerSite` devices each, in a mix of
    /// types (desktops, laptops, servers, network devices, printers, ESXi hosts) and states.
    public static func generated(sites count: Int, devicesPerSite: Int, seed: UInt64) -> DattoAccountData {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let kinds: [(String, String)] = [("Desktop", "Windows 11 Pro"), ("Laptop", "Windows 11 Pro"), ("Desktop", "Windows 10 Pro"),
                                         ("Laptop", "macOS 14"), ("Server", "Windows Server 2022"), ("Network Device", "FortiOS 7.2"),
                                         ("Printer", ""), ("ESXi Host", "VMware ESXi 8.0")]
        let sites = (0..<count).map { EmulatedSite(uid: String(format: "site-%06d-%04x", $0, seed & 0xffff), name: "Site \($0 + 1)") }
        var devices: [EmulatedDevice] = []
        devices.reserveCapacity(count * devicesPerSite)
        for site in sites {
            for _ in 0..<devicesPerSite {
                let index = devices.count
                let kind = kinds[Int(next() % UInt64(kinds.count))]
                devices.append(EmulatedDevice(id: 100_000 + index, uid: String(format: "dev-%08x-%04x-4000-8000-%012llx", index, seed & 0xffff, next() & 0xffff_ffff_ffff),
                                              siteUid: site.uid, hostname: String(format: "HOST-%06d", index), category: kind.0, os: kind.1,
                                              online: next() % 4 != 0, lastSeen: Date(timeIntervalSince1970: 1_795_000_000 + Double(next() % 86_400))))
            }
        }
        return DattoAccountData(apiKey: "key-\(seed)", apiSecret: "secret-\(seed)", sites: sites, devices: devices)
    }
}

/// A site of the emulated account.
public struct EmulatedSite: Sendable, Equatable {
    public var uid: String
    public var name: String

    public init(uid: String, name: String) {
        self.uid = uid
        self.name = name
    }
}

/// A device of the emulated account.
public struct EmulatedDevice: Sendable, Equatable {
    public var id: Int
    public var uid: String
    public var siteUid: String
    public var hostname: String
    /// `deviceType.category`: Desktop, Laptop, Server, Network Device, Printer, ...
    public var category: String
    public var os: String
    public var online: Bool
    public var lastSeen: Date
    public var suspended = false
    public var deleted = false

    public init(id: Int, uid: String, siteUid: String, hostname: String, category: String, os: String, online: Bool, lastSeen: Date) {
        self.id = id
        self.uid = uid
        self.siteUid = siteUid
        self.hostname = hostname
        self.category = category
        self.os = os
        self.online = online
        self.lastSeen = lastSeen
    }
}

/// An alert of the emulated account.
public struct EmulatedAlert: Sendable, Equatable {
    public var uid: String
    /// Critical, High, Moderate, Low, Information.
    public var priority: String
    /// The alert context's `@class` (`perf_resource_usage_ctx`, `antivirus_ctx`, ...).
    public var contextClass: String
    public var context: [String: String]
    public var deviceUid: String
    public var diagnostics: String
    public var raised: Date
    public var resolvedAt: Date?

    public init(uid: String, priority: String, contextClass: String, context: [String: String], deviceUid: String, diagnostics: String,
                raised: Date, resolvedAt: Date? = nil) {
        self.uid = uid
        self.priority = priority
        self.contextClass = contextClass
        self.context = context
        self.deviceUid = deviceUid
        self.diagnostics = diagnostics
        self.raised = raised
        self.resolvedAt = resolvedAt
    }
}
