#include "tokenizer/templates.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace zerorl::tokenizer {
namespace {

constexpr std::string_view kSystemPlaceholder = "{system}";
constexpr std::string_view kPromptPlaceholder = "{prompt}";

// The DeepSeek-R1 paper's Table 1 (R1-Zero training template), before "User:".
constexpr std::string_view kR1System =
    "A conversation between User and Assistant. The user asks a question, and the Assistant "
    "solves it. The assistant first thinks about the reasoning process in the mind and then "
    "provides the user with the answer. The reasoning process and answer are enclosed within "
    "<think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning "
    "process here </think> <answer> answer here </answer>.";

struct BuiltIn {
  std::string_view name;
  std::string_view with_system;
  std::string_view without_system;
  std::string_view default_system;
  bool trim_inputs;
  ThinkOpening think;
  bool add_special_tokens;
};

constexpr BuiltIn kBuiltIns[] = {
    {"r1", "{system} User: {prompt}. Assistant:", "{system} User: {prompt}. Assistant:", kR1System,
     false, ThinkOpening::kByModel, true},
    {"chatml",
     "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{prompt}<|im_end|>\n"
     "<|im_start|>assistant\n",
     "<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n", "", false,
     ThinkOpening::kNone, true},
    {"llama3",
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>"
     "<|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|>"
     "<|start_header_id|>assistant<|end_header_id|>\n\n",
     "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|>"
     "<|start_header_id|>assistant<|end_header_id|>\n\n",
     "", true, ThinkOpening::kNone, false},
    {"deepseek_v3", "<｜begin▁of▁sentence｜>{system}<｜User｜>{prompt}<｜Assistant｜>",
     "<｜begin▁of▁sentence｜>{system}<｜User｜>{prompt}<｜Assistant｜>", "", false,
     ThinkOpening::kNone, false},
    {"deepseek_r1", "<｜begin▁of▁sentence｜>{system}<｜User｜>{prompt}<｜Assistant｜><think>\n",
     "<｜begin▁of▁sentence｜>{system}<｜User｜>{prompt}<｜Assistant｜><think>\n", "", false,
     ThinkOpening::kInPrompt, false},
    {"plain", "{prompt}", "{prompt}", "", false, ThinkOpening::kNone, true},
};

// BOS spellings of common tokenizers: a user template starting with one writes BOS itself.
constexpr std::string_view kBosSpellings[] = {"<|begin_of_text|>", "<｜begin▁of▁sentence｜>", "<s>",
                                              "<bos>", "<|startoftext|>"};

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string_view Trim(std::string_view text) {
  absl::string_view trimmed =
      absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size()));
  return std::string_view(trimmed.data(), trimmed.size());
}

// A user template ending in "<think>" (and maybe whitespace) opens the reasoning itself.
ThinkOpening GuessThinkOpening(std::string_view text) {
  std::string_view tail = text.substr(0, text.find_last_not_of(" \t\r\n") + 1);
  constexpr std::string_view kThink = "<think>";
  if (tail.size() >= kThink.size() && tail.substr(tail.size() - kThink.size()) == kThink) {
    return ThinkOpening::kInPrompt;
  }
  return ThinkOpening::kNone;
}

}  // namespace

std::vector<std::string> PromptTemplate::Names() {
  std::vector<std::string> names;
  for (const BuiltIn& b : kBuiltIns) names.emplace_back(b.name);
  return names;
}

absl::StatusOr<PromptTemplate> PromptTemplate::FromName(std::string_view name_or_text) {
  PromptTemplate t;
  for (const BuiltIn& b : kBuiltIns) {
    if (name_or_text != b.name) continue;
    t.name_ = std::string(b.name);
    t.with_system_ = Parse(b.with_system);
    t.without_system_ = Parse(b.without_system);
    t.default_system_ = std::string(b.default_system);
    t.uses_system_ = b.with_system.find(kSystemPlaceholder) != std::string_view::npos;
    t.trim_inputs_ = b.trim_inputs;
    t.think_opening_ = b.think;
    t.add_special_tokens_ = b.add_special_tokens;
    return t;
  }
  if (name_or_text.find(kPromptPlaceholder) == std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown prompt template \"", absl::string_view(name_or_text.data(), name_or_text.size()),
        "\": use one of ", absl::StrJoin(Names(), ", "),
        ", or a template text containing {prompt} (and optionally {system})"));
  }
  t.name_ = "custom";
  t.with_system_ = t.without_system_ = Parse(name_or_text);
  t.uses_system_ = name_or_text.find(kSystemPlaceholder) != std::string_view::npos;
  t.think_opening_ = GuessThinkOpening(name_or_text);
  for (std::string_view bos : kBosSpellings) {
    if (StartsWith(name_or_text, bos)) t.add_special_tokens_ = false;
  }
  return t;
}

std::vector<PromptTemplate::Part> PromptTemplate::Parse(std::string_view text) {
  std::vector<Part> parts;
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    Part::Kind kind = Part::kText;
    if (text.compare(i, kSystemPlaceholder.size(), kSystemPlaceholder) == 0) {
      kind = Part::kSystem;
    } else if (text.compare(i, kPromptPlaceholder.size(), kPromptPlaceholder) == 0) {
      kind = Part::kPrompt;
    }
    if (kind == Part::kText) {
      literal.push_back(text[i++]);
      continue;
    }
    if (!literal.empty()) parts.push_back({Part::kText, std::move(literal)});
    literal.clear();
    parts.push_back({kind, std::string()});
    i += kind == Part::kSystem ? kSystemPlaceholder.size() : kPromptPlaceholder.size();
  }
  if (!literal.empty()) parts.push_back({Part::kText, std::move(literal)});
  return parts;
}

void PromptTemplate::RenderParts(const std::vector<Part>& parts, std::string_view system,
                                 std::string_view prompt, std::string* out) {
  for (const Part& part : parts) {
    switch (part.kind) {
      case Part::kText:
        out->append(part.text);
        break;
      case Part::kSystem:
        out->append(system.data(), system.size());
        break;
      case Part::kPrompt:
        out->append(prompt.data(), prompt.size());
        break;
    }
  }
}

std::string PromptTemplate::Render(std::string_view system, std::string_view prompt,
                                   std::string_view instruction) const {
  std::string full_prompt(prompt);
  if (!instruction.empty()) {
    full_prompt.push_back('\n');
    full_prompt.append(instruction.data(), instruction.size());
  }
  std::string_view user = full_prompt;
  if (system.empty()) system = default_system_;
  if (trim_inputs_) {
    system = Trim(system);
    user = Trim(user);
  }
  std::string out;
  RenderParts(system.empty() ? without_system_ : with_system_, system, user, &out);
  return out;
}

}  // namespace zerorl::tokenizer
