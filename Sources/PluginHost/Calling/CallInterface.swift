import CFFI

/// A libffi call interface for one entry point, prepared once from its declared signature.
///
/// The symbol's address is only ever handed to `ffi_call`; it is never cast to a Swift function
/// type. The prepared `ffi_cif` is read-only after init, so one interface serves concurrent
/// calls as long as each call brings its own argument and result storage.
///
/// ```swift
/// let interface = try CallInterface(signature: entry.signature, code: address, symbol: entry.symbol)
/// var result: UInt64 = 0
/// interface.invoke(arguments: nil, result: &result)
/// ```
public final class CallInterface: @unchecked Sendable {
    public let signature: CSignature
    public let symbol: String
    /// The address `dlsym` returned for `symbol`.
    let code: UnsafeMutableRawPointer
    /// libffi keeps pointers into both allocations, so they live as long as the interface.
    let cif: UnsafeMutablePointer<ffi_cif>
    private let argumentTypes: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>

    public init(signature: CSignature, code: UnsafeMutableRawPointer, symbol: String) throws(CallInterfaceError) {
        self.signature = signature
        self.symbol = symbol
        self.code = code
        let count = signature.argumentTypes.count
        cif = .allocate(capacity: 1)
        argumentTypes = .allocate(capacity: max(count, 1))
        for (index, type) in signature.argumentTypes.enumerated() {
            argumentTypes[index] = type.ffiType
        }
        let status = ffi_prep_cif(cif, cffi_default_abi(), UInt32(count), signature.returnType.ffiType,
                                  count == 0 ? nil : argumentTypes)
        guard status == FFI_OK else {
            cif.deallocate()
            argumentTypes.deallocate()
            throw CallInterfaceError(symbol: symbol, signature: signature, status: status.rawValue)
        }
    }

    deinit {
        cif.deallocate()
        argumentTypes.deallocate()
    }

    /// Calls the entry point. `arguments` holds one pointer per declared argument, each pointing
    /// at that argument's value; `result` must hold at least 8 bytes (libffi widens integer
    /// results narrower than a register to a full `ffi_arg`) and is ignored for `void`.
    @inline(__always)
    public func invoke(arguments: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, result: UnsafeMutableRawPointer) {
        cffi_call(cif, code, result, arguments)
    }

    /// The prepared `ffi_cif`, for measuring a bare `ffi_call` against the host's call path.
    public var preparedInterface: UnsafeMutableRawPointer { UnsafeMutableRawPointer(cif) }
    /// The symbol's address, for the same measurement.
    public var address: UnsafeMutableRawPointer { code }
}

/// libffi refused to prepare a call interface for a signature.
public struct CallInterfaceError: Error, Equatable, CustomStringConvertible {
    public let symbol: String
    public let signature: CSignature
    public let status: UInt32
    public var description: String { "ffi_prep_cif failed for \(symbol) \(signature) (status \(status))" }
}

extension CType {
    /// The libffi type descriptor, handed out from C (Swift 6 cannot reference libffi's globals).
    var ffiType: UnsafeMutablePointer<ffi_type> {
        switch self {
        case .void: cffi_type_void()
        case .int8: cffi_type_sint8()
        case .int16: cffi_type_sint16()
        case .int32: cffi_type_sint32()
        case .int64: cffi_type_sint64()
        case .uint8: cffi_type_uint8()
        case .uint16: cffi_type_uint16()
        case .uint32: cffi_type_uint32()
        case .uint64, .size: cffi_type_uint64()
        case .float: cffi_type_float()
        case .double: cffi_type_double()
        case .pointer: cffi_type_pointer()
        }
    }
}
