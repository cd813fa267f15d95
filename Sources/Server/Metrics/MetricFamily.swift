/// One Prometheus metric family: a name, its help text, its type, and its samples, one per label set.
///
/// ```swift
/// MetricFamily(name: "switchboard_outbox_pending", help: "Messages waiting in the outbox.", type: .gauge,
///              samples: [MetricSample(labels: ["target": "psa"], value: 3)])
/// ```
public struct MetricFamily: Sendable, Equatable {
    /// The Prometheus metric type.
    public enum MetricType: String, Sendable {
        case counter
        case gauge
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`; other characters are rendered as `_`.
    public var name: String
    public var help: String
    public var type: MetricType
    public var samples: [MetricSample]

    public init(name: String, help: String, type: MetricType, samples: [MetricSample]) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }
}

/// One value of a metric family, for one set of labels (names `[a-zA-Z_][a-zA-Z0-9_]*`; values any text).
public struct MetricSample: Sendable, Equatable {
    public var labels: [String: String]
    public var value: Double

    public init(labels: [String: String] = [:], value: Double) {
        self.labels = labels
        self.value = value
    }
}
