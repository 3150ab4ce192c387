#include "verifiers/math/verifier.h"

#include "verifiers/math/internal/arena.h"
#include "verifiers/math/internal/equivalence.h"
#include "verifiers/math/internal/extract.h"

namespace zerorl::math {
namespace {

using math::Node;
using math::Op;

// A generous deterministic cap; the clock usually stops work first.
constexpr int64_t kMaxSteps = 20'000'000;

math::ExtractOptions ToExtract(const MathExtraction& e, const MathOptions& o) {
  math::ExtractOptions x;
  x.latex = e.latex;
  x.expr = e.expr;
  x.boxed_first = o.boxed_first;
  x.without_anchor = o.extract_without_anchor;
  x.max_answer_chars = o.max_answer_chars;
  x.fast_numbers = o.fast_number_path;
  return x;
}

// 'A'..'E' when the answer is a multiple-choice letter (C, \text{C}, (C)).
char ChoiceLetter(const Node* n) {
  if ((n->op == Op::kSymbol || n->op == Op::kText) && n->name.size() == 1 && n->name[0] >= 'A' &&
      n->name[0] <= 'E') {
    return n->name[0];
  }
  if (n->op == Op::kText && n->name.size() == 3 && n->name[0] == '(' && n->name[2] == ')' &&
      n->name[1] >= 'A' && n->name[1] <= 'E') {
    return n->name[1];
  }
  return 0;
}

MathVerdict Unverifiable(MathVerdict v, std::string reason) {
  v.verdict = MathVerdictKind::kUnverifiable;
  v.reason = std::move(reason);
  return v;
}

}  // namespace

const char* MathVerdictName(MathVerdictKind kind) {
  switch (kind) {
    case MathVerdictKind::kCorrect: return "correct";
    case MathVerdictKind::kIncorrect: return "incorrect";
    case MathVerdictKind::kUnverifiable: return "unverifiable";
  }
  return "unverifiable";
}

MathVerdict VerifyMath(std::string_view gold, std::string_view completion, const MathOptions& options) {
  math::Arena arena;
  math::Budget budget(options.deadline_ms, kMaxSteps, options.max_memory_bytes, &arena);
  math::NodeFactory factory(&arena);
  MathVerdict verdict;

  math::ExtractedAnswer g, p;
  std::string why;
  if (!math::ExtractAnswer(gold, ToExtract(options.gold_extract, options), &factory, &budget, &g, &why)) {
    return Unverifiable(std::move(verdict), "gold: " + why);
  }
  verdict.gold_answer = g.text;
  char letter = ChoiceLetter(g.node);
  bool found = math::ExtractAnswer(completion, ToExtract(options.pred_extract, options), &factory, &budget, &p, &why);
  if (letter != 0 && (!found || ChoiceLetter(p.node) == 0) && !budget.exhausted()) {
    if (char chosen = math::FindChoiceLetter(completion)) {
      p.text = std::string(1, chosen);
      p.node = factory.Symbol(arena.CopyString(p.text));
      p.source = "choice";
      found = true;
    }
  }
  if (!found) return Unverifiable(std::move(verdict), "prediction: " + why);
  verdict.pred_answer = p.text;

  math::CompareOptions compare;
  compare.float_rounding = options.float_rounding;
  compare.strict = options.strict;
  compare.set_relation = options.set_relation;
  compare.fast_numbers = options.fast_number_path;
  bool equal = math::AnswersMatch(g.node, p.node, compare, &factory, &budget);
  if (budget.exhausted()) return Unverifiable(std::move(verdict), budget.StopReason());
  verdict.verdict = equal ? MathVerdictKind::kCorrect : MathVerdictKind::kIncorrect;
  verdict.reason = std::string(equal ? "equal" : "not equal") + " (gold from " + g.source +
                   ", prediction from " + p.source + ")";
  return verdict;
}

absl::StatusOr<std::string> ExtractMathAnswer(std::string_view completion, const MathOptions& options) {
  math::Arena arena;
  math::Budget budget(options.deadline_ms, kMaxSteps, options.max_memory_bytes, &arena);
  math::NodeFactory factory(&arena);
  math::ExtractedAnswer p;
  std::string why;
  if (!math::ExtractAnswer(completion, ToExtract(options.pred_extract, options), &factory, &budget, &p, &why)) {
    return absl::NotFoundError(why);
  }
  return p.text;
}

absl::StatusOr<std::string> ExtractGoldAnswer(std::string_view solution) {
  auto trim = [](std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return std::string();
    size_t e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
  };
  size_t hashes = solution.rfind("####");
  if (hashes != std::string_view::npos) {
    std::string_view rest = solution.substr(hashes + 4);
    std::string answer = trim(rest.substr(0, rest.find('\n')));
    if (!answer.empty()) return answer;
  }
  std::string boxed;
  if (math::LastBoxedText(solution, &boxed)) return boxed;
  return absl::NotFoundError("no '#### answer' line and no \\boxed{} in the solution");
}

absl::Status MathOptionsFromJson(const rapidjson::Value& json, MathOptions* options) {
  if (!json.IsObject()) return absl::InvalidArgumentError("options: must be a JSON object");
  MathOptions o = *options;
  auto targets = [](const rapidjson::Value& v, const char* key, MathExtraction* e) -> absl::Status {
    if (!v.IsArray() || v.Empty()) {
      return absl::InvalidArgumentError(std::string("options.") + key + ": must be a non-empty list of \"latex\"/\"expr\"");
    }
    MathExtraction out{false, false};
    for (const auto& item : v.GetArray()) {
      std::string_view s = item.IsString() ? std::string_view(item.GetString(), item.GetStringLength()) : "";
      if (s == "latex") out.latex = true;
      else if (s == "expr") out.expr = true;
      else return absl::InvalidArgumentError(std::string("options.") + key + ": unknown target (use \"latex\" or \"expr\")");
    }
    *e = out;
    return absl::OkStatus();
  };
  auto boolean = [](const rapidjson::Value& v, const char* key, bool* out) -> absl::Status {
    if (!v.IsBool()) return absl::InvalidArgumentError(std::string("options.") + key + ": must be true or false");
    *out = v.GetBool();
    return absl::OkStatus();
  };
  for (const auto& m : json.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    const rapidjson::Value& v = m.value;
    absl::Status s;
    if (key == "gold_extract") s = targets(v, "gold_extract", &o.gold_extract);
    else if (key == "pred_extract") s = targets(v, "pred_extract", &o.pred_extract);
    else if (key == "boxed_first") s = boolean(v, "boxed_first", &o.boxed_first);
    else if (key == "strict") s = boolean(v, "strict", &o.strict);
    else if (key == "set_relation") s = boolean(v, "set_relation", &o.set_relation);
    else if (key == "extract_without_anchor") s = boolean(v, "extract_without_anchor", &o.extract_without_anchor);
    else if (key == "float_rounding") {
      if (!v.IsInt() || v.GetInt() < 0 || v.GetInt() > 15) {
        s = absl::InvalidArgumentError("options.float_rounding: must be an integer from 0 to 15");
      } else {
        o.float_rounding = v.GetInt();
      }
    } else if (key == "deadline_ms") {
      if (!v.IsInt64() || v.GetInt64() < 0 || v.GetInt64() > 600000) {
        s = absl::InvalidArgumentError("options.deadline_ms: must be an integer from 0 to 600000");
      } else {
        o.deadline_ms = v.GetInt64();
      }
    } else {
      s = absl::InvalidArgumentError("options." + key + ": unknown option (known: gold_extract, pred_extract, "
                                     "boxed_first, float_rounding, strict, set_relation, "
                                     "extract_without_anchor, deadline_ms)");
    }
    if (!s.ok()) return s;
  }
  *options = o;
  return absl::OkStatus();
}

}  // namespace zerorl::math
