/* A plugin that misbehaves on request, for the isolation tests and benchmarks. Built as a platform
 * plugin, its render_alert answers {"echo": <input>}; built as an action plugin, its plan_action
 * plans one platform job ("reboot") on the request's device. Either misbehaves when its input
 * contains one of these words:
 *   "segfault"  writes through a NULL pointer (SIGSEGV)
 *   "abort"     calls abort() (SIGABRT)
 *   "exit"      ends the process with status 3
 *   "hang"      never returns
 *   "print"     writes to stdout and stderr first (a worker keeps its frames clean)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "switchboard_plugin.h"

#ifndef FAULTY_ID
#define FAULTY_ID "example.faulty"
#endif

static const sb_host_api *host;

static const sb_plugin_info info = {
    sizeof(sb_plugin_info), SB_ABI_MAJOR, SB_ABI_MINOR, 0, FAULTY_ID, "1.0.0"
};

SB_EXPORT const sb_plugin_info *faulty_describe(void) { return &info; }

SB_EXPORT int32_t faulty_init(const sb_host_api *api) {
    if (api == NULL || api->struct_size < sizeof(sb_host_api)) return SB_ERR_INVALID_INPUT;
    host = api;
    return SB_OK;
}

static int contains(const uint8_t *input, size_t length, const char *word) {
    size_t size = strlen(word);
    for (size_t i = 0; i + size <= length; i++) {
        if (memcmp(input + i, word, size) == 0) return 1;
    }
    return 0;
}

/* Crashes, exits, hangs or prints when the input asks for it. */
static void misbehave(const uint8_t *input, size_t length) {
    if (contains(input, length, "segfault")) {
        volatile int *nowhere = NULL;
        *nowhere = 1;
    }
    if (contains(input, length, "abort")) abort();
    if (contains(input, length, "exit")) _exit(3);
    if (contains(input, length, "hang")) {
        for (;;) pause();
    }
    if (contains(input, length, "print")) {
        printf("stray output\n");
        fflush(stdout);
        fprintf(stderr, "faulty plugin: a line on stderr\n");
    }
}

static int32_t answer(const char *text, size_t length, sb_buffer *output) {
    uint8_t *data = host->allocate(host->ctx, length);
    if (data == NULL) return SB_ERR_NO_MEMORY;
    memcpy(data, text, length);
    output->data = data;
    output->length = length;
    return SB_OK;
}

SB_EXPORT int32_t faulty_render_alert(const uint8_t *input, size_t length, sb_buffer *output) {
    static const char head[] = "{\"echo\":";
    if (host == NULL) return SB_ERR_NOT_INITIALIZED;
    if (output == NULL || (input == NULL && length > 0)) return SB_ERR_INVALID_INPUT;
    misbehave(input, length);
    size_t total = sizeof head - 1 + length + 1;
    uint8_t *data = host->allocate(host->ctx, total);
    if (data == NULL) return SB_ERR_NO_MEMORY;
    memcpy(data, head, sizeof head - 1);
    memcpy(data + sizeof head - 1, input, length);
    data[total - 1] = '}';
    output->data = data;
    output->length = total;
    return SB_OK;
}

/* The value of "id" in the input's "device" object (the host writes compact JSON). */
static int device_id(const uint8_t *input, size_t length, const uint8_t **id, size_t *size) {
    static const char object[] = "\"device\":{", key[] = "\"id\":\"";
    for (size_t i = 0; i + sizeof object - 1 <= length; i++) {
        if (memcmp(input + i, object, sizeof object - 1) != 0) continue;
        for (size_t j = i + sizeof object - 1; j + sizeof key - 1 <= length && input[j] != '}'; j++) {
            if (memcmp(input + j, key, sizeof key - 1) != 0) continue;
            size_t start = j + sizeof key - 1, end = start;
            while (end < length && input[end] != '"' && input[end] != '\\') end++;
            if (end == length || input[end] != '"') return 0;
            *id = input + start;
            *size = end - start;
            return 1;
        }
        return 0;
    }
    return 0;
}

SB_EXPORT int32_t faulty_plan_action(const uint8_t *input, size_t length, sb_buffer *output) {
    char plan[512];
    const uint8_t *id;
    size_t size;
    if (host == NULL) return SB_ERR_NOT_INITIALIZED;
    if (output == NULL || (input == NULL && length > 0)) return SB_ERR_INVALID_INPUT;
    misbehave(input, length);
    if (!device_id(input, length, &id, &size) || size > 200) {
        static const char missing[] = "input: device.id missing";
        answer(missing, sizeof missing - 1, output);
        return SB_ERR_INVALID_INPUT;
    }
    int written = snprintf(plan, sizeof plan,
                           "{\"steps\":[{\"kind\":\"platform-job\",\"platform\":\"datto\",\"operation\":\"reboot\","
                           "\"device\":\"%.*s\",\"variables\":{}}],\"summary\":\"reboot %.*s\"}",
                           (int)size, (const char *)id, (int)size, (const char *)id);
    return answer(plan, (size_t)written, output);
}
