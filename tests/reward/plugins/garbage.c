/* Test plugin: breaks the ABI contract on request: "status" returns an unknown status,
 * "nan" a NaN score, "detail" fills detail[] without a NUL; anything else scores 1 and
 * echoes the gold answer's size and num_tokens in the detail. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reward/plugin_abi.h"

uint32_t zerorl_reward_abi_version(void) { return ZERORL_REWARD_ABI_VERSION; }

int zerorl_reward_score(void* state, const zerorl_reward_input* in, zerorl_reward_output* out) {
  (void)state;
  if (strstr(in->completion, "status") != NULL) return 7;
  if (strstr(in->completion, "nan") != NULL) {
    out->score = NAN;
    return ZERORL_REWARD_OK;
  }
  if (strstr(in->completion, "detail") != NULL) {
    memset(out->detail, 'x', sizeof(out->detail));
    out->score = 1.0;
    return ZERORL_REWARD_OK;
  }
  out->score = 1.0;
  snprintf(out->detail, sizeof(out->detail), "answer %zu bytes, %lld tokens, abi %u/%u",
           in->answer_size, (long long)in->num_tokens, in->abi_version, in->struct_size);
  return ZERORL_REWARD_OK;
}
