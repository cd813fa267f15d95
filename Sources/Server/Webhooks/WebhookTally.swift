import Synchronization

/// The server's own webhook counters, exposed as `switchboard_webhook_requests_total{outcome}` and
/// `switchboard_webhook_rejections_total{reason}` (every reason, zero included, so rates can be taken
/// from the first scrape).
final class WebhookTally: Sendable {
    private struct Counts {
        var accepted = 0
        var rejections: [WebhookRejectionReason: Int] = [:]
    }

    private let counts = Mutex(Counts())

    func accept() { counts.withLock { $0.accepted += 1 } }

    func reject(_ reason: WebhookRejectionReason) { counts.withLock { $0.rejections[reason, default: 0] += 1 } }

    var families: [MetricFamily] {
        let counts = counts.withLock { $0 }
        let rejected = counts.rejections.values.reduce(0, +)
        return [
            MetricFamily(name: "switchboard_webhook_requests_total", help: "Datto webhook requests, by outcome of authentication.",
                         type: .counter, samples: [MetricSample(labels: ["outcome": "accepted"], value: Double(counts.accepted)),
                                                   MetricSample(labels: ["outcome": "rejected"], value: Double(rejected))]),
            MetricFamily(name: "switchboard_webhook_rejections_total", help: "Datto webhook requests refused, by reason.",
                         type: .counter, samples: WebhookRejectionReason.allCases.map { reason in
                             MetricSample(labels: ["reason": reason.rawValue], value: Double(counts.rejections[reason] ?? 0))
                         }),
        ]
    }
}
