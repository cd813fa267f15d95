/* Layout checks for the plugin ABI: a change that moves a field breaks every compiled plugin, so
 * it must fail the build here first (and come with an SB_ABI_MAJOR bump). */
#include "switchboard_plugin.h"

_Static_assert(sizeof(void *) == 8, "Switchboard's ABI v1 is defined for LP64 targets");
_Static_assert(sizeof(sb_buffer) == 16, "sb_buffer layout changed");
_Static_assert(offsetof(sb_host_api, ctx) == 16, "sb_host_api layout changed");
_Static_assert(sizeof(sb_host_api) == 48, "sb_host_api layout changed");
_Static_assert(offsetof(sb_plugin_info, id) == 16, "sb_plugin_info layout changed");
_Static_assert(sizeof(sb_plugin_info) == 32, "sb_plugin_info layout changed");
