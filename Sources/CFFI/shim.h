/* Thin accessors over libffi for Swift 6.
 *
 * libffi's ffi_type_* descriptors are mutable C globals: Swift 6 refuses to reference them
 * (shared mutable state) and `&global` is not a stable pointer in Swift. The addresses are
 * handed out from C instead. ffi_call is wrapped so that a symbol address travels as `void *`
 * and is never cast to a Swift function type. */
#ifndef SWITCHBOARD_CFFI_SHIM_H
#define SWITCHBOARD_CFFI_SHIM_H

#include <ffi.h>

static inline ffi_type *cffi_type_void(void)    { return &ffi_type_void; }
static inline ffi_type *cffi_type_sint8(void)   { return &ffi_type_sint8; }
static inline ffi_type *cffi_type_sint16(void)  { return &ffi_type_sint16; }
static inline ffi_type *cffi_type_sint32(void)  { return &ffi_type_sint32; }
static inline ffi_type *cffi_type_sint64(void)  { return &ffi_type_sint64; }
static inline ffi_type *cffi_type_uint8(void)   { return &ffi_type_uint8; }
static inline ffi_type *cffi_type_uint16(void)  { return &ffi_type_uint16; }
static inline ffi_type *cffi_type_uint32(void)  { return &ffi_type_uint32; }
static inline ffi_type *cffi_type_uint64(void)  { return &ffi_type_uint64; }
static inline ffi_type *cffi_type_float(void)   { return &ffi_type_float; }
static inline ffi_type *cffi_type_double(void)  { return &ffi_type_double; }
static inline ffi_type *cffi_type_pointer(void) { return &ffi_type_pointer; }
static inline ffi_abi   cffi_default_abi(void)  { return FFI_DEFAULT_ABI; }

/* Calls `code` through a prepared call interface. `code` is the address dlsym returned. */
static inline void cffi_call(ffi_cif *cif, void *code, void *rvalue, void **avalue) {
    ffi_call(cif, FFI_FN(code), rvalue, avalue);
}

#endif
