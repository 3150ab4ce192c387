/* Test plugin: built against an ABI version zerorl does not speak. */
#include "reward/plugin_abi.h"

uint32_t zerorl_reward_abi_version(void) { return 999; }

int zerorl_reward_score(void* state, const zerorl_reward_input* in, zerorl_reward_output* out) {
  (void)state, (void)in;
  out->score = 1.0;
  return ZERORL_REWARD_OK;
}
