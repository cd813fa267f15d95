/*
 * switchboard_plugin.h: the C ABI between the Switchboard host and its plugins.
 *
 * This is the only file a plugin author compiles against. It is plain C99, needs nothing but
 * <stddef.h> and <stdint.h>, and is the same for plugins written in C and in Swift (@_cdecl).
 *
 * ABI version: SB_ABI_MAJOR.SB_ABI_MINOR (below). The host refuses a plugin whose manifest `abi`
 * or self-description `abi_major` differs from the host's SB_ABI_MAJOR. A minor bump only adds
 * things (new status codes, new fields at the end of a struct, new roles); every struct starts
 * with `struct_size` so either side can tell how much of it the other knows.
 *
 * How a plugin is called
 * ----------------------
 * A plugin is a shared object plus a JSON manifest. The manifest lists the plugin's entry points:
 * a role, the exported symbol, and the symbol's C signature (e.g. "int32(pointer,size,pointer)").
 * The host never trusts a symbol's type: it prepares a libffi call interface from the declared
 * signature once, at load time, after checking that signature against the contract of the role.
 *
 *   role        contract                        C prototype
 *   ----------  ------------------------------  ------------------------------------------------
 *   describe    pointer()                       const sb_plugin_info *describe(void);
 *   init        int32(pointer)                  int32_t init(const sb_host_api *host);
 *   <data role> int32(pointer,size,pointer)     int32_t fn(const uint8_t *input, size_t length,
 *                                                          sb_buffer *output);
 *
 * Data roles (the JSON data model is documented in the README, "Plugin data model"):
 *   platform plugins: render_alert, render_ticket, render_report, request_token, parse_response,
 *                     render_action, parse_action, render_inbound, parse_inbound
 *   action plugins:   plan_action, parse_result
 *
 * Load order: dlopen (RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) -> resolve every declared symbol ->
 * describe() is checked against the manifest -> init(host) -> data roles, from any thread.
 * A plugin is never unloaded while the host process lives, so static storage stays valid.
 *
 * Threading: after init returns SB_OK, the host may call data roles concurrently from several
 * threads. A plugin that keeps mutable state must protect it itself.
 */
#ifndef SWITCHBOARD_PLUGIN_H
#define SWITCHBOARD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version implemented by this header. */
#define SB_ABI_MAJOR 1
#define SB_ABI_MINOR 0

/* Marks a function as exported from the plugin even when it is built with -fvisibility=hidden. */
#define SB_EXPORT __attribute__((visibility("default")))

/*
 * Status codes returned by `init` and by every data role. 0 is success; anything else is a
 * failure, and the host reports it with the name below and, when the plugin filled `output`,
 * with the UTF-8 message found there.
 */
typedef enum sb_status {
    SB_OK = 0,                  /* success; `output` holds the JSON result */
    SB_ERR_INVALID_INPUT = 1,   /* the input was not what the role expects (bad JSON, missing field) */
    SB_ERR_UNSUPPORTED = 2,     /* the plugin does not handle this request (e.g. an unknown format) */
    SB_ERR_INTERNAL = 3,        /* a bug or an unexpected condition inside the plugin */
    SB_ERR_NO_MEMORY = 4,       /* host allocate() returned NULL */
    SB_ERR_NOT_INITIALIZED = 5  /* a data role was called before init succeeded */
} sb_status;

/* Log levels for sb_host_api.log. */
typedef enum sb_log_level {
    SB_LOG_DEBUG = 0,
    SB_LOG_INFO = 1,
    SB_LOG_WARNING = 2,
    SB_LOG_ERROR = 3
} sb_log_level;

/*
 * A byte buffer handed from the plugin to the host.
 *
 * Ownership: the host passes a zeroed sb_buffer to a data role. The plugin allocates `data`
 * with host->allocate (never malloc), writes `length` bytes into it, and gives both up: from
 * then on the memory belongs to the host, which releases it. On SB_OK the bytes are the UTF-8
 * JSON result; on failure they are an optional UTF-8 error message (no terminating NUL needed).
 * A plugin that leaves `data` NULL returns an empty result.
 */
typedef struct sb_buffer {
    uint8_t *data;
    size_t length;
} sb_buffer;

/*
 * The host API table, given to the plugin's `init`.
 *
 * Ownership: the table and `ctx` belong to the host and stay valid, unchanged, for as long as the
 * process lives, so a plugin may keep the pointer in a static. Every callback is thread-safe and
 * takes `ctx` as its first argument; pass the table's own `ctx` back unchanged.
 */
typedef struct sb_host_api {
    uint32_t struct_size;   /* sizeof(sb_host_api) as the host knows it: read fields only below it */
    uint32_t abi_major;     /* SB_ABI_MAJOR of the host */
    uint32_t abi_minor;     /* SB_ABI_MINOR of the host */
    uint32_t reserved;      /* zero */
    void *ctx;              /* opaque host context for the callbacks below */

    /* Writes one log line attributed to the plugin. `message` is UTF-8, `length` bytes, and is
     * copied before log returns; it need not be NUL-terminated. */
    void (*log)(void *ctx, int32_t level, const char *message, size_t length);

    /* Allocates `size` bytes (at least 1) that the host will own once they are handed over in an
     * sb_buffer. Returns NULL when out of memory. */
    void *(*allocate)(void *ctx, size_t size);

    /* Releases memory obtained from `allocate` that the plugin did not hand over (for example
     * on an error path). Passing NULL does nothing. */
    void (*release)(void *ctx, void *pointer);
} sb_host_api;

/*
 * The plugin's self-description, returned by its `describe` entry point.
 *
 * Ownership: the struct and its strings belong to the plugin and must stay valid and unchanged
 * for the life of the process (a `static const` object is the usual choice). The host checks
 * `id`, `version` and `abi_major` against the manifest before calling `init`, so a manifest
 * cannot silently point at the wrong binary.
 */
typedef struct sb_plugin_info {
    uint32_t struct_size;   /* sizeof(sb_plugin_info) as the plugin was compiled */
    uint32_t abi_major;     /* SB_ABI_MAJOR the plugin was compiled against */
    uint32_t abi_minor;     /* SB_ABI_MINOR the plugin was compiled against */
    uint32_t reserved;      /* zero */
    const char *id;         /* NUL-terminated, equal to the manifest's "id" */
    const char *version;    /* NUL-terminated semantic version, equal to the manifest's "version" */
} sb_plugin_info;

/* Convenience initializer for a plugin's static self-description. */
#define SB_PLUGIN_INFO(plugin_id, plugin_version) \
    { (uint32_t)sizeof(sb_plugin_info), SB_ABI_MAJOR, SB_ABI_MINOR, 0, (plugin_id), (plugin_version) }

#ifdef __cplusplus
}
#endif

#endif /* SWITCHBOARD_PLUGIN_H */
