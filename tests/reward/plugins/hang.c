/* Test plugin: scores 0.25, but never returns on a completion containing "hang". */
#include <string.h>
#include <unistd.h>

#include "reward/plugin_abi.h"

uint32_t zerorl_reward_abi_version(void) { return ZERORL_REWARD_ABI_VERSION; }

int zerorl_reward_score(void* state, const zerorl_reward_input* in, zerorl_reward_output* out) {
  (void)state;
  while (strstr(in->completion, "hang") != NULL) sleep(1);
  out->score = 0.25;
  return ZERORL_REWARD_OK;
}
