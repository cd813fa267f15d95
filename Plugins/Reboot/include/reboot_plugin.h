/* Entry points of the bundled Reboot action plugin (switchboard.reboot); see its manifest. */
#ifndef SWITCHBOARD_REBOOT_PLUGIN_H
#define SWITCHBOARD_REBOOT_PLUGIN_H

#include "switchboard_plugin.h"

SB_EXPORT const sb_plugin_info *switchboard_reboot_describe(void);
SB_EXPORT int32_t switchboard_reboot_init(const sb_host_api *host);
SB_EXPORT int32_t switchboard_reboot_plan_action(const uint8_t *input, size_t length, sb_buffer *output);

#endif
