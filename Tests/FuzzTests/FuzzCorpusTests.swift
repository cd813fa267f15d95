import Foundation
import FuzzTargets
import PluginHost
import Testing
import TestSupport

/// The fuzz targets in the normal test run, through the same code paths as `Fuzz/run.sh`: every
/// committed seed keeps every property (and each target has seeds that its parser accepts), and
/// every input a fuzz run once broke gets the exact outcome it gets since the fix.
@Suite struct FuzzCorpusTests {
    static let targets = FuzzTarget.all(plugins: Paths.catalog)
    static let corpus = Paths.repository + "/Fuzz/Corpus"
    static let regressions = Paths.fixtures + "/FuzzRegressions"

    /// What fuzzing found (`Tests/Fixtures/FuzzRegressions/<target>/<name>`) and what each input gets now.
    static let findings: [(target: String, name: String, outcome: FuzzOutcome)] = [
        // The pretty serialization (JSONEncoder) wrote the number 2.0 as `2`, which reads back as an integer.
        ("json", "integral-double", .accepted("number")),
    ]

    static func contents(of folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    static func run(_ name: String, _ file: String) throws -> FuzzOutcome {
        let target = try #require(targets.first { $0.name == name }, "no fuzz target '\(name)'")
        return target.run(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
    }

    @Test func everyTargetHasSeedsAndEverySeedFolderATarget() {
        #expect(Set(Self.contents(of: Self.corpus)) == Set(Self.targets.map(\.name)))
    }

    @Test(arguments: targets.map(\.name))
    func seedsKeepEveryPropertyAndReachTheParser(target: String) throws {
        let folder = Self.corpus + "/" + target
        var accepted = 0
        for seed in Self.contents(of: folder) {
            let outcome = try Self.run(target, folder + "/" + seed)
            if case .broken = outcome { Issue.record("\(target)/\(seed): \(outcome)") }
            if case .accepted = outcome { accepted += 1 }
        }
        #expect(accepted > 0, "no seed of \(target) is accepted by its parser")
    }

    @Test(arguments: findings.map { "\($0.target)/\($0.name)" })
    func findingGetsItsFixedOutcome(finding: String) throws {
        let expected = try #require(Self.findings.first { "\($0.target)/\($0.name)" == finding })
        #expect(try Self.run(expected.target, Self.regressions + "/" + finding) == expected.outcome)
    }

    @Test func everyFindingFileIsListed() {
        let files = Self.contents(of: Self.regressions).flatMap { target in Self.contents(of: Self.regressions + "/" + target).map { "\(target)/\($0)" } }
        #expect(Set(files) == Set(Self.findings.map { "\($0.target)/\($0.name)" }))
    }
}
