// Candidate answers of one text, group by group (see verifiers/math/internal/extract.h for the order).
#include <algorithm>
#include <cctype>

#include "verifiers/math/internal/extractor.h"

namespace zerorl::math::internal {

Extractor::Extractor(std::string_view s, const ExtractOptions& o, NodeFactory* f, Budget* b)
    : s_(s), o_(o), f_(f), b_(b) {
  if (o_.latex) {
    envs_ = FindMathEnvs(s_);
    boxes_ = FindBoxes(s_);
  }
}

// Positions of `needle` (case-insensitive), keeping only the last kMaxAnchors: the
// answer that ends last wins, so earlier anchors never matter once this many are found.
std::vector<size_t> Extractor::Anchors(std::string_view needle, bool exact_case) const {
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

void Extractor::Priority0(std::vector<Candidate>* out) {
  if (o_.boxed_first) BoxCandidates(out);
  for (size_t i : Anchors("final answer is")) {
    if (!b_->Tick(16)) return;
    AnswerAt(i + 15, i, "final answer", /*require_hope=*/true, out);
  }
}

void Extractor::Priority50(std::vector<Candidate>* out) {
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

void Extractor::Priority55(std::vector<Candidate>* out) {
  if (!o_.boxed_first) BoxCandidates(out);
  for (size_t i : Anchors("####", /*exact_case=*/true)) {
    if (!b_->Tick(16)) return;
    size_t p = i + 4;
    while (p < s_.size() && s_[p] == '#') ++p;
    AnswerAt(p, i, "####", false, out);
  }
}

void Extractor::Priority100(std::vector<Candidate>* out) {
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

void Extractor::Priority300(std::vector<Candidate>* out) {
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

int Extractor::EnvAt(size_t pos) const {
  auto it = std::upper_bound(envs_.begin(), envs_.end(), pos,
                             [](size_t p, const MathEnv& e) { return p < e.outer.begin; });
  if (it == envs_.begin()) return -1;
  --it;
  return pos < it->outer.end ? static_cast<int>(it - envs_.begin()) : -1;
}

// First box that starts at or after `pos` (boxes are sorted and disjoint).
size_t Extractor::BoxFrom(size_t pos) const {
  return std::lower_bound(boxes_.begin(), boxes_.end(), pos,
                          [](const Box& b, size_t p) { return b.outer.begin < p; }) -
         boxes_.begin();
}

// An environment's answer: its boxes when it has any (boxed "all"), else its content.
void Extractor::AddEnvSpans(size_t e, Candidate* c) const {
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
void Extractor::BoxCandidates(std::vector<Candidate>* out) {
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

bool Extractor::StartsAnswer(size_t q) const {
  char c = s_[q];
  if (o_.latex && (c == '$' || c == '\\')) return true;
  NumberMatch m;
  return o_.expr && (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.') && MatchNumberAt(s_, q, &m);
}

// The end of a formula written after an anchor: the end of the sentence or line.
size_t Extractor::SentenceEnd(size_t p) const {
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
bool Extractor::HopeAfter(size_t end) const {
  if (end < s_.size() && s_[end] == '.') ++end;
  if (end < s_.size() && IsSpace(s_[end])) ++end;
  return s_.compare(end, 6, "I hope") == 0;
}

// Candidates for an answer that starts at `p` (after an anchor that began at `anchor`).
bool Extractor::AnswerAt(size_t p, size_t anchor, const char* source, bool require_hope, std::vector<Candidate>* out) {
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

void Extractor::NumberCandidates(std::vector<Candidate>* out) {
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
void Extractor::WholeTextCandidate(std::vector<Candidate>* out) {
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

}  // namespace zerorl::math::internal
