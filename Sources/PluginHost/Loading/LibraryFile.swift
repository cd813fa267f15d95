import Crypto
import Glibc

/// The checks a plugin's library passes before it is opened: it lies inside its plugin folder,
/// is a regular file that only its owner can write, is an ELF shared object for this machine,
/// and has the SHA-256 the manifest declares.
struct LibraryFile {
    /// The resolved, symlink-free path.
    let path: String
    /// Lowercase hex SHA-256 of the file's bytes.
    let sha256: String

    /// Resolves `library` inside `folder` and verifies it. Errors name `manifestFile`.
    static func verify(library: String, folder: String, manifestFile: String) throws(PluginLoadError) -> LibraryFile {
        func fail(_ problem: PluginLoadError.Problem) -> PluginLoadError {
            PluginLoadError(file: manifestFile, subject: "library", problem: problem)
        }
        guard let realFolder = realPath(folder) else { throw fail(.libraryNotFound(path: folder)) }
        guard !library.hasPrefix("/") else { throw fail(.libraryOutsideFolder(path: library, folder: realFolder)) }
        let candidate = realFolder + "/" + library
        guard isInside(normalized(candidate), realFolder) else {
            throw fail(.libraryOutsideFolder(path: library, folder: realFolder))
        }
        var linkStatus = stat()
        guard lstat(candidate, &linkStatus) == 0 else { throw fail(.libraryNotFound(path: candidate)) }
        // A symlink may point anywhere; only where it ends up counts.
        guard let resolved = realPath(candidate) else { throw fail(.libraryNotFound(path: candidate)) }
        guard isInside(resolved, realFolder) else {
            throw fail(.libraryOutsideFolder(path: library, folder: realFolder))
        }
        var status = stat()
        guard stat(resolved, &status) == 0 else { throw fail(.libraryNotFound(path: resolved)) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw fail(.notRegularFile(path: resolved)) }
        guard status.st_mode & (S_IWGRP | S_IWOTH) == 0 else {
            throw fail(.writableByOthers(path: resolved, mode: status.st_mode))
        }
        let digest: String
        do {
            digest = try hashAndCheckELF(resolved)
        } catch {
            throw fail(error.isELFProblem ? .notSharedObject(path: resolved, reason: error.reason)
                                          : .unreadable(error.reason))
        }
        return LibraryFile(path: resolved, sha256: digest)
    }

    /// Reads the file once: checks the ELF header from the first bytes and hashes all of it.
    private static func hashAndCheckELF(_ path: String) throws(FileProblem) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileProblem(reason: String(cString: strerror(errno)), isELFProblem: false) }
        defer { close(descriptor) }
        var hasher = SHA256()
        var header: [UInt8] = []
        let chunkSize = 1 << 16
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileProblem(reason: String(cString: strerror(errno)), isELFProblem: false)
            }
            if count == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            if header.count < 64 { header.append(contentsOf: chunk.prefix(64 - header.count)) }
            hasher.update(bufferPointer: chunk)
        }
        if let problem = ELFHeader.problem(with: header) { throw FileProblem(reason: problem, isELFProblem: true) }
        return hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    private struct FileProblem: Error {
        let reason: String
        let isELFProblem: Bool
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func isInside(_ path: String, _ folder: String) -> Bool {
        folder == "/" ? path.hasPrefix("/") : path.hasPrefix(folder + "/")
    }

    /// Removes `.` and `..` lexically, so `../x` is caught before anything touches the disk.
    private static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}

/// The part of the ELF header that tells a loadable shared object for this machine.
enum ELFHeader {
    #if arch(x86_64)
    static let machine: UInt16 = 62     // EM_X86_64
    #elseif arch(arm64)
    static let machine: UInt16 = 183    // EM_AARCH64
    #endif

    /// Why `header` (the file's first bytes) is not a 64-bit little-endian ELF shared object for
    /// this machine, or nil when it is.
    static func problem(with header: [UInt8]) -> String? {
        guard header.count >= 20, header[0] == 0x7f, header[1] == 0x45, header[2] == 0x4c, header[3] == 0x46 else {
            return "no ELF magic number"
        }
        guard header[4] == 2 else { return "not a 64-bit ELF file" }
        guard header[5] == 1 else { return "not little-endian" }
        let type = UInt16(header[16]) | UInt16(header[17]) << 8
        guard type == 3 else { return "ELF type \(type) is not ET_DYN (a shared object)" }
        let machine = UInt16(header[18]) | UInt16(header[19]) << 8
        guard machine == Self.machine else { return "built for ELF machine \(machine), this host is \(Self.machine)" }
        return nil
    }
}
