/// The Prometheus text exposition format (version 0.0.4) of metric families, stable from one scrape to
/// the next: families sorted by name (families sharing a name are merged, the first one's help and
/// type kept), samples by their rendered labels, labels by name.
///
/// ```swift
/// let text = MetricsExposition.render(families)   // served with MetricsExposition.contentType
/// ```
public enum MetricsExposition {
    /// The `Content-Type` of the rendered text.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// `# HELP` and `# TYPE` lines, then one line per sample, each ending in a newline.
    public static func render(_ families: [MetricFamily]) -> String {
        var merged: [String: MetricFamily] = [:]
        for family in families {
            let name = sanitized(family.name, allowingColon: true)
            merged[name, default: MetricFamily(name: name, help: family.help, type: family.type, samples: [])].samples += family.samples
        }
        var text = ""
        for (name, family) in merged.sorted(by: { $0.key < $1.key }) {
            text += "# HELP \(name) \(escaped(family.help, quotes: false))\n"
            text += "# TYPE \(name) \(family.type.rawValue)\n"
            for sample in family.samples.map({ (labels: rendered($0.labels), value: $0.value) }).sorted(by: { $0.labels < $1.labels }) {
                text += "\(name)\(sample.labels) \(formatted(sample.value))\n"
            }
        }
        return text
    }

    /// `{a="1",b="2"}`, or nothing without labels.
    private static func rendered(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        let pairs = labels.map { (sanitized($0.key, allowingColon: false), $0.value) }.sorted { $0.0 < $1.0 }
        return "{" + pairs.map { "\($0.0)=\"\(escaped($0.1, quotes: true))\"" }.joined(separator: ",") + "}"
    }

    /// Backslash and newline escaped (help text); double quotes too in label values.
    private static func escaped(_ text: String, quotes: Bool) -> String {
        var result = ""
        for character in text.unicodeScalars {
            switch character {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\"" where quotes: result += "\\\""
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }

    /// A metric (colons allowed) or label name with every character outside the allowed set as `_`,
    /// and `_` in front of a leading digit.
    private static func sanitized(_ name: String, allowingColon: Bool) -> String {
        var result = ""
        for character in name.unicodeScalars {
            let allowed = character.isASCII && (character.properties.isAlphabetic || ("0"..."9").contains(character)
                || character == "_" || (allowingColon && character == ":"))
            result.unicodeScalars.append(allowed ? character : "_")
        }
        if result.unicodeScalars.first.map({ ("0"..."9").contains($0) }) ?? true { result = "_" + result }
        return result
    }

    /// Integral values without a fraction (`3`, not `3.0`); `NaN`, `+Inf` and `-Inf` as Prometheus spells them.
    private static func formatted(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
