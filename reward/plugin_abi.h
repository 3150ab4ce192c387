/* The C ABI of a zerorl reward plugin: a shared library that scores one completion at a
 * time. Any language that can export C functions works (C, C++, Rust, Zig, Go's cgo).
 *
 * A plugin exports, with C linkage:
 *
 *   uint32_t zerorl_reward_abi_version(void);              required
 *   int      zerorl_reward_score(void* state,              required
 *                                const zerorl_reward_input* in,
 *                                zerorl_reward_output* out);
 *   int      zerorl_reward_init(const char* args,          optional
 *                               void** state,
 *                               char* error, size_t error_size);
 *   void     zerorl_reward_shutdown(void* state);          optional
 *
 * and is named in the config:
 *
 *   {"name": "plugin", "label": "my_reward", "weight": 0.5,
 *    "library": "/path/libmy_reward.so", "args": "strict=1", "timeout_ms": 2000}
 *
 * The contract:
 *   - zerorl_reward_abi_version() returns ZERORL_REWARD_ABI_VERSION as the plugin was built
 *     against; a plugin of another version is refused when the run starts.
 *   - zerorl_reward_init() (if present) is called once with the config's "args" ("" when
 *     absent); it returns 0 on success, or non-zero after writing a NUL-terminated reason
 *     into error[0..error_size). *state is passed to every later call.
 *   - zerorl_reward_score() returns ZERORL_REWARD_OK with out->score set to a finite number,
 *     ZERORL_REWARD_NOT_APPLICABLE (the sample is left out of the total, like TRL's None),
 *     or ZERORL_REWARD_ERROR. It may write a NUL-terminated one-line reason into
 *     out->detail (kept with the score in samples.jsonl). `out` arrives zeroed. The input
 *     texts are valid only during the call.
 *   - Calls come from one thread, one at a time: the plugin needs no locking.
 *
 * Isolation: zerorl never loads the library into its own process. A small host process
 * (`zerorl reward plugin-host`) loads it and is fed one completion at a time over a pipe.
 * If the plugin crashes (any signal), runs past timeout_ms on one completion, or answers
 * something that breaks the contract above (an unknown status, a non-finite score, a
 * detail without its NUL), that completion gets an error mark (never a silent 0), a
 * counter in the metrics says which failure it was, and a fresh host is started for the
 * next completion. The host's stdout goes to zerorl's stderr.
 *
 * A working example: examples/reward_plugin_c/.
 */
#ifndef ZERORL_REWARD_PLUGIN_ABI_H_
#define ZERORL_REWARD_PLUGIN_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZERORL_REWARD_ABI_VERSION 1u

/* Texts are bytes with their sizes; each is also NUL-terminated at [size]. Completions cut
 * at the token limit need not be valid UTF-8. */
typedef struct zerorl_reward_input {
  uint32_t abi_version;   /* ZERORL_REWARD_ABI_VERSION of the zerorl that calls */
  uint32_t struct_size;   /* sizeof(zerorl_reward_input) in that zerorl */
  const char* prompt;     /* the prompt as the model saw it (chat template included) */
  size_t prompt_size;
  const char* completion; /* the model's completion */
  size_t completion_size;
  const char* answer;     /* the gold answer; "" when the problem has none */
  size_t answer_size;
  const char* metadata;   /* JSON object: the problem (id, kind, question, tests, ...); "" when none */
  size_t metadata_size;
  int64_t num_tokens;     /* the completion's length in tokens; -1 when unknown */
} zerorl_reward_input;

typedef enum zerorl_reward_status {
  ZERORL_REWARD_OK = 0,
  ZERORL_REWARD_NOT_APPLICABLE = 1,
  ZERORL_REWARD_ERROR = 2
} zerorl_reward_status;

#define ZERORL_REWARD_DETAIL_SIZE 256

typedef struct zerorl_reward_output {
  double score;                           /* with ZERORL_REWARD_OK: finite */
  char detail[ZERORL_REWARD_DETAIL_SIZE]; /* optional reason, NUL-terminated */
} zerorl_reward_output;

typedef uint32_t (*zerorl_reward_abi_version_fn)(void);
typedef int (*zerorl_reward_init_fn)(const char* args, void** state, char* error,
                                     size_t error_size);
typedef int (*zerorl_reward_score_fn)(void* state, const zerorl_reward_input* in,
                                      zerorl_reward_output* out);
typedef void (*zerorl_reward_shutdown_fn)(void* state);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* ZERORL_REWARD_PLUGIN_ABI_H_ */
