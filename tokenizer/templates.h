// Prompt templates: how a dataset row (system prompt, question, answer-format instruction)
// becomes the exact text the model sees. Shared by datasets/, eval and `zerorl generate`.
//
//   ASSIGN_OR_RETURN(PromptTemplate t, PromptTemplate::FromName("chatml"));
//   std::string text = t.Render(/*system=*/"", "What is 2+3?", "Put the answer in \\boxed{}.");
//   // "<|im_start|>user\nWhat is 2+3?\nPut the answer in \\boxed{}.<|im_end|>\n"
//   // "<|im_start|>assistant\n"
//   EncodeOptions options;
//   options.add_special_tokens = t.add_special_tokens();
//   std::vector<int32_t> ids = tok.Encode(text, options);
//
// Built-in templates (the assistant turn is always left open for the completion):
//   r1           DeepSeek-R1-Zero's: "<system> User: <prompt>. Assistant:", where the default
//                system text is the paper's instruction to reason inside <think> </think> and
//                answer inside <answer> </answer>.
//   chatml       Qwen's <|im_start|>role\n...<|im_end|>\n turns; no system turn when the
//                system prompt is empty (Qwen2.5-Instruct's own template would add "You are
//                Qwen, created by Alibaba Cloud. ..."; pass it as the system prompt to match).
//   llama3       Llama 3 headers, <|begin_of_text|> included; system and prompt are trimmed as
//                the Llama 3 chat template does.
//   deepseek_v3  <｜begin▁of▁sentence｜>{system}<｜User｜>{prompt}<｜Assistant｜>
//   deepseek_r1  the same followed by "<think>\n", as the DeepSeek-R1 (distill) template.
//   plain        the prompt as it is.
// Any other text containing "{prompt}" is a user template; "{system}" is optional. Nothing
// else in it is special (braces in LaTeX stay as they are), and placeholders are replaced in
// one pass, so a prompt containing "{system}" is left alone.
#ifndef ZERORL_TOKENIZER_TEMPLATES_H_
#define ZERORL_TOKENIZER_TEMPLATES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace zerorl::tokenizer {

// Where the reasoning block opens, for format rewards and for reading completions.
enum class ThinkOpening {
  kNone,      // the template does not ask for <think>
  kByModel,   // the completion itself should start with <think> (r1)
  kInPrompt,  // the prompt ends with "<think>\n": the completion starts inside the reasoning
};

class PromptTemplate {
 public:
  // A built-in name, or a template text (anything containing "{prompt}"). kInvalidArgument
  // for an unknown name, listing the built-in ones.
  static absl::StatusOr<PromptTemplate> FromName(std::string_view name_or_text);
  // The built-in names, in the order above.
  static std::vector<std::string> Names();

  // The text the model sees. An empty `system` means the template's default_system(); a
  // non-empty `instruction` is appended to the prompt after a newline. A template without a
  // place for a system prompt (plain, user templates without "{system}") ignores it: check
  // uses_system() to refuse one instead.
  std::string Render(std::string_view system, std::string_view prompt,
                     std::string_view instruction = {}) const;

  // "r1", ... or "custom" for a user template.
  const std::string& name() const { return name_; }
  bool uses_system() const { return uses_system_; }
  const std::string& default_system() const { return default_system_; }
  ThinkOpening think_opening() const { return think_opening_; }
  // Whether the rendered text should be encoded with add_special_tokens: false for templates
  // that write the tokenizer's BOS themselves (llama3, deepseek_*, and user templates that
  // start with a BOS spelling), true otherwise, so that a model trained with BOS gets it.
  bool add_special_tokens() const { return add_special_tokens_; }

  void set_think_opening(ThinkOpening think) { think_opening_ = think; }
  void set_add_special_tokens(bool add) { add_special_tokens_ = add; }

 private:
  struct Part {
    enum Kind { kText, kSystem, kPrompt } kind;
    std::string text;  // kText only
  };
  static std::vector<Part> Parse(std::string_view text);
  static void RenderParts(const std::vector<Part>& parts, std::string_view system,
                          std::string_view prompt, std::string* out);

  std::string name_;
  std::vector<Part> with_system_;
  std::vector<Part> without_system_;  // used when the system prompt is empty
  std::string default_system_;
  bool uses_system_ = false;
  bool trim_inputs_ = false;  // llama3: strip whitespace around system and prompt
  ThinkOpening think_opening_ = ThinkOpening::kNone;
  bool add_special_tokens_ = true;
};

}  // namespace zerorl::tokenizer

#endif  // ZERORL_TOKENIZER_TEMPLATES_H_
