/* Loops written in C for the figures the host's call path is compared against: a direct call
 * through a function pointer, and a bare ffi_call on an interface the host prepared. Each loop
 * re-reads the function pointer through a volatile, so the call stays a real indirect call. */
#ifndef SWITCHBOARD_BENCHMARK_BASELINES_H
#define SWITCHBOARD_BENCHMARK_BASELINES_H

#include <stdint.h>

/* Calls `code` as `const void *(*)(void)` `iterations` times; returns a checksum. */
uint64_t bench_direct_pointer_calls(void *code, uint64_t iterations);
/* The same function through ffi_call on the prepared `cif`. */
uint64_t bench_ffi_pointer_calls(void *cif, void *code, uint64_t iterations);
/* Calls `code` as `int32_t (*)(const void *, size_t, void *)`. */
uint64_t bench_direct_status_calls(void *code, uint64_t iterations);
/* The same function through ffi_call on the prepared `cif`. */
uint64_t bench_ffi_status_calls(void *cif, void *code, uint64_t iterations);
/* A data-role-shaped function that does nothing, to measure calling cost alone. */
void *bench_noop_status_address(void);

#endif
