/// A C scalar type that a manifest may name in an entry point's signature.
public enum CType: String, Sendable, CaseIterable, Equatable {
    case void, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float, double, pointer, size

    /// `size` is `size_t`, which is `uint64` on the LP64 targets this ABI supports.
    var abiEquivalent: CType { self == .size ? .uint64 : self }
}

/// A C function signature written the way manifests spell it: `int32(pointer,size,pointer)`.
///
/// ```swift
/// let signature = try CSignature(parsing: "int32(pointer,size,pointer)")
/// signature.returnType        // .int32
/// signature.argumentTypes     // [.pointer, .size, .pointer]
/// ```
public struct CSignature: Sendable, Equatable, CustomStringConvertible {
    public let returnType: CType
    public let argumentTypes: [CType]

    public init(returns returnType: CType, arguments argumentTypes: [CType]) {
        self.returnType = returnType
        self.argumentTypes = argumentTypes
    }

    /// Parses `ret(arg,...)`. Spaces are allowed around names; `ret()` and `ret(void)` take no
    /// arguments; `void` is not an argument type otherwise.
    public init(parsing text: String) throws(CSignatureError) {
        guard let open = text.firstIndex(of: "("), text.hasSuffix(")"),
              text.firstIndex(of: ")") == text.index(before: text.endIndex) else {
            throw .malformed(text)
        }
        let returnName = text[..<open].trimmingCharacters(in: .whitespaces)
        let inner = text[text.index(after: open)..<text.index(before: text.endIndex)]
            .trimmingCharacters(in: .whitespaces)
        guard !returnName.isEmpty, !inner.contains("(") else { throw .malformed(text) }
        returnType = try Self.type(named: returnName)

        let names = inner.isEmpty ? [] : inner.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if names == ["void"] {
            argumentTypes = []
            return
        }
        argumentTypes = try names.map { name throws(CSignatureError) in
            guard !name.isEmpty else { throw .malformed(text) }
            let type = try Self.type(named: name)
            guard type != .void else { throw .voidArgument(text) }
            return type
        }
    }

    /// The canonical spelling: no spaces, `void` only as a return type.
    public var description: String {
        "\(returnType.rawValue)(\(argumentTypes.map(\.rawValue).joined(separator: ",")))"
    }

    /// Whether two signatures are the same at the ABI level (`size` and `uint64` are one type).
    public func isABICompatible(with other: CSignature) -> Bool {
        returnType.abiEquivalent == other.returnType.abiEquivalent
            && argumentTypes.map(\.abiEquivalent) == other.argumentTypes.map(\.abiEquivalent)
    }

    private static func type(named name: String) throws(CSignatureError) -> CType {
        guard let type = CType(rawValue: name) else { throw .unknownType(name) }
        return type
    }
}

/// Why a signature string could not be parsed.
public enum CSignatureError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case unknownType(String)
    case voidArgument(String)

    public var description: String {
        switch self {
        case .malformed(let text): "malformed signature '\(text)' (expected e.g. 'int32(pointer,size,pointer)')"
        case .unknownType(let name):
            "unknown C type '\(name)' (known: \(CType.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .voidArgument(let text): "'void' is only allowed as a return type or alone in '\(text)'"
        }
    }
}
