/*
 * plan.c: a test action plugin whose plan_action returns the plan it was built with
 * (FIXED_PLAN, a C string literal of JSON), whatever it is asked. The router's checks of plans
 * against a manifest's capabilities are tested with it: a real plugin, planning what the test says.
 */
#include <string.h>

#include "switchboard_plugin.h"

#ifndef PLAN_ID
#define PLAN_ID "example.plan"
#endif
#ifndef FIXED_PLAN
#define FIXED_PLAN "{\"steps\":[{\"kind\":\"local-reboot\"}],\"summary\":\"reboot\"}"
#endif

static const sb_host_api *host;

static const sb_plugin_info info = {
    sizeof(sb_plugin_info), SB_ABI_MAJOR, SB_ABI_MINOR, 0, PLAN_ID, "1.0.0"
};

SB_EXPORT const sb_plugin_info *plan_describe(void) { return &info; }

SB_EXPORT int32_t plan_init(const sb_host_api *api) {
    if (api == NULL || api->struct_size < sizeof(sb_host_api) || api->abi_major != SB_ABI_MAJOR) {
        return SB_ERR_INVALID_INPUT;
    }
    host = api;
    return SB_OK;
}

SB_EXPORT int32_t plan_plan_action(const uint8_t *input, size_t length, sb_buffer *output) {
    static const char plan[] = FIXED_PLAN;
    (void)input;
    (void)length;
    if (host == NULL) return SB_ERR_NOT_INITIALIZED;
    if (output == NULL) return SB_ERR_INVALID_INPUT;
    uint8_t *data = host->allocate(host->ctx, sizeof plan - 1);
    if (data == NULL) return SB_ERR_NO_MEMORY;
    memcpy(data, plan, sizeof plan - 1);
    output->data = data;   /* ownership passes to the host */
    output->length = sizeof plan - 1;
    return SB_OK;
}
