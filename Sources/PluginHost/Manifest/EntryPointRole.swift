/// What an entry point is for. Each role has a fixed C contract, checked against the manifest's
/// declared signature before a call interface is prepared for it.
public enum EntryPointRole: String, Sendable, CaseIterable, Equatable, Comparable {
    /// `const sb_plugin_info *describe(void)`: the plugin's self-description.
    case describe
    /// `int32_t init(const sb_host_api *)`: called once with the host API table.
    case initialize = "init"
    // Data roles: `int32_t fn(const uint8_t *input, size_t length, sb_buffer *output)`, JSON in and out.
    case renderAlert = "render_alert"
    case renderTicket = "render_ticket"
    case renderReport = "render_report"
    case requestToken = "request_token"
    case parseResponse = "parse_response"
    /// Platform plugins that act on devices: one request of an action step (`stage`) and its answer.
    case renderAction = "render_action"
    case parseAction = "parse_action"
    /// Platform plugins that bring a platform's data in (Datto sites, devices, alerts): one read's
    /// request, and what its answer holds in normalized form.
    case renderInbound = "render_inbound"
    case parseInbound = "parse_inbound"
    case planAction = "plan_action"
    case parseResult = "parse_result"

    /// The signature every entry point of this role must declare.
    public var contract: CSignature {
        switch self {
        case .describe: CSignature(returns: .pointer, arguments: [])
        case .initialize: CSignature(returns: .int32, arguments: [.pointer])
        default: CSignature(returns: .int32, arguments: [.pointer, .size, .pointer])
        }
    }

    /// Data roles carry JSON in an input buffer and out in an `sb_buffer`.
    public var isDataRole: Bool { self != .describe && self != .initialize }

    /// The plugin kinds that may declare this role.
    public var kinds: Set<PluginKind> {
        switch self {
        case .describe, .initialize: [.platform, .action]
        case .renderAlert, .renderTicket, .renderReport, .requestToken, .parseResponse, .renderAction, .parseAction, .renderInbound, .parseInbound: [.platform]
        case .planAction, .parseResult: [.action]
        }
    }

    /// Roles every plugin must declare.
    public static let required: [EntryPointRole] = [.describe, .initialize]

    public static func < (lhs: EntryPointRole, rhs: EntryPointRole) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }
}

/// Whether a plugin connects to a platform or performs remediation actions.
public enum PluginKind: String, Sendable, CaseIterable, Equatable, Hashable {
    case platform, action
}
