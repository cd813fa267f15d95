import Foundation

/// A device in the CMDB: synced from a platform (Datto RMM), or the `local` device, the machine
/// Switchboard runs on.
public struct Device: Sendable, Equatable {
    /// Our id: `local`, or `<platform>:<externalID>` for a synced device.
    public let id: String
    public let tenant: String
    /// `local`, a platform name such as `datto`, or nil when the device has no platform to act through.
    public let platform: String?
    /// The platform's own id for the device (Datto: the device uid); `local` for the local device.
    public let externalID: String?
    public let name: String
    public let location: String?
    /// `workstation`, `server`, `network_device`, `printer` or `other`.
    public let ciType: String
    public let operatingSystem: String?
    public let status: String?
    public let lastSync: Date?

    public init(id: String, tenant: String, platform: String?, externalID: String?, name: String, location: String? = nil,
                ciType: String = "other", operatingSystem: String? = nil, status: String? = nil, lastSync: Date? = nil) {
        self.id = id
        self.tenant = tenant
        self.platform = platform
        self.externalID = externalID
        self.name = name
        self.location = location
        self.ciType = ciType
        self.operatingSystem = operatingSystem
        self.status = status
        self.lastSync = lastSync
    }

    /// The id of the machine Switchboard runs on.
    public static let localID = "local"
}
