/* An example zerorl reward plugin in plain C (reward/plugin_abi.h): 1 when the text inside
 * the completion's last <answer>...</answer> equals the gold answer (surrounding spaces
 * ignored), 0 when it differs or is missing, not applicable when there is no gold answer.
 *
 * args: "ignore_case" compares ASCII letters case-insensitively.
 *
 * Build: see CMakeLists.txt next to this file, or
 *   cc -shared -fPIC -O2 -I../.. answer_match.c -o libanswer_match.so
 * Use:
 *   {"name": "plugin", "label": "answer_match", "library": "/abs/path/libanswer_match.so",
 *    "args": "ignore_case", "weight": 1.0}
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reward/plugin_abi.h"

#define EXPORT __attribute__((visibility("default")))

typedef struct {
  int ignore_case;
} options;

/* The last occurrence of `needle` in [text, text + size), or NULL. */
static const char* last_of(const char* text, size_t size, const char* needle) {
  size_t n = strlen(needle);
  if (size < n) return NULL;
  for (size_t i = size - n + 1; i-- > 0;) {
    if (memcmp(text + i, needle, n) == 0) return text + i;
  }
  return NULL;
}

static void trim(const char** begin, const char** end) {
  while (*begin < *end && isspace((unsigned char)**begin)) ++*begin;
  while (*end > *begin && isspace((unsigned char)(*end)[-1])) --*end;
}

static int same(const char* a, size_t na, const char* b, size_t nb, int ignore_case) {
  if (na != nb) return 0;
  for (size_t i = 0; i < na; ++i) {
    char x = a[i], y = b[i];
    if (ignore_case) x = (char)tolower((unsigned char)x), y = (char)tolower((unsigned char)y);
    if (x != y) return 0;
  }
  return 1;
}

EXPORT uint32_t zerorl_reward_abi_version(void) { return ZERORL_REWARD_ABI_VERSION; }

EXPORT int zerorl_reward_init(const char* args, void** state, char* error, size_t error_size) {
  options* o = calloc(1, sizeof(options));
  if (o == NULL) {
    snprintf(error, error_size, "out of memory");
    return 1;
  }
  if (strcmp(args, "ignore_case") == 0) {
    o->ignore_case = 1;
  } else if (args[0] != '\0') {
    snprintf(error, error_size, "unknown args \"%s\" (known: ignore_case)", args);
    free(o);
    return 1;
  }
  *state = o;
  return 0;
}

EXPORT int zerorl_reward_score(void* state, const zerorl_reward_input* in,
                               zerorl_reward_output* out) {
  const options* o = state;
  if (in->answer_size == 0) {
    snprintf(out->detail, sizeof(out->detail), "no gold answer");
    return ZERORL_REWARD_NOT_APPLICABLE;
  }
  const char* end_of_text = in->completion + in->completion_size;
  const char* open = last_of(in->completion, in->completion_size, "<answer>");
  const char* close = open ? last_of(open, (size_t)(end_of_text - open), "</answer>") : NULL;
  if (close == NULL) {
    out->score = 0.0;
    snprintf(out->detail, sizeof(out->detail), "no <answer>...</answer>");
    return ZERORL_REWARD_OK;
  }
  const char* begin = open + strlen("<answer>");
  const char* end = close;
  const char* gold = in->answer;
  const char* gold_end = in->answer + in->answer_size;
  trim(&begin, &end);
  trim(&gold, &gold_end);
  int match = same(begin, (size_t)(end - begin), gold, (size_t)(gold_end - gold), o->ignore_case);
  out->score = match ? 1.0 : 0.0;
  snprintf(out->detail, sizeof(out->detail), "%s \"%.*s\"", match ? "matches" : "differs from gold",
           (int)((end - begin) > 100 ? 100 : (end - begin)), begin);
  return ZERORL_REWARD_OK;
}

EXPORT void zerorl_reward_shutdown(void* state) { free(state); }
