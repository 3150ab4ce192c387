// Private to math_equivalence*.cc: the gold-guided matcher behind AnswersMatch().
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_MATCHER_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_MATCHER_H_

#include <functional>
#include <string>
#include <vector>

#include "verifiers/math/internal/equivalence.h"

namespace zerorl::math::internal {

// Node kinds the matcher dispatches on.
bool IsCollection(const Node* n);  // list, set, tuple, pair
bool IsUnordered(const Node* n);   // list, set
bool NeedsRealSet(const Node* n);  // interval, set operation, named set
bool IsInequality(const Node* n);  // a chain of <, <=, >, >=, !=
bool IsValueRelation(const Node* n);  // "x = ... = v" or "x \in S": the value is the last operand
bool IsAssignment(const Node* n);  // a value relation whose left side is a name

class Matcher {
 public:
  Matcher(const CompareOptions& o, NodeFactory* f, Budget* b) : o_(o), f_(f), b_(b), ctx_(b) {}

  bool Match(Node* g, Node* p);

 private:
  // Dispatch, text, scalars and structure (verifiers/math/equivalence.cc).
  bool MatchInner(Node* g, Node* p);
  bool AllMatch(Node* set, Node* other, bool gold_side);
  bool MatchText(Node* g, Node* p);
  bool MatchScalar(Node* g, Node* p);
  // Compares a and b with `same` at every sample point; 1 equal, 0 different, -1 when no
  // point could be evaluated (the caller then compares structure).
  int AtPoints(Node* a, Node* b, const std::function<bool(const Value&, const Value&)>& same,
               const std::function<void()>& reset);
  bool ScalarEq(Node* a, Node* b);
  // b == k * a for one constant k != 0 (k > 0 when `positive`), at every sample point.
  bool Proportional(Node* a, Node* b, bool positive);
  Node* Difference(Node* l, Node* r) { return f_->Make(Op::kAdd, {l, f_->Make(Op::kNeg, {r})}); }
  // Same shape, and leaves/operands that match: used when values cannot be computed
  // (10^{10^{10}}, integrals, limits).
  bool SameStructure(Node* a, Node* b);

  // Relations, sets, tuples, ratios, matrices (verifiers/math/equivalence_structures.cc).
  // {1,2} \supseteq {1}: the truth value of an inclusion between explicit sets.
  bool InclusionValue(Node* rel, bool* value);
  bool MatchRelations(Node* g, Node* p);
  // A relation in one variable against a set: compare its solution set.
  bool MatchSolved(Node* relation, Node* set);
  bool MatchSets(Node* g, Node* p);
  bool MatchOrdered(Node* g, Node* p);
  bool MatchUnordered(Node* g, Node* p);
  bool MatchRatio(Node* g, Node* p);
  bool MatchMatrices(Node* g, Node* p);

  const CompareOptions& o_;
  NodeFactory* f_;
  Budget* b_;
  EvalContext ctx_;
  int depth_ = 0;
};

}  // namespace zerorl::math::internal

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_MATCHER_H_
