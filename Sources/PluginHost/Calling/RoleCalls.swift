/// Typed calls for the shapes the role contracts allow. The loader only binds an interface to a
/// role after checking its signature against the role's contract, so these shapes always match.
extension CallInterface {
    /// `pointer()`: the `describe` role.
    @inline(__always)
    public func callReturningPointer() -> UnsafeRawPointer? {
        var result: UInt = 0
        withUnsafeMutableBytes(of: &result) { invoke(arguments: nil, result: $0.baseAddress!) }
        return UnsafeRawPointer(bitPattern: result)
    }

    /// `int32(pointer)`: the `init` role.
    @inline(__always)
    public func callReturningStatus(_ argument: UnsafeRawPointer?) -> Int32 {
        var first = argument
        var result: UInt64 = 0
        withUnsafeMutablePointer(to: &first) { first in
            withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: 1) { slots in
                slots[0] = UnsafeMutableRawPointer(first)
                withUnsafeMutableBytes(of: &result) { invoke(arguments: slots.baseAddress, result: $0.baseAddress!) }
            }
        }
        return Int32(truncatingIfNeeded: result)
    }

    /// `int32(pointer,size,pointer)`: every data role.
    @inline(__always)
    public func callReturningStatus(_ input: UnsafeRawPointer?, _ length: Int, _ output: UnsafeMutableRawPointer?) -> Int32 {
        var first = input
        var second = UInt64(length)
        var third = output
        var result: UInt64 = 0
        withUnsafeMutablePointer(to: &first) { first in
            withUnsafeMutablePointer(to: &second) { second in
                withUnsafeMutablePointer(to: &third) { third in
                    withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: 3) { slots in
                        slots[0] = UnsafeMutableRawPointer(first)
                        slots[1] = UnsafeMutableRawPointer(second)
                        slots[2] = UnsafeMutableRawPointer(third)
                        withUnsafeMutableBytes(of: &result) { invoke(arguments: slots.baseAddress, result: $0.baseAddress!) }
                    }
                }
            }
        }
        return Int32(truncatingIfNeeded: result)
    }
}
