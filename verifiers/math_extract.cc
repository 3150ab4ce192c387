#include "verifiers/math_extract.h"

#include <algorithm>
#include <cctype>

#include "verifiers/math_parser.h"
#include "verifiers/math_scan.h"

namespace zerorl::math {
namespace {

constexpr size_t npos = std::string_view::npos;
constexpr int kMaxSpans = 8;
constexpr size_t kMaxAttempts = 64;   // candidates tried per priority group
constexpr size_t kMaxUnanchored = 96;  // unanchored candidates kept (the last ones)
constexpr size_t kMaxAnchors = 64;     // anchor phrases of one kind kept (the last ones)

struct Candidate {
  enum Kind : uint8_t { kLatex, kExpr, kNumber };
  uint32_t begin = 0, end = 0;  // extent in the text: the one that ends last is tried first
  uint8_t order = 0;            // tie-break for equal extents (lower first)
  Kind kind = kLatex;
  uint8_t num_spans = 0;
  Span spans[kMaxSpans];
  NumberMatch number;
  const char* source = "";

  bool Add(Span s) {
    if (num_spans == kMaxSpans) return false;
    spans[num_spans++] = s;
    return true;
  }
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class Extractor {
 public:
  Extractor(std::string_view s, const ExtractOptions& o, NodeFactory* f, Budget* b)
      : s_(s), o_(o), f_(f), b_(b) {
    if (o_.latex) {
      envs_ = FindMathEnvs(s_);
      boxes_ = FindBoxes(s_);
    }
  }

  // Text of the box group that ends last (see LastBoxedText).
  bool LastBoxGroup(std::string* out) {
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

  bool Run(ExtractedAnswer* out, std::string* why) {
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

 private:
  // ---- candidate groups ----
  // Positions of `needle` (case-insensitive), keeping only the last kMaxAnchors: the
  // answer that ends last wins, so earlier anchors never matter once this many are found.
  std::vector<size_t> Anchors(std::string_view needle, bool exact_case = false) const {
    std::vector<size_t> at;
    for (size_t i = 0; i < s_.size(); i += needle.size()) {
      i = exact_case ? s_.find(needle, i) : FindNoCase(s_, needle, i, s_.size());
      if (i == npos) break;
      at.push_back(i);
      if (at.size() > 2 * kMaxAnchors) at.erase(at.begin(), at.begin() + kMaxAnchors);
    }
    if (at.size() > kMaxAnchors) at.erase(at.begin(), at.end() - kMaxAnchors);
    return at;
  }

  void Priority0(std::vector<Candidate>* out) {
    if (o_.boxed_first) BoxCandidates(out);
    for (size_t i : Anchors("final answer is")) {
      if (!b_->Tick(16)) return;
      AnswerAt(i + 15, i, "final answer", /*require_hope=*/true, out);
    }
  }

  void Priority50(std::vector<Candidate>* out) {
    for (size_t i : Anchors("final answer")) {
      if (!b_->Tick(16)) return;
      size_t window_end = std::min(s_.size(), i + 12 + 100);
      for (size_t j = i + 12; (j = FindNoCase(s_, "is", j, window_end + 2)) != npos; j += 2) {
        if (!IsSpace(s_[j - 1]) || std::isalpha(static_cast<unsigned char>(j + 2 < s_.size() ? s_[j + 2] : ' '))) {
          continue;
        }
        if (AnswerAt(j + 2, i, "final answer", false, out)) break;
      }
    }
  }

  void Priority55(std::vector<Candidate>* out) {
    if (!o_.boxed_first) BoxCandidates(out);
    for (size_t i : Anchors("####", /*exact_case=*/true)) {
      if (!b_->Tick(16)) return;
      size_t p = i + 4;
      while (p < s_.size() && s_[p] == '#') ++p;
      AnswerAt(p, i, "####", false, out);
    }
  }

  void Priority100(std::vector<Candidate>* out) {
    for (size_t i : Anchors("answer")) {
      if (!b_->Tick(16)) return;
      size_t p = i + 6;
      while (p < s_.size() && (s_[p] == ' ' || s_[p] == '*')) ++p;
      if (s_.compare(p, 2, "is") == 0 && !std::isalpha(static_cast<unsigned char>(p + 2 < s_.size() ? s_[p + 2] : ' '))) {
        AnswerAt(p + 2, i, "answer", false, out);
        continue;
      }
      bool colon = p < s_.size() && s_[p] == ':';
      if (!colon && s_.compare(p, 3, "\xEF\xBC\x9A") != 0) continue;  // ':' or full-width '：'
      p += colon ? 1 : 3;
      size_t limit = std::min(s_.size(), p + 50);
      for (size_t q = p; q < limit; ++q) {
        if ((q == p || StartsAnswer(q)) && AnswerAt(q, i, "answer", false, out)) break;
      }
    }
  }

  void Priority300(std::vector<Candidate>* out) {
    if (o_.latex) {
      size_t first = envs_.size() > kMaxUnanchored ? envs_.size() - kMaxUnanchored : 0;
      for (size_t k = first; k < envs_.size(); ++k) {
        Candidate c;
        c.kind = Candidate::kLatex;
        c.source = "last math";
        size_t start = k;
        while (start > 0 && k - start < kMaxSpans - 1 && Gap(envs_[start - 1].outer.end, envs_[start].outer.begin)) {
          --start;
        }
        c.begin = envs_[start].outer.begin;
        c.end = envs_[k].outer.end;
        for (size_t e = start; e <= k; ++e) AddEnvSpans(e, &c);
        out->push_back(c);
      }
    }
    if (o_.expr) NumberCandidates(out);
    if (o_.latex) WholeTextCandidate(out);
  }

  // ---- building blocks ----
  bool Gap(size_t from, size_t to) const { return from <= to && IsConnector(s_.substr(from, to - from)); }

  int EnvAt(size_t pos) const {
    auto it = std::upper_bound(envs_.begin(), envs_.end(), pos,
                               [](size_t p, const MathEnv& e) { return p < e.outer.begin; });
    if (it == envs_.begin()) return -1;
    --it;
    return pos < it->outer.end ? static_cast<int>(it - envs_.begin()) : -1;
  }

  // First box that starts at or after `pos` (boxes are sorted and disjoint).
  size_t BoxFrom(size_t pos) const {
    return std::lower_bound(boxes_.begin(), boxes_.end(), pos,
                            [](const Box& b, size_t p) { return b.outer.begin < p; }) -
           boxes_.begin();
  }

  // An environment's answer: its boxes when it has any (boxed "all"), else its content.
  void AddEnvSpans(size_t e, Candidate* c) const {
    const Span& content = envs_[e].content;
    bool any = false;
    for (size_t k = BoxFrom(content.begin); k < boxes_.size() && boxes_[k].outer.begin < content.end; ++k) {
      if (boxes_[k].outer.end <= content.end) {
        c->Add(boxes_[k].content);
        any = true;
      }
    }
    if (!any) c->Add(content);
  }

  // Box k with the boxes just before it that belong to the same answer.
  void BoxCandidates(std::vector<Candidate>* out) {
    size_t first = boxes_.size() > kMaxUnanchored ? boxes_.size() - kMaxUnanchored : 0;
    for (size_t k = first; k < boxes_.size(); ++k) {
      size_t start = k;
      while (start > 0 && k - start < kMaxSpans - 1) {
        const Box& a = boxes_[start - 1];
        const Box& b = boxes_[start];
        int ea = EnvAt(a.outer.begin), eb = EnvAt(b.outer.begin);
        bool joined = Gap(a.outer.end, b.outer.begin) || (ea >= 0 && ea == eb) ||
                      (ea >= 0 && eb >= 0 && ea + 1 == eb && Gap(envs_[ea].outer.end, envs_[eb].outer.begin));
        if (!joined) break;
        --start;
      }
      Candidate c;
      c.kind = Candidate::kLatex;
      c.source = "boxed";
      c.begin = boxes_[start].outer.begin;
      c.end = boxes_[k].outer.end;
      for (size_t i = start; i <= k; ++i) c.Add(boxes_[i].content);
      out->push_back(c);
    }
  }

  bool StartsAnswer(size_t q) const {
    char c = s_[q];
    if (o_.latex && (c == '$' || c == '\\')) return true;
    NumberMatch m;
    return o_.expr && (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.') && MatchNumberAt(s_, q, &m);
  }

  // The end of a formula written after an anchor: the end of the sentence or line.
  size_t SentenceEnd(size_t p) const {
    size_t limit = std::min(s_.size(), p + 160);
    for (size_t i = p; i < limit; ++i) {
      char c = s_[i];
      if (c == '\n' || c == '$') return i;
      if (c == '.' && (i + 1 == s_.size() || IsSpace(s_[i + 1]))) return i;
      if (c == 'I' && s_.compare(i, 6, "I hope") == 0) return i;
    }
    return limit;
  }

  // "\.?\s?I hope" right after `end`.
  bool HopeAfter(size_t end) const {
    if (end < s_.size() && s_[end] == '.') ++end;
    if (end < s_.size() && IsSpace(s_[end])) ++end;
    return s_.compare(end, 6, "I hope") == 0;
  }

  // Candidates for an answer that starts at `p` (after an anchor that began at `anchor`).
  bool AnswerAt(size_t p, size_t anchor, const char* source, bool require_hope, std::vector<Candidate>* out) {
    while (p < s_.size() && (s_[p] == ' ' || s_[p] == ':' || s_[p] == '*' || s_[p] == '\t')) ++p;
    if (p >= s_.size()) return false;
    size_t before = out->size();
    auto push = [&](Candidate c) {
      if (require_hope && !HopeAfter(c.end)) return;
      c.begin = static_cast<uint32_t>(anchor);
      c.source = source;
      out->push_back(c);
    };
    if (o_.latex) {
      int e = EnvAt(p);
      if (e >= 0 && envs_[e].outer.begin == p) {
        Candidate c;
        size_t last = e;
        AddEnvSpans(e, &c);
        while (last + 1 < envs_.size() && c.num_spans < kMaxSpans &&
               Gap(envs_[last].outer.end, envs_[last + 1].outer.begin)) {
          AddEnvSpans(++last, &c);
        }
        c.end = envs_[last].outer.end;
        push(c);
      }
      size_t k = BoxFrom(p);
      if (k < boxes_.size() && boxes_[k].outer.begin == p) {
        Candidate c;
        c.Add(boxes_[k].content);
        c.end = boxes_[k].outer.end;
        push(c);
      }
      size_t end = SentenceEnd(p);
      size_t trimmed = end;
      while (trimmed > p && (IsSpace(s_[trimmed - 1]) || s_[trimmed - 1] == '.' || s_[trimmed - 1] == ',')) --trimmed;
      if (trimmed > p && s_[p] != '$' && !LooksLikeProse(s_.substr(p, trimmed - p))) {
        Candidate c;
        c.Add(Span{static_cast<uint32_t>(p), static_cast<uint32_t>(trimmed)});
        c.end = static_cast<uint32_t>(trimmed);
        push(c);
      }
    }
    if (o_.expr) {
      Span expr;
      NumberMatch m;
      size_t q = p;
      if (q < s_.size() && s_[q] == '$' && !o_.latex) ++q;  // "$1,000.99" in plain text
      if (MatchExpressionAt(s_, q, &expr)) {
        Candidate c;
        c.kind = Candidate::kExpr;
        c.order = 1;
        c.Add(expr);
        c.end = expr.end;
        push(c);
      }
      if (MatchNumberAt(s_, q, &m)) {
        Candidate c;
        c.kind = Candidate::kNumber;
        c.order = 2;
        c.number = m;
        c.end = m.span.end;
        push(c);
      }
    }
    return out->size() > before;
  }

  void NumberCandidates(std::vector<Candidate>* out) {
    std::vector<Candidate> found;
    size_t expr_end = 0;     // no expression starts before this
    size_t run_end = 0;      // end of the current run of expression characters
    int tries_in_run = 0;    // bounded, so that "1 1 1 ... 1" costs O(n), not O(n^2)
    size_t env = 0;
    for (size_t i = 0; i < s_.size(); ++i) {
      // Numbers inside a math environment belong to it: a formula that does not parse is
      // not rescued by a digit picked out of it ("$\frac{1}{$" has no answer).
      while (env < envs_.size() && envs_[env].outer.end <= i) ++env;
      if (env < envs_.size() && envs_[env].outer.begin <= i) {
        i = envs_[env].outer.end - 1;
        continue;
      }
      char c = s_[i];
      bool digit = std::isdigit(static_cast<unsigned char>(c));
      if (!digit && c != '-' && c != '.' && c != '(') continue;
      if (!b_->Tick()) return;
      if (i >= run_end) tries_in_run = 0;
      if (i >= expr_end && (digit || c == '(' || c == '-') && tries_in_run < 4) {
        Span expr;
        size_t end_of_run = i;
        ++tries_in_run;
        bool matched = MatchExpressionAt(s_, i, &expr, &end_of_run);
        if (end_of_run > run_end) run_end = end_of_run;
        if (!matched && end_of_run - i > 1024) tries_in_run = 4;  // a run too long to be an answer
        if (matched) {
          Candidate e;
          e.kind = Candidate::kExpr;
          e.source = "last number";
          e.order = 1;
          e.begin = expr.begin;
          e.end = expr.end;
          e.Add(expr);
          found.push_back(e);
          expr_end = expr.end;
        }
      }
      NumberMatch m;
      if (c != '(' && MatchNumberAt(s_, i, &m)) {
        Candidate n;
        n.kind = Candidate::kNumber;
        n.source = "last number";
        n.order = 2;
        n.number = m;
        n.begin = m.span.begin;
        n.end = m.span.end;
        found.push_back(n);
        i = m.span.end - 1;
      }
      if (found.size() > 2 * kMaxUnanchored) found.erase(found.begin(), found.begin() + kMaxUnanchored);
    }
    out->insert(out->end(), found.begin(), found.end());
  }

  // A short bare formula such as "\frac{63}{400}" or "x^2+2x+1" (gold answers, graders).
  void WholeTextCandidate(std::vector<Candidate>* out) {
    if (!envs_.empty() || !boxes_.empty() || s_.size() > o_.max_answer_chars) return;
    size_t b = 0, e = s_.size();
    while (b < e && IsSpace(s_[b])) ++b;
    while (e > b && (IsSpace(s_[e - 1]) || s_[e - 1] == '.')) --e;
    if (b == e || LooksLikeProse(s_.substr(b, e - b))) return;
    Candidate c;
    c.kind = Candidate::kLatex;
    c.source = "whole text";
    c.order = 0;  // "-2,1" as a whole is a list, not the decimal -2.1
    c.begin = static_cast<uint32_t>(b);
    c.end = static_cast<uint32_t>(s_.size());
    c.Add(Span{static_cast<uint32_t>(b), static_cast<uint32_t>(e)});
    out->push_back(c);
  }

  // ---- parsing ----
  bool TryGroup(std::vector<Candidate>* group, ExtractedAnswer* out) {
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

  std::string_view Clean(Span span) const {
    size_t b = span.begin, e = span.end;
    while (b < e && IsSpace(s_[b])) ++b;
    while (e > b && (IsSpace(s_[e - 1]) || s_[e - 1] == '.' || s_[e - 1] == ',' || s_[e - 1] == ';')) --e;
    return s_.substr(b, e - b);
  }

  // "72", "-3.25": a Number node without tokenizing; nullptr for anything else.
  Node* PlainNumber(std::string_view s) const {
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

  bool Parse(const Candidate& c, ExtractedAnswer* out) {
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

  std::string_view s_;
  const ExtractOptions& o_;
  NodeFactory* f_;
  Budget* b_;
  std::vector<MathEnv> envs_;
  std::vector<Box> boxes_;
  std::string last_error_;
};

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
