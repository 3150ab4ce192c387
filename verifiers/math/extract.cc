#include "verifiers/math/internal/extract.h"

#include <algorithm>
#include <cctype>

#include "verifiers/math/internal/extractor.h"
#include "verifiers/math/internal/parser.h"
#include "verifiers/math/internal/scan.h"

namespace zerorl::math {
namespace internal {

// Text of the box group that ends last (see LastBoxedText).
bool Extractor::LastBoxGroup(std::string* out) {
  std::vector<Candidate> boxes;
  BoxCandidates(&boxes);
  if (boxes.empty()) return false;
  const Candidate& last = boxes.back();
  out->clear();
  for (int i = 0; i < last.num_spans; ++i) {
    std::string_view piece = Clean(last.spans[i]);
    if (piece.empty()) continue;
    if (!out->empty()) *out += ", ";
    *out += piece;
  }
  return !out->empty();
}

bool Extractor::Run(ExtractedAnswer* out, std::string* why) {
  std::vector<Candidate> group;
  auto attempt = [&](void (Extractor::*fill)(std::vector<Candidate>*)) {
    group.clear();
    (this->*fill)(&group);
    return TryGroup(&group, out);
  };
  if (attempt(&Extractor::Priority0) || attempt(&Extractor::Priority50) ||
      attempt(&Extractor::Priority55) || attempt(&Extractor::Priority100)) {
    return true;
  }
  if (o_.without_anchor && attempt(&Extractor::Priority300)) return true;
  if (b_->exhausted()) {
    *why = b_->StopReason();
  } else {
    *why = last_error_.empty() ? "no answer found" : "no answer could be parsed (" + last_error_ + ")";
  }
  return false;
}

bool Extractor::TryGroup(std::vector<Candidate>* group, ExtractedAnswer* out) {
  if (group->empty() || b_->exhausted()) return false;
  std::stable_sort(group->begin(), group->end(), [](const Candidate& a, const Candidate& b) {
    if (a.end != b.end) return a.end > b.end;
    if (a.begin != b.begin) return a.begin < b.begin;
    return a.order < b.order;
  });
  size_t tries = std::min(group->size(), kMaxAttempts);
  for (size_t i = 0; i < tries && !b_->exhausted(); ++i) {
    if (Parse((*group)[i], out)) return true;
  }
  return false;
}

std::string_view Extractor::Clean(Span span) const {
  size_t b = span.begin, e = span.end;
  while (b < e && IsSpace(s_[b])) ++b;
  while (e > b && (IsSpace(s_[e - 1]) || s_[e - 1] == '.' || s_[e - 1] == ',' || s_[e - 1] == ';')) --e;
  return s_.substr(b, e - b);
}

// "72", "-3.25": a Number node without tokenizing; nullptr for anything else.
Node* Extractor::PlainNumber(std::string_view s) const {
  size_t i = s.size() > 1 && s[0] == '-' ? 1 : 0;
  size_t digits = 0, dots = 0;
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] >= '0' && s[k] <= '9') ++digits;
    else if (s[k] == '.' && dots == 0) ++dots;
    else return nullptr;
  }
  if (digits == 0 || digits > 18 || s.back() == '.') return nullptr;
  Rational value;
  if (!Rational::FromDecimal(s.substr(i), &value)) return nullptr;
  if (i == 1) value = -value;
  return f_->Number(value, dots ? kFlagDecimal : 0);
}

bool Extractor::Parse(const Candidate& c, ExtractedAnswer* out) {
  if (c.kind == Candidate::kNumber) {
    Rational value;
    if (!Rational::FromDecimal(NumberDigits(s_, c.number), &value)) return false;
    if (c.number.negative) value = -value;
    bool decimal = c.number.frac_span.end > c.number.frac_span.begin;
    Node* node = f_->Number(value, decimal ? kFlagDecimal : 0);
    if (c.number.percent) node = f_->Make(Op::kPercent, {node});
    out->node = node;
    out->text = std::string(s_.substr(c.number.span.begin, c.number.span.end - c.number.span.begin));
    out->source = c.source;
    return true;
  }
  std::vector<Node*> items;
  std::string text;
  for (int i = 0; i < c.num_spans; ++i) {
    std::string_view piece = Clean(c.spans[i]);
    if (piece.empty()) continue;
    if (piece.size() > o_.max_answer_chars) {
      last_error_ = "answer longer than " + std::to_string(o_.max_answer_chars) + " characters";
      return false;
    }
    std::string error;
    Node* node = o_.fast_numbers ? PlainNumber(piece) : nullptr;
    if (node == nullptr) {
      node = ParseMath(piece, c.kind == Candidate::kExpr ? Syntax::kPlain : Syntax::kLatex, f_, b_, &error);
    }
    if (node == nullptr) {
      last_error_ = error;
      return false;
    }
    if (node->op == Op::kList && c.num_spans > 1) {
      items.insert(items.end(), node->kids, node->kids + node->n);
    } else {
      items.push_back(node);
    }
    if (!text.empty()) text += ", ";
    text += piece;
  }
  if (items.empty()) return false;
  out->node = items.size() == 1 ? items[0] : f_->Make(Op::kList, items);
  out->text = std::move(text);
  out->source = c.source;
  return true;
}

}  // namespace internal

namespace {

using internal::Extractor;
using internal::npos;

// Where to look first: inside the last <answer>...</answer>, after the last </think>.
std::vector<std::string_view> Regions(std::string_view text) {
  std::vector<std::string_view> regions;
  std::string_view tail = text;
  size_t think = text.rfind("</think>");
  if (think != npos) tail = text.substr(think + 8);
  size_t open = tail.rfind("<answer>");
  if (open != npos) {
    size_t close = tail.find("</answer>", open);
    regions.push_back(tail.substr(open + 8, close == npos ? npos : close - open - 8));
  }
  if (think != npos) regions.push_back(tail);
  regions.push_back(text);
  return regions;
}

}  // namespace

bool ExtractAnswer(std::string_view text, const ExtractOptions& options, NodeFactory* factory,
                   Budget* budget, ExtractedAnswer* out, std::string* why) {
  std::string first_why;
  for (std::string_view region : Regions(text)) {
    Extractor extractor(region, options, factory, budget);
    std::string reason;
    if (extractor.Run(out, &reason)) return true;
    if (first_why.empty() || budget->exhausted()) first_why = reason;
    if (budget->exhausted()) break;
  }
  *why = first_why;
  return false;
}

bool LastBoxedText(std::string_view text, std::string* out) {
  ExtractOptions options;
  options.expr = false;
  Arena arena;
  Budget budget(0, 1'000'000, 1 << 20, &arena);
  NodeFactory factory(&arena);
  Extractor extractor(text, options, &factory, &budget);
  return extractor.LastBoxGroup(out);
}

char FindChoiceLetter(std::string_view text) {
  auto letter_in = [](std::string_view s) -> char {
    std::string t;
    for (char c : s) {
      if (std::isalpha(static_cast<unsigned char>(c))) t.push_back(c);
    }
    if (t.size() > 4 && t.compare(0, 4, "text") == 0) t = t.substr(4);  // \text{C}
    if (t.size() > 6 && t.compare(0, 6, "textbf") == 0) t = t.substr(6);
    return t.size() == 1 && t[0] >= 'A' && t[0] <= 'E' ? t[0] : 0;
  };
  std::vector<Box> boxes = FindBoxes(text);
  if (!boxes.empty()) {
    const Box& b = boxes.back();
    if (char c = letter_in(text.substr(b.content.begin, b.content.end - b.content.begin))) return c;
  }
  char found = 0;
  for (size_t i = 0; (i = FindNoCase(text, "answer", i, text.size())) != npos; i += 6) {
    size_t p = i + 6;
    while (p < text.size() && (text[p] == ' ' || text[p] == '*' || text[p] == ':')) ++p;
    if (text.compare(p, 2, "is") == 0) p += 2;
    while (p < text.size() && (text[p] == ' ' || text[p] == '*' || text[p] == ':' || text[p] == '(')) ++p;
    if (p < text.size() && text[p] >= 'A' && text[p] <= 'E' &&
        (p + 1 == text.size() || !std::isalpha(static_cast<unsigned char>(text[p + 1])))) {
      found = text[p];
    }
  }
  if (found != 0) return found;
  for (size_t i = text.size(); i >= 3; --i) {
    if (text[i - 1] == ')' && text[i - 3] == '(' && text[i - 2] >= 'A' && text[i - 2] <= 'E') return text[i - 2];
  }
  return 0;
}

}  // namespace zerorl::math
