#include "train/prompts.h"

#include "core/status.h"

namespace zerorl::train {

absl::StatusOr<PromptRenderer> PromptRenderer::Create(const std::string& template_name,
                                                      tokenizer::Tokenizer tokenizer) {
  absl::StatusOr<tokenizer::PromptTemplate> t = tokenizer::PromptTemplate::FromName(template_name);
  if (!t.ok()) return core::Annotate(t.status(), "data.template");
  return PromptRenderer(*std::move(t), std::move(tokenizer));
}

std::string PromptRenderer::Text(const datasets::Problem& problem) const {
  return template_.Render(problem.system_prompt, problem.prompt, problem.instruction);
}

std::vector<int32_t> PromptRenderer::PromptIds(const datasets::Problem& problem) const {
  tokenizer::EncodeOptions options;
  options.add_special_tokens = template_.add_special_tokens();
  return tokenizer_.Encode(Text(problem), options);
}

wire::Prompt PromptRenderer::ToWire(const datasets::Problem& problem, uint64_t seed) const {
  wire::Prompt p;
  p.seed = seed;
  p.text = Text(problem);
  tokenizer::EncodeOptions options;
  options.add_special_tokens = template_.add_special_tokens();
  p.tokens = tokenizer_.Encode(p.text, options);
  p.answer = problem.answer;
  p.metadata = ProblemToJson(problem);
  return p;
}

absl::StatusOr<std::vector<int32_t>> PromptRenderer::SftCompletionIds(
    const datasets::Problem& problem) const {
  if (problem.solution.empty()) {
    return absl::FailedPreconditionError("problem " + problem.id +
                                         " has no worked solution for cold-start SFT");
  }
  std::string text;
  switch (template_.think_opening()) {
    case tokenizer::ThinkOpening::kByModel:
      text = "<think>\n" + problem.solution + "\n</think>\n<answer>" + problem.answer + "</answer>";
      break;
    case tokenizer::ThinkOpening::kInPrompt:
      text = problem.solution + "\n</think>\n<answer>" + problem.answer + "</answer>";
      break;
    case tokenizer::ThinkOpening::kNone:
      text = problem.solution + "\n<answer>" + problem.answer + "</answer>";
      break;
  }
  std::vector<int32_t> ids = tokenizer_.Encode(text);
  int32_t eos = tokenizer_.special_ids().eos;
  if (eos >= 0) ids.push_back(eos);
  return ids;
}

}  // namespace zerorl::train
