// Cold-start SFT, the loop behind `zerorl sft`: DeepSeek-R1 starts RL from a model tuned on a
// little curated reasoning data. Prompt/completion pairs, loss on completion tokens only,
// with the learner's model, optimizer, checkpoints and metric names.
//
//   ASSIGN_OR_RETURN(auto texts, ReadSftJsonl(config.learner.sft.path, config.data.on_bad_line));
//   ASSIGN_OR_RETURN(auto examples, TokenizeSft(texts, tokenizer, prompt_template));
//   ASSIGN_OR_RETURN(SftResult result, RunSft(config, examples, /*resume=*/false));
//   // result.final_checkpoint: a Hugging Face folder to use as model.path for GRPO
//
// Everything is written under <run.output_dir>/<run.name>/sft/: config.json (resolved),
// metrics.jsonl (one object per step: "step", "epoch", "loss", "grad_norm", "lr", ...),
// checkpoints/step-N every run.checkpoint_every steps and at the end, keep_last kept.
#ifndef ZERORL_LEARNER_SFT_H_
#define ZERORL_LEARNER_SFT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "learner/batch.h"
#include "learner/learner.h"
#include "tokenizer/templates.h"
#include "tokenizer/tokenizer.h"

namespace zerorl::learner {

struct SftText {
  std::string prompt;      // the question, before the template
  std::string completion;  // what the model should write after the rendered prompt
};

struct SftData {
  std::vector<SftText> examples;
  int skipped_lines = 0;  // malformed lines skipped under on_bad_line "skip"
};

// Reads `path`: one JSON object per line with string fields "prompt" and "completion"
// (other fields ignored; blank lines skipped). A malformed line is skipped and counted
// (kSkip, with a warning naming path:line) or fails the read (kError, kInvalidArgument
// "path:line: why"). kNotFound for a missing file; kInvalidArgument when no example is left.
absl::StatusOr<SftData> ReadSftJsonl(const std::string& path, config::BadLinePolicy on_bad_line);

// Prompt ids = the rendered template (default system prompt), completion ids = the
// completion text followed by the tokenizer's EOS (when it has one), so the model learns to
// stop.
std::vector<SftExample> TokenizeSft(const std::vector<SftText>& texts,
                                    const tokenizer::Tokenizer& tokenizer,
                                    const tokenizer::PromptTemplate& prompt_template);

struct SftResult {
  std::string run_dir;           // <output_dir>/<name>/sft
  std::string final_checkpoint;  // checkpoints/step-N of the last step
  int64_t steps = 0;             // steps done in total (resumed ones included)
  double last_loss = 0.0;
};

// The folder RunSft writes to.
std::string SftRunDir(const config::Config& config);

// Trains config.model.path on `examples` for learner.sft.steps steps (or learner.sft.epochs
// passes) of learner.sft.batch_size examples, reshuffled every epoch (seeded by run.seed).
// With `resume`, continues from the newest checkpoint in the run's sft/checkpoints (an error
// when there is none). `on_step` (may be empty) sees every step's metrics.
absl::StatusOr<SftResult> RunSft(
    const config::Config& config, const std::vector<SftExample>& examples, bool resume,
    const std::function<void(int64_t step, const StepMetrics&)>& on_step = {});

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_SFT_H_
