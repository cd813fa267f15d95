import Foundation

/// A point in time given on the command line: an ISO 8601 date (`2026-11-23`, midnight UTC), an
/// ISO 8601 date-time with a zone (`2026-11-23T10:00:00Z`, `2026-11-23T10:00:00+02:00`), or a
/// period back from now (`30m`, `24h`, `7d`).
///
/// ```swift
/// PointInTime.parse("24h", now: Date())   // a day ago
/// ```
enum PointInTime {
    /// What the accepted forms look like, for error messages.
    static let expected = "an ISO 8601 date (2026-11-23) or date-time (2026-11-23T10:00:00Z), or a period back from now (30m, 24h, 7d)"

    /// The moment `text` names, or nil when it is none of the accepted forms or not a real date.
    static func parse(_ text: String, now: Date) -> Date? {
        if let match = text.wholeMatch(of: /([0-9]{1,9})([mhd])/), let count = Double(match.1) {
            let unit: Double = switch match.2 {
            case "m": 60
            case "h": 3600
            default: 86400
            }
            return now.addingTimeInterval(-count * unit)
        }
        if let match = text.wholeMatch(of: /([0-9]{4})-([0-9]{2})-([0-9]{2})/) {
            return date(year: match.1, month: match.2, day: match.3, hour: "00", minute: "00", second: "00", fraction: nil, zone: "Z")
        }
        if let match = text.wholeMatch(of: /([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})/) {
            return date(year: match.1, month: match.2, day: match.3, hour: match.4, minute: match.5, second: match.6,
                        fraction: match.7, zone: match.8)
        }
        return nil
    }

    /// Builds the date and reads it back, so that a day or time that does not exist (February 30,
    /// 25:00) is refused rather than rolled over.
    private static func date(year: Substring, month: Substring, day: Substring, hour: Substring, minute: Substring, second: Substring,
                             fraction: Substring?, zone: Substring) -> Date? {
        var offset = 0
        if zone != "Z" {
            let sign = zone.hasPrefix("-") ? -1 : 1
            guard let hours = Int(zone.dropFirst().prefix(2)), let minutes = Int(zone.suffix(2)), hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        }
        guard let timeZone = TimeZone(secondsFromGMT: offset) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(year: Int(year), month: Int(month), day: Int(day), hour: Int(hour), minute: Int(minute),
                                        second: Int(second))
        guard let date = calendar.date(from: components) else { return nil }
        let back = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        guard back.year == components.year, back.month == components.month, back.day == components.day, back.hour == components.hour,
              back.minute == components.minute, back.second == components.second else { return nil }
        return date.addingTimeInterval(fraction.flatMap { Double("0" + $0) } ?? 0)
    }
}
