import PluginHost

/// One parser under fuzzing: its name (the folder of its corpus, `Fuzz/Corpus/<name>/`) and what it
/// does with one input. The fuzz driver feeds it libFuzzer's inputs; the tests feed it the corpus
/// and every input a fuzz run once broke, so both exercise the same, real code path.
///
/// ```swift
/// let target = FuzzTarget.all(plugins: catalog).first { $0.name == "signature" }
/// target?.run(Array("t=1,v1=00\n{}".utf8))   // .refused("malformed_signature")
/// ```
public struct FuzzTarget: Sendable {
    public let name: String
    /// What the parser made of one input. Never traps by itself: a trap is the parser's.
    public let run: @Sendable ([UInt8]) -> FuzzOutcome

    public init(name: String, run: @escaping @Sendable ([UInt8]) -> FuzzOutcome) {
        self.name = name
        self.run = run
    }

    /// The host's parsers, then one target per parsing role of each loaded plugin in `plugins`.
    public static func all(plugins: PluginCatalog) -> [FuzzTarget] {
        [json, manifest, signature, alertWebhook] + plugins.loaded.flatMap(pluginTargets)
    }
}

/// What a parser made of an input.
public enum FuzzOutcome: Sendable, Equatable, CustomStringConvertible {
    /// Read, with a short account of the result.
    case accepted(String)
    /// Refused, with the error the user would see.
    case refused(String)
    /// A property that must hold for every input did not: a finding, like a crash.
    case broken(String)

    public var description: String {
        switch self {
        case .accepted(let text): "accepted: \(text)"
        case .refused(let text): "refused: \(text)"
        case .broken(let text): "BROKEN: \(text)"
        }
    }
}
