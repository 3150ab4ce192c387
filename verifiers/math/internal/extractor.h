// Private to math_extract*.cc: the candidate answers of one text and how they are found
// (verifiers/math/extract_candidates.cc) and parsed (verifiers/math/extract.cc). See verifiers/math/internal/extract.h.
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_EXTRACTOR_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_EXTRACTOR_H_

#include <string>
#include <string_view>
#include <vector>

#include "verifiers/math/internal/extract.h"
#include "verifiers/math/internal/scan.h"

namespace zerorl::math::internal {

constexpr size_t npos = std::string_view::npos;
constexpr int kMaxSpans = 8;
constexpr size_t kMaxAttempts = 64;   // candidates tried per priority group
constexpr size_t kMaxUnanchored = 96;  // unanchored candidates kept (the last ones)
constexpr size_t kMaxAnchors = 64;     // anchor phrases of one kind kept (the last ones)

inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

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

class Extractor {
 public:
  Extractor(std::string_view s, const ExtractOptions& o, NodeFactory* f, Budget* b);
  // Text of the box group that ends last (see LastBoxedText).
  bool LastBoxGroup(std::string* out);
  bool Run(ExtractedAnswer* out, std::string* why);

 private:
  // Candidate groups, in priority order (verifiers/math/extract_candidates.cc).
  // Positions of `needle` (case-insensitive), keeping only the last kMaxAnchors: the
  // answer that ends last wins, so earlier anchors never matter once this many are found.
  std::vector<size_t> Anchors(std::string_view needle, bool exact_case = false) const;
  void Priority0(std::vector<Candidate>* out);
  void Priority50(std::vector<Candidate>* out);
  void Priority55(std::vector<Candidate>* out);
  void Priority100(std::vector<Candidate>* out);
  void Priority300(std::vector<Candidate>* out);
  int EnvAt(size_t pos) const;
  // First box that starts at or after `pos` (boxes are sorted and disjoint).
  size_t BoxFrom(size_t pos) const;
  // An environment's answer: its boxes when it has any (boxed "all"), else its content.
  void AddEnvSpans(size_t e, Candidate* c) const;
  // Box k with the boxes just before it that belong to the same answer.
  void BoxCandidates(std::vector<Candidate>* out);
  bool StartsAnswer(size_t q) const;
  // The end of a formula written after an anchor: the end of the sentence or line.
  size_t SentenceEnd(size_t p) const;
  // "\.?\s?I hope" right after `end`.
  bool HopeAfter(size_t end) const;
  // Candidates for an answer that starts at `p` (after an anchor that began at `anchor`).
  bool AnswerAt(size_t p, size_t anchor, const char* source, bool require_hope,
                std::vector<Candidate>* out);
  void NumberCandidates(std::vector<Candidate>* out);
  // A short bare formula such as "\frac{63}{400}" or "x^2+2x+1" (gold answers, graders).
  void WholeTextCandidate(std::vector<Candidate>* out);

  // Choosing and parsing (verifiers/math/extract.cc).
  bool TryGroup(std::vector<Candidate>* group, ExtractedAnswer* out);
  std::string_view Clean(Span span) const;
  // "72", "-3.25": a Number node without tokenizing; nullptr for anything else.
  Node* PlainNumber(std::string_view s) const;
  bool Parse(const Candidate& c, ExtractedAnswer* out);

  // Only list glue (", ", " and ", "$ $") between `from` and `to`.
  bool Gap(size_t from, size_t to) const { return from <= to && IsConnector(s_.substr(from, to - from)); }

  std::string_view s_;
  const ExtractOptions& o_;
  NodeFactory* f_;
  Budget* b_;
  std::vector<MathEnv> envs_;
  std::vector<Box> boxes_;
  std::string last_error_;
};

}  // namespace zerorl::math::internal

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_EXTRACTOR_H_
