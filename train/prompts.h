// From dataset problems to what the model sees: the run's prompt template rendered and
// tokenized into wire Prompts, and the cold-start SFT target of a problem.
#ifndef ZERORL_TRAIN_PROMPTS_H_
#define ZERORL_TRAIN_PROMPTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "datasets/datasets.h"
#include "tokenizer/templates.h"
#include "tokenizer/tokenizer.h"
#include "wire/messages.h"

namespace zerorl::train {

class PromptRenderer {
 public:
  // `template_name`: data.template (a built-in name or a text with {prompt}).
  static absl::StatusOr<PromptRenderer> Create(const std::string& template_name,
                                               tokenizer::Tokenizer tokenizer);

  std::string Text(const datasets::Problem& problem) const;
  // The wire form: rendered text, its token ids, the gold answer, the sampling seed, and the
  // whole problem as JSON metadata for the reward functions (tests, task kind, countdown
  // numbers). The id is left 0: MakePromptBatches (train/prompt_batches.h) assigns it.
  wire::Prompt ToWire(const datasets::Problem& problem, uint64_t seed) const;
  // What a perfect completion looks like for this template, from the problem's worked
  // `solution` and `answer`: "<think>\nSOLUTION\n</think>\n<answer>ANSWER</answer>" when the
  // model opens the reasoning (r1), without the "<think>\n" when the prompt opens it, and
  // "SOLUTION\n<answer>ANSWER</answer>" for templates without reasoning tags. Ends with the
  // tokenizer's EOS text when it has one. kFailedPrecondition when the problem has no
  // solution.
  absl::StatusOr<std::vector<int32_t>> SftCompletionIds(const datasets::Problem& problem) const;
  std::vector<int32_t> PromptIds(const datasets::Problem& problem) const;

  const tokenizer::Tokenizer& tokenizer() const { return tokenizer_; }
  const tokenizer::PromptTemplate& prompt_template() const { return template_; }

 private:
  PromptRenderer(tokenizer::PromptTemplate prompt_template, tokenizer::Tokenizer tokenizer)
      : template_(std::move(prompt_template)), tokenizer_(std::move(tokenizer)) {}

  tokenizer::PromptTemplate template_;
  tokenizer::Tokenizer tokenizer_;
};

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_PROMPTS_H_
