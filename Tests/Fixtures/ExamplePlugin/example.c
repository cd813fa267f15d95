/*
 * example.c: a complete out-of-tree Switchboard plugin in C, the one the README's author guide
 * walks through. It is a platform plugin whose render_alert wraps the alert it receives in an
 * envelope: {"plugin":"example.echo","received":<input>}. The host hands data roles valid JSON,
 * so the envelope is valid JSON too.
 *
 * Build:  cc -shared -fPIC -O2 -fvisibility=hidden -I<dir of switchboard_plugin.h> \
 *            -o libexample.so example.c
 *
 * The macros below exist so the test suite can build broken variants of the same plugin; a
 * real plugin would not have them.
 */
#include <string.h>

#include "switchboard_plugin.h"

#ifndef EXAMPLE_ID
#define EXAMPLE_ID "example.echo"
#endif
#ifndef EXAMPLE_VERSION
#define EXAMPLE_VERSION "0.1.0"
#endif
#ifndef EXAMPLE_ABI_MAJOR
#define EXAMPLE_ABI_MAJOR SB_ABI_MAJOR
#endif
#ifndef EXAMPLE_INIT_STATUS
#define EXAMPLE_INIT_STATUS SB_OK
#endif

static const sb_host_api *host;

static const sb_plugin_info info = {
    sizeof(sb_plugin_info), EXAMPLE_ABI_MAJOR, SB_ABI_MINOR, 0, EXAMPLE_ID, EXAMPLE_VERSION
};

SB_EXPORT const sb_plugin_info *example_describe(void) { return &info; }

SB_EXPORT int32_t example_init(const sb_host_api *api) {
    if (api == NULL || api->struct_size < sizeof(sb_host_api) || api->abi_major != SB_ABI_MAJOR) {
        return SB_ERR_INVALID_INPUT;
    }
    host = api;
    static const char ready[] = "example plugin ready";
    host->log(host->ctx, SB_LOG_INFO, ready, sizeof ready - 1);
    return EXAMPLE_INIT_STATUS;
}

#ifndef EXAMPLE_OMIT_RENDER
SB_EXPORT int32_t example_render_alert(const uint8_t *input, size_t length, sb_buffer *output) {
    static const char head[] = "{\"plugin\":\"" EXAMPLE_ID "\",\"received\":";
    if (host == NULL) return SB_ERR_NOT_INITIALIZED;
    if (output == NULL || (input == NULL && length > 0)) return SB_ERR_INVALID_INPUT;
    if (length == 0) {
        static const char empty[] = "input: empty";
        uint8_t *message = host->allocate(host->ctx, sizeof empty - 1);
        if (message == NULL) return SB_ERR_NO_MEMORY;
        memcpy(message, empty, sizeof empty - 1);
        output->data = message;
        output->length = sizeof empty - 1;
        return SB_ERR_INVALID_INPUT;
    }
    size_t total = sizeof head - 1 + length + 1;
    uint8_t *data = host->allocate(host->ctx, total);
    if (data == NULL) return SB_ERR_NO_MEMORY;
    memcpy(data, head, sizeof head - 1);
    memcpy(data + sizeof head - 1, input, length);
    data[total - 1] = '}';
    output->data = data;   /* ownership passes to the host */
    output->length = total;
    return SB_OK;
}
#endif
