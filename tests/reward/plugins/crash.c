/* Test plugin: scores 0.5, but dereferences NULL (SIGSEGV) on a completion containing "crash". */
#include <string.h>

#include "reward/plugin_abi.h"

uint32_t zerorl_reward_abi_version(void) { return ZERORL_REWARD_ABI_VERSION; }

int zerorl_reward_score(void* state, const zerorl_reward_input* in, zerorl_reward_output* out) {
  (void)state;
  if (strstr(in->completion, "crash") != NULL) {
    volatile int* nowhere = NULL;
    *nowhere = 1;
  }
  out->score = 0.5;
  return ZERORL_REWARD_OK;
}
