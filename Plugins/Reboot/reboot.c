/*
 * reboot.c: the "switchboard.reboot" action plugin.
 *
 * Turns a reboot request (JSON) into an execution plan (JSON). It only computes: it does no I/O
 * and never reboots anything; the host executes the plan.
 *
 * The input is validated strictly in one pass (RFC 8259, well-formed UTF-8, no lone surrogates,
 * nesting <= 64); members are then looked up in the validated text, so lookups need no error
 * handling. Strings are decoded only while compared or copied: the one allocation is the output
 * buffer, sized by a dry run of the writer that later fills it (the host API has no realloc).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "reboot_plugin.h"

#define MAX_DEPTH 64
#define MAX_DELAY 86400UL
#define SHOWN_BYTES 64          /* longest echo of a caller's string inside an error message */
#define NONE ((size_t)-1)       /* "no offset" in a plan */
#define READY "reboot plugin ready"

/* Saved by a successful init. The host keeps the table alive and unchanged for the process
 * lifetime, and calls init before any data role, so reading it needs no lock. */
static const sb_host_api *g_host;

/* ---- Strict JSON validation ---------------------------------------------------------------
 * Every scan_* function leaves sc->i at the offending byte on failure; that offset is what the
 * error message reports. */

typedef struct { const uint8_t *s; size_t n, i; int too_deep; } scanner;

static int at_end(const scanner *sc) { return sc->i >= sc->n; }
static int peek_is(const scanner *sc, uint8_t c) { return sc->i < sc->n && sc->s[sc->i] == c; }
static int eat(scanner *sc, uint8_t c) { return peek_is(sc, c) && ++sc->i; } /* consumes c if next */

static void skip_ws(scanner *sc)
{
    while (peek_is(sc, ' ') || peek_is(sc, '\t') || peek_is(sc, '\n') || peek_is(sc, '\r'))
        sc->i++;
}

static int hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20; /* fold A-F to a-f */
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The value of 4 hex digits already known to be valid. */
static uint32_t hex4_at(const uint8_t *p)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) v = v << 4 | (uint32_t)hex_digit(p[k]);
    return v;
}

/* Checks the 4 hex digits of a \u escape at sc->i and returns their value, or -1. */
static int32_t scan_hex4(scanner *sc)
{
    for (int k = 0; k < 4; k++, sc->i++)
        if (at_end(sc) || hex_digit(sc->s[sc->i]) < 0) return -1;
    return (int32_t)hex4_at(sc->s + sc->i - 4);
}

/* One UTF-8 sequence (lead byte >= 0x80); rejects overlongs, surrogates and > U+10FFFF, so the
 * bytes we later copy into our output are valid UTF-8 too. */
static int scan_utf8(scanner *sc)
{
    uint8_t c = sc->s[sc->i], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;   /* overlong */
        hi = c == 0xED ? 0x9F : 0xBF;   /* UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;   /* overlong */
        hi = c == 0xF4 ? 0x8F : 0xBF;   /* above U+10FFFF */
    } else {
        return 0;
    }
    for (size_t k = 1; k < len; k++, lo = 0x80, hi = 0xBF)
        if (++sc->i >= sc->n || sc->s[sc->i] < lo || sc->s[sc->i] > hi) return 0;
    sc->i++;
    return 1;
}

static int scan_string(scanner *sc)
{
    sc->i++; /* opening quote */
    for (;;) {
        if (at_end(sc)) return 0;
        uint8_t c = sc->s[sc->i];
        if (c == '"') { sc->i++; return 1; }
        if (c < 0x20) return 0;
        if (c >= 0x80) { if (!scan_utf8(sc)) return 0; continue; }
        if (c != '\\') { sc->i++; continue; }
        size_t esc = sc->i++;
        if (at_end(sc)) return 0;
        c = sc->s[sc->i++];
        if (c != 'u' && !memchr("\"\\/bfnrt", c, 8)) { sc->i--; return 0; }
        if (c != 'u') continue;
        /* Lone surrogates are rejected (reported at their escape) because they cannot be
         * re-encoded as UTF-8; a high one must be followed directly by a low one. */
        int32_t u = scan_hex4(sc), low;
        if (u < 0) return 0;
        if (u >= 0xDC00 && u <= 0xDFFF) { sc->i = esc; return 0; }
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (!eat(sc, '\\') || !eat(sc, 'u')) { sc->i = esc; return 0; }
            if ((low = scan_hex4(sc)) < 0) return 0;
            if (low < 0xDC00 || low > 0xDFFF) { sc->i = esc; return 0; }
        }
    }
}

static int scan_digits(scanner *sc)
{
    size_t start = sc->i;
    while (!at_end(sc) && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9') sc->i++;
    return sc->i > start;
}

static int scan_number(scanner *sc)
{
    (void)eat(sc, '-');
    if (!eat(sc, '0') && !scan_digits(sc)) return 0;  /* a leading 0 stands alone: "012" fails */
    if (eat(sc, '.') && !scan_digits(sc)) return 0;
    if (eat(sc, 'e') || eat(sc, 'E')) {
        if (!eat(sc, '+')) (void)eat(sc, '-');
        return scan_digits(sc);
    }
    return 1;
}

static int scan_literal(scanner *sc, const char *word)
{
    for (; *word; word++)
        if (!eat(sc, (uint8_t)*word)) return 0;
    return 1;
}

static int scan_value(scanner *sc, int depth);

static int scan_container(scanner *sc, int depth)
{
    uint8_t close = sc->s[sc->i] == '{' ? '}' : ']';
    if (depth > MAX_DEPTH) { sc->too_deep = 1; return 0; }
    sc->i++;
    skip_ws(sc);
    if (eat(sc, close)) return 1;
    for (;;) {
        if (close == '}') {
            skip_ws(sc);
            if (!peek_is(sc, '"') || !scan_string(sc)) return 0;
            skip_ws(sc);
            if (!eat(sc, ':')) return 0;
        }
        if (!scan_value(sc, depth)) return 0;
        skip_ws(sc);
        if (eat(sc, close)) return 1;
        if (!eat(sc, ',')) return 0;
    }
}

/* Skips leading whitespace and one value. Also used to step over values of already validated
 * text, where it cannot fail. */
static int scan_value(scanner *sc, int depth)
{
    skip_ws(sc);
    if (at_end(sc)) return 0;
    switch (sc->s[sc->i]) {
    case '{': case '[': return scan_container(sc, depth + 1);
    case '"': return scan_string(sc);
    case 't': return scan_literal(sc, "true");
    case 'f': return scan_literal(sc, "false");
    case 'n': return scan_literal(sc, "null");
    default: return scan_number(sc);
    }
}

/* ---- Access to validated text ------------------------------------------------------------
 * Offsets point at a value's first byte (a string's opening quote). Validation guarantees every
 * string its closing quote and every escape its digits, so nothing below checks bounds. */

/* Decodes one unit of a string body at s[*i] into out: an escape becomes its UTF-8 encoding,
 * a raw byte passes through alone. Returns the number of bytes written. */
static size_t next_char(const uint8_t *s, size_t *i, uint8_t out[4])
{
    uint8_t c = s[(*i)++];
    if (c != '\\') { out[0] = c; return 1; }
    c = s[(*i)++];
    switch (c) {
    case 'u': break;
    case 'b': out[0] = '\b'; return 1;
    case 'f': out[0] = '\f'; return 1;
    case 'n': out[0] = '\n'; return 1;
    case 'r': out[0] = '\r'; return 1;
    case 't': out[0] = '\t'; return 1;
    default: out[0] = c; return 1;     /* " \ / */
    }
    static const uint8_t lead[5] = { 0, 0, 0xC0, 0xE0, 0xF0 };
    uint32_t u = hex4_at(s + *i);
    *i += 4;
    if (u >= 0xD800 && u <= 0xDBFF) {   /* validation guarantees the low half follows */
        u = 0x10000 + ((u - 0xD800) << 10) + (hex4_at(s + *i + 2) - 0xDC00);
        *i += 6;
    }
    if (u < 0x80) { out[0] = (uint8_t)u; return 1; }
    size_t len = u < 0x800 ? 2 : u < 0x10000 ? 3 : 4;
    for (size_t k = len - 1; k > 0; k--, u >>= 6) out[k] = (uint8_t)(0x80 | (u & 0x3F));
    out[0] = (uint8_t)(lead[len] | u);
    return len;
}

/* Compares the decoded string at s[at] with a NUL-terminated key, so "\u0069d" matches "id". */
static int str_equals(const uint8_t *s, size_t at, const char *key)
{
    size_t i = at + 1, j = 0, len = strlen(key);
    uint8_t ch[4];
    while (s[i] != '"') {
        size_t m = next_char(s, &i, ch);
        if (m > len - j || memcmp(ch, key + j, m) != 0) return 0;
        j += m;
    }
    return j == len;
}

/* Counts the members of the object at s[obj] named `key`, storing the first one's value
 * offset in *val. Counting lets the caller reject duplicates rather than pick one silently. */
static int find_member(const uint8_t *s, size_t n, size_t obj, const char *key, size_t *val)
{
    scanner sc = { s, n, obj + 1, 0 };
    int found = 0;
    skip_ws(&sc);
    if (peek_is(&sc, '}')) return 0;
    for (;;) {
        skip_ws(&sc);
        size_t k = sc.i;
        (void)scan_string(&sc);
        skip_ws(&sc);
        sc.i++; /* ':' */
        skip_ws(&sc);
        if (str_equals(s, k, key) && found++ == 0) *val = sc.i;
        (void)scan_value(&sc, 0);
        skip_ws(&sc);
        if (s[sc.i++] == '}') return found;
    }
}

/* ---- Output --------------------------------------------------------------------------------
 * A writer with a NULL buffer only counts, so render() runs once to size the allocation and
 * once to fill it, with no chance of the two disagreeing. */

typedef struct { uint8_t *buf; size_t len; } writer;

static void put(writer *w, const void *p, size_t n)
{
    if (w->buf) memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void put_text(writer *w, const char *t) { put(w, t, strlen(t)); }

static void put_uint(writer *w, size_t v)
{
    char tmp[24];
    size_t k = sizeof tmp;
    do { tmp[--k] = (char)('0' + v % 10); v /= 10; } while (v);
    put(w, tmp + k, sizeof tmp - k);
}

/* Copies the string at s[at] decoded and re-escaped for JSON. With a limit (error messages)
 * it also escapes DEL and stops at a character boundary once `limit` bytes have been written,
 * so an echoed value stays one short printable line. */
static void put_escaped(writer *w, const uint8_t *s, size_t at, size_t limit)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = at + 1, shown = 0;
    uint8_t ch[4];
    while (s[i] != '"') {
        size_t m = next_char(s, &i, ch);
        if (limit && shown >= limit && (ch[0] & 0xC0) != 0x80) { put_text(w, "..."); return; }
        size_t before = w->len;
        if (ch[0] == '"' || ch[0] == '\\') {
            put(w, "\\", 1);
            put(w, ch, 1);
        } else if (ch[0] < 0x20 || (limit && ch[0] == 0x7F)) {
            char e[6] = { '\\', 'u', '0', '0', hex[ch[0] >> 4], hex[ch[0] & 15] };
            put(w, e, sizeof e);
        } else {
            put(w, ch, m);
        }
        shown += w->len - before;
    }
}

/* Everything needed to render the result: the plan on success, the message pieces otherwise
 * ("<path>: <text>[<at>][<echoed string><tail>]"). */
typedef struct {
    const uint8_t *s;
    size_t n;
    int32_t status;
    size_t id, platform, delay;         /* offsets of device.id and device.platform; seconds */
    int force, datto;
    const char *path, *text, *tail;     /* failure message pieces */
    size_t at, echo;                    /* byte offset to report; offset of the string to echo */
} plan;

static void render(writer *w, const plan *p)
{
    if (p->status != SB_OK) {
        put_text(w, p->path);
        put_text(w, ": ");
        put_text(w, p->text);
        if (p->at != NONE) put_uint(w, p->at);
        if (p->echo != NONE) {
            put_escaped(w, p->s, p->echo, SHOWN_BYTES);
            put_text(w, p->tail);
        }
        return;
    }
    put_text(w, "{\"steps\":[{\"kind\":");
    if (p->datto) {
        put_text(w, "\"platform-job\",\"platform\":\"datto\",\"operation\":\"reboot\",");
        put_text(w, "\"device\":\"");
        put_escaped(w, p->s, p->id, 0);
        put_text(w, "\",\"variables\":{\"delaySeconds\":\"");
        put_uint(w, p->delay);
        put_text(w, p->force ? "\",\"force\":\"true\"}}" : "\",\"force\":\"false\"}}");
    } else {
        put_text(w, "\"local-reboot\",\"delaySeconds\":");
        put_uint(w, p->delay);
        put_text(w, p->force ? ",\"force\":true}" : ",\"force\":false}");
    }
    put_text(w, "],\"summary\":\"reboot ");
    put_text(w, p->datto ? "Datto RMM device " : "local device ");
    put_escaped(w, p->s, p->id, 0);
    put_text(w, p->delay ? " in " : " now");
    if (p->delay) {
        put_uint(w, p->delay);
        put_text(w, " s");
    }
    put_text(w, p->force ? " (forced)\"}" : "\"}");
}

/* ---- Request rules --------------------------------------------------------------------- */

static int fail(plan *p, const char *path, const char *text)
{
    p->status = SB_ERR_INVALID_INPUT;
    p->path = path;
    p->text = text;
    return 0;
}

static int fail_echo(plan *p, const char *path, const char *text, size_t echo, const char *tail)
{
    p->echo = echo;
    p->tail = tail;
    return fail(p, path, text);
}

/* Finds the member named by the last component of `path`: 1 present, 0 absent, -1 failed. */
static int lookup(plan *p, size_t obj, const char *path, size_t *val)
{
    const char *dot = strrchr(path, '.');
    int count = find_member(p->s, p->n, obj, dot ? dot + 1 : path, val);
    if (count > 1) {
        fail(p, path, "duplicate member");
        return -1;
    }
    return count;
}

static int required_string(plan *p, size_t obj, const char *path, size_t *val)
{
    int r = lookup(p, obj, path, val);
    if (r < 0) return 0;
    if (r == 0) return fail(p, path, "missing");
    if (p->s[*val] != '"') return fail(p, path, "expected a string");
    if (p->s[*val + 1] == '"') return fail(p, path, "must not be empty");
    return 1;
}

/* Accepts only a plain non-negative integer token (no fraction or exponent) within range. */
static int read_delay(const uint8_t *v, size_t *out)
{
    size_t value = 0, digits = 0;
    for (; *v >= '0' && *v <= '9'; v++, digits++)
        if (digits < 6) value = value * 10 + (size_t)(*v - '0');
    if (digits == 0 || digits > 6 || *v == '.' || *v == 'e' || *v == 'E' || value > MAX_DELAY)
        return 0;
    *out = value;
    return 1;
}

static int parse(plan *p)
{
    const uint8_t *s = p->s;
    size_t top, dev, par, v;
    int r;

    if (p->n == 0) return fail(p, "input", "empty");
    if (!s) return fail(p, "input", "missing");
    /* Keeps every size computed by render() (at most ~2x the input) far from overflow. */
    if (p->n > SIZE_MAX / 4) return fail(p, "input", "too large");

    scanner sc = { s, p->n, 0, 0 };
    skip_ws(&sc);
    top = sc.i;
    if (!scan_value(&sc, 0) || (skip_ws(&sc), !at_end(&sc))) {
        if (sc.too_deep) return fail(p, "input", "nesting deeper than 64");
        p->at = sc.i;
        return fail(p, "input", "not valid JSON at byte ");
    }
    if (s[top] != '{') return fail(p, "input", "expected a JSON object");

    if ((r = lookup(p, top, "action", &v)) < 0) return 0;
    if (r && s[v] != '"') return fail(p, "action", "expected a string");
    if (r && !str_equals(s, v, "reboot"))
        return fail_echo(p, "action", "expected \"reboot\", got \"", v, "\"");

    if ((r = lookup(p, top, "device", &dev)) < 0) return 0;
    if (r == 0) return fail(p, "device", "missing");
    if (s[dev] != '{') return fail(p, "device", "expected an object");
    if (!required_string(p, dev, "device.platform", &p->platform)) return 0;
    if (!required_string(p, dev, "device.id", &p->id)) return 0;

    if ((r = lookup(p, top, "parameters", &par)) < 0) return 0;
    if (r) {
        if (s[par] != '{') return fail(p, "parameters", "expected an object");
        if ((r = lookup(p, par, "parameters.delaySeconds", &v)) < 0) return 0;
        if (r && !read_delay(s + v, &p->delay))
            return fail(p, "parameters.delaySeconds", "expected an integer between 0 and 86400");
        if ((r = lookup(p, par, "parameters.force", &v)) < 0) return 0;
        if (r && s[v] != 't' && s[v] != 'f')
            return fail(p, "parameters.force", "expected a boolean");
        p->force = r && s[v] == 't';
    }

    p->datto = str_equals(s, p->platform, "datto");
    if (!p->datto && !str_equals(s, p->platform, "local")) {
        fail_echo(p, "device.platform", "reboot is not supported on platform '", p->platform, "'");
        p->status = SB_ERR_UNSUPPORTED;
        return 0;
    }
    return 1;
}

/* ---- Entry points -------------------------------------------------------------------------- */

SB_EXPORT const sb_plugin_info *switchboard_reboot_describe(void)
{
    static const sb_plugin_info info = SB_PLUGIN_INFO("switchboard.reboot", "1.0.0");
    return &info;
}

SB_EXPORT int32_t switchboard_reboot_init(const sb_host_api *host)
{
    /* allocate is the only way to hand back a result, so a table without it is unusable. */
    if (!host || host->struct_size < sizeof(sb_host_api) || host->abi_major != SB_ABI_MAJOR ||
        !host->allocate)
        return SB_ERR_INVALID_INPUT;
    g_host = host;
    if (host->log) host->log(host->ctx, SB_LOG_DEBUG, READY, sizeof READY - 1);
    return SB_OK;
}

SB_EXPORT int32_t switchboard_reboot_plan_action(const uint8_t *input, size_t length,
                                                 sb_buffer *output)
{
    const sb_host_api *host = g_host;
    if (!host) return SB_ERR_NOT_INITIALIZED;
    if (!output) return SB_ERR_INVALID_INPUT;

    plan p = { .s = input, .n = length, .status = SB_OK, .at = NONE, .echo = NONE };
    (void)parse(&p);

    writer w = { NULL, 0 };
    render(&w, &p);
    uint8_t *buf = (uint8_t *)host->allocate(host->ctx, w.len);
    if (!buf) return SB_ERR_NO_MEMORY;
    w.buf = buf;
    w.len = 0;
    render(&w, &p);
    output->data = buf;
    output->length = w.len;
    return p.status;
}
