#include "benchmark_baselines.h"

#include <ffi.h>
#include <stddef.h>

typedef const void *(*pointer_fn)(void);
typedef int32_t (*status_fn)(const void *, size_t, void *);

uint64_t bench_direct_pointer_calls(void *code, uint64_t iterations) {
    pointer_fn volatile fn = (pointer_fn)code;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < iterations; i++) sum += (uintptr_t)fn();
    return sum;
}

uint64_t bench_ffi_pointer_calls(void *cif, void *code, uint64_t iterations) {
    void *volatile target = code;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < iterations; i++) {
        ffi_arg result;
        ffi_call((ffi_cif *)cif, FFI_FN(target), &result, NULL);
        sum += result;
    }
    return sum;
}

uint64_t bench_direct_status_calls(void *code, uint64_t iterations) {
    status_fn volatile fn = (status_fn)code;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < iterations; i++) sum += (uint64_t)fn(&sum, (size_t)i, NULL);
    return sum;
}

uint64_t bench_ffi_status_calls(void *cif, void *code, uint64_t iterations) {
    void *volatile target = code;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < iterations; i++) {
        const void *input = &sum;
        size_t length = (size_t)i;
        void *output = NULL;
        void *arguments[3] = { &input, &length, &output };
        ffi_arg result;
        ffi_call((ffi_cif *)cif, FFI_FN(target), &result, arguments);
        sum += (uint64_t)(int32_t)result;
    }
    return sum;
}

static int32_t noop_status(const void *input, size_t length, void *output) {
    (void)input; (void)output;
    return (int32_t)(length & 1);
}

void *bench_noop_status_address(void) { return (void *)noop_status; }
