/* Test plugin: exports the version but no zerorl_reward_score. */
#include "reward/plugin_abi.h"

uint32_t zerorl_reward_abi_version(void) { return ZERORL_REWARD_ABI_VERSION; }
