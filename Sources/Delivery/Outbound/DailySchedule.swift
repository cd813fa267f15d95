import Foundation

/// A time of day (`07:30` or `07:30:15`, local time) and when it next comes.
public struct DailySchedule: Sendable, Equatable {
    public let hour: Int
    public let minute: Int
    public let second: Int

    /// Parses `HH:MM` or `HH:MM:SS`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2 || parts.count == 3, parts.allSatisfy({ $0 != nil }) else { return nil }
        let values = parts.compactMap { $0 }
        guard (0..<24).contains(values[0]), (0..<60).contains(values[1]), values.count == 2 || (0..<60).contains(values[2]) else { return nil }
        hour = values[0]
        minute = values[1]
        second = values.count == 3 ? values[2] : 0
    }

    /// The first moment strictly after `date` at this time of day in `calendar`'s time zone.
    public func next(after date: Date, calendar: Calendar = .current) -> Date {
        let components = DateComponents(hour: hour, minute: minute, second: second)
        return calendar.nextDate(after: date, matching: components, matchingPolicy: .nextTime) ?? date.addingTimeInterval(86400)
    }
}
