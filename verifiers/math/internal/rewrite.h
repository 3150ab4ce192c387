// Tree rewrites run between parsing and comparison. They never modify their input; they
// return new nodes (or the input itself when nothing changes).
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_REWRITE_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_REWRITE_H_

#include "verifiers/math/internal/ast.h"

namespace zerorl::math {

// At most this many sign choices are expanded (2^4); more ± signs are left unexpanded
// and then compare only structurally.
inline constexpr size_t kMaxPlusMinusVariants = 16;

// Expands every ± / ∓ into both signs: "1 \pm \sqrt{2}" -> List(1 + sqrt 2, 1 - sqrt 2);
// inside a list or set the variants join the list: \{1 \pm 2, 5\} -> Set(3, -1, 5).
Node* ExpandPlusMinus(Node* node, NodeFactory* f);

// Folds a matrix expression (products with scalars and matrices, sums, negation, small
// integer powers) into one kMatrix node whose cells are scalar trees. nullptr when `node`
// holds no matrix or the shapes do not fit.
Node* FoldMatrix(Node* node, NodeFactory* f);

// Last operand of an all-'=' chain ("x = 5+5+1 = 11" -> 11); nullptr for other nodes.
Node* EqChainValue(Node* node);
// An all-'=' relation chain (any length >= 2).
bool IsEqChain(const Node* node);
// A name rather than a value: x, x_1, f(x), \text{Area}, |AB|, A:B, NO/BO, (p, q).
bool IsNameLike(const Node* node);

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_REWRITE_H_
