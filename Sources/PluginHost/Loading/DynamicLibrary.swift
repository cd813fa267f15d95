import Glibc

/// A shared object opened with `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` and never closed: Swift
/// plugins register metadata with the runtime, and unloading them leaves dangling pointers behind.
final class DynamicLibrary: @unchecked Sendable {
    /// Immutable after init; dlsym on it is thread-safe.
    private let handle: UnsafeMutableRawPointer

    /// Opens `path`, or throws dlerror's text.
    init(path: String) throws(DynamicLibraryError) {
        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw DynamicLibraryError(message: Self.lastError() ?? "dlopen(\(path)) failed")
        }
        self.handle = handle
    }

    /// The address of `name`. Decided by dlerror, not by a NULL result; a NULL function address
    /// is still an error for us.
    func address(of name: String) throws(DynamicLibraryError) -> UnsafeMutableRawPointer {
        _ = dlerror()
        let address = dlsym(handle, name)
        if let message = Self.lastError() { throw DynamicLibraryError(message: message) }
        guard let address else { throw DynamicLibraryError(message: "\(name) resolves to NULL") }
        return address
    }

    /// dlerror's message lives in a per-thread buffer that the next dl* call overwrites: copy it now.
    private static func lastError() -> String? {
        guard let message = dlerror() else { return nil }
        return String(cString: message)
    }
}

struct DynamicLibraryError: Error {
    let message: String
}
