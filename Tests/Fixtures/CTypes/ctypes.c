/* Functions over every C type a manifest signature can name, for testing libffi call interfaces:
 * narrow integer returns must come back sign- or zero-extended correctly, floats must travel in
 * SSE registers, and many mixed arguments must land in the right places. */
#include <stddef.h>
#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT int8_t   ct_neg_int8(int8_t x)      { return (int8_t)-x; }
EXPORT int16_t  ct_neg_int16(int16_t x)    { return (int16_t)-x; }
EXPORT int32_t  ct_neg_int32(int32_t x)    { return -x; }
EXPORT int64_t  ct_neg_int64(int64_t x)    { return -x; }
EXPORT uint8_t  ct_inc_uint8(uint8_t x)    { return (uint8_t)(x + 1); }
EXPORT uint16_t ct_inc_uint16(uint16_t x)  { return (uint16_t)(x + 1); }
EXPORT uint32_t ct_inc_uint32(uint32_t x)  { return x + 1; }
EXPORT uint64_t ct_inc_uint64(uint64_t x)  { return x + 1; }
EXPORT float    ct_half_float(float x)     { return x / 2.0f; }
EXPORT double   ct_half_double(double x)   { return x / 2.0; }
EXPORT size_t   ct_strlen(const char *s)   { size_t n = 0; while (s[n]) n++; return n; }

static int64_t counter;
EXPORT void ct_add(int64_t delta) { counter += delta; }
EXPORT int64_t ct_counter(void) { return counter; }

/* Mixed: more arguments than integer registers, floats interleaved. */
EXPORT double ct_mix(int8_t a, uint16_t b, int32_t c, int64_t d, float e, double f, const void *g, size_t h, uint8_t i) {
    return (double)a + (double)b + (double)c + (double)d + (double)e + f + (g ? 1000.0 : 0.0) + (double)h + (double)i;
}
