import Foundation
@testable import PluginHost
import TestSupport
import Testing

/// libffi call interfaces prepared from declared signatures, over every C type.
@Suite struct CallInterfaceTests {
    enum Argument {
        case int8(Int8), int16(Int16), int32(Int32), int64(Int64)
        case uint8(UInt8), uint16(UInt16), uint32(UInt32), uint64(UInt64)
        case float(Float), double(Double), pointer(UnsafeRawPointer?)
    }

    final class Fixture: Sendable {
        let library: DynamicLibrary
        let sandbox: Sandbox
        init() async throws {
            sandbox = try Sandbox()
            let path = sandbox.root + "/libctypes.so"
            try await sandbox.compileC(Paths.fixtures + "/CTypes/ctypes.c", to: path)
            library = try DynamicLibrary(path: path)
        }
    }

    static let fixture = Task { try await Fixture() }

    /// Calls `symbol` through a call interface prepared from `signature`, reading the result as `R`.
    func call<R>(_ symbol: String, _ signature: String, _ arguments: [Argument], as _: R.Type) async throws -> R {
        let library = try await Self.fixture.value.library
        let interface = try CallInterface(signature: CSignature(parsing: signature), code: library.address(of: symbol), symbol: symbol)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: 8 * max(arguments.count, 1), alignment: 8)
        let slots = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: max(arguments.count, 1))
        defer { storage.deallocate(); slots.deallocate() }
        for (index, argument) in arguments.enumerated() {
            let slot = storage + 8 * index
            switch argument {
            case .int8(let value): slot.storeBytes(of: value, as: Int8.self)
            case .int16(let value): slot.storeBytes(of: value, as: Int16.self)
            case .int32(let value): slot.storeBytes(of: value, as: Int32.self)
            case .int64(let value): slot.storeBytes(of: value, as: Int64.self)
            case .uint8(let value): slot.storeBytes(of: value, as: UInt8.self)
            case .uint16(let value): slot.storeBytes(of: value, as: UInt16.self)
            case .uint32(let value): slot.storeBytes(of: value, as: UInt32.self)
            case .uint64(let value): slot.storeBytes(of: value, as: UInt64.self)
            case .float(let value): slot.storeBytes(of: value, as: Float.self)
            case .double(let value): slot.storeBytes(of: value, as: Double.self)
            case .pointer(let value): slot.storeBytes(of: value, as: UnsafeRawPointer?.self)
            }
            slots[index] = slot
        }
        var result: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &result) { interface.invoke(arguments: slots, result: $0.baseAddress!) }
        // Narrow integers come back widened to a full register; on little-endian the low bytes
        // are the value.
        return withUnsafeBytes(of: &result) { $0.load(as: R.self) }
    }

    @Test func signedIntegers() async throws {
        #expect(try await call("ct_neg_int8", "int8(int8)", [.int8(5)], as: Int8.self) == -5)
        #expect(try await call("ct_neg_int8", "int8(int8)", [.int8(-128)], as: Int8.self) == -128)
        #expect(try await call("ct_neg_int16", "int16(int16)", [.int16(-300)], as: Int16.self) == 300)
        #expect(try await call("ct_neg_int32", "int32(int32)", [.int32(Int32.max)], as: Int32.self) == -Int32.max)
        #expect(try await call("ct_neg_int64", "int64(int64)", [.int64(1 << 40)], as: Int64.self) == -(1 << 40))
    }

    @Test func unsignedIntegersWrap() async throws {
        #expect(try await call("ct_inc_uint8", "uint8(uint8)", [.uint8(255)], as: UInt8.self) == 0)
        #expect(try await call("ct_inc_uint16", "uint16(uint16)", [.uint16(65534)], as: UInt16.self) == 65535)
        #expect(try await call("ct_inc_uint32", "uint32(uint32)", [.uint32(UInt32.max)], as: UInt32.self) == 0)
        #expect(try await call("ct_inc_uint64", "uint64(uint64)", [.uint64(UInt64.max - 1)], as: UInt64.self) == UInt64.max)
    }

    @Test func floatingPoint() async throws {
        #expect(try await call("ct_half_float", "float(float)", [.float(3)], as: Float.self) == 1.5)
        #expect(try await call("ct_half_double", "double(double)", [.double(-7)], as: Double.self) == -3.5)
    }

    @Test func pointersSizesAndVoid() async throws {
        let text = strdup("switchboard")
        defer { free(text) }
        let length = try await call("ct_strlen", "size(pointer)", [.pointer(UnsafeRawPointer(text))], as: UInt64.self)
        #expect(length == 11)
        let before = try await call("ct_counter", "int64()", [], as: Int64.self)
        _ = try await call("ct_add", "void(int64)", [.int64(42)], as: UInt64.self)
        #expect(try await call("ct_counter", "int64(void)", [], as: Int64.self) == before + 42)
    }

    @Test func manyMixedArguments() async throws {
        let marker = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        defer { marker.deallocate() }
        let result = try await call("ct_mix", "double(int8,uint16,int32,int64,float,double,pointer,size,uint8)",
                                    [.int8(-1), .uint16(2), .int32(-3), .int64(4), .float(0.5), .double(0.25),
                                     .pointer(UnsafeRawPointer(marker)), .uint64(10), .uint8(200)], as: Double.self)
        let expected: Double = 1212.75   // -1 + 2 - 3 + 4 + 0.5 + 0.25 + 1000 (non-null pointer) + 10 + 200
        #expect(result == expected)
    }

    @Test func concurrentCallsThroughOnePreparedInterface() async throws {
        let sandbox = try Sandbox()
        let plugin = try await PluginCatalog.load([sandbox.candidate(sandbox.examplePlugin(in: "example"))]).plugin(id: "example.echo")
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for call in 0..<2_000 {
                        let input = #"{"task":\#(task),"call":\#(call)}"#
                        let output = try? plugin.call(.renderAlert, input: Data(input.utf8))
                        if output != Data(#"{"plugin":"example.echo","received":\#(input)}"#.utf8) { wrong += 1 }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
