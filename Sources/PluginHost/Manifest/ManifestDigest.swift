import Foundation

/// Rewrites the `sha256` of a manifest to match its built library, keeping the rest of the file
/// as it was. This is how bundled manifests are refreshed after a plugin changes.
public enum ManifestDigest {
    /// The manifest's previous and new digest (equal when nothing changed).
    public struct Refresh: Sendable, Equatable {
        public let manifest: String
        public let previous: String
        public let current: String
    }

    public static func refresh(_ candidate: PluginCandidate) throws(PluginLoadError) -> Refresh {
        let path = candidate.manifestPath
        func fail(_ subject: String, _ problem: PluginLoadError.Problem) -> PluginLoadError {
            PluginLoadError(file: path, subject: subject, problem: problem)
        }
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
            throw fail("manifest", .unreadable("cannot read the file as UTF-8"))
        }
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch { throw fail("manifest", .malformedJSON(error.reason)) }
        guard case .string(let library)? = json["library"] else { throw fail("library", .missing) }
        let file = try LibraryFile.verify(library: library, folder: candidate.libraryFolder, manifestFile: path)
        guard case .string(let previous)? = json["sha256"],
              let range = text.firstMatch(of: #/"sha256"\s*:\s*"([^"]*)"/#)?.output.1 else {
            throw fail("sha256", .missing)
        }
        if previous != file.sha256 {
            text.replaceSubrange(range.startIndex..<range.endIndex, with: file.sha256)
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw fail("manifest", .unreadable("cannot write: \(error.localizedDescription)"))
            }
        }
        return Refresh(manifest: path, previous: previous, current: file.sha256)
    }
}
