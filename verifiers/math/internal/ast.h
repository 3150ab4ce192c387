// The expression tree the parsers build and the comparer reads. Nodes live in an Arena and
// are never mutated after a rewrite pass returns them; rewrites build new nodes.
//
//   x = \frac{1}{2} \pm \sqrt{3}   ->  Relation[=](Symbol x, PlusMinus(Div(1, 2), Func sqrt(3)))
//   [0, 1) \cup \{2\}              ->  SetOp[union](Interval[right open](0, 1), Set(2))
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_AST_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_AST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "verifiers/math/internal/arena.h"
#include "verifiers/math/internal/rational.h"

namespace zerorl::math {

enum class Op : uint8_t {
  kNumber,     // exact rational literal (flags: kFlagDecimal)
  kSymbol,     // name, e.g. "x", "x_1", "alpha", "barx_n"
  kConst,      // sub = ConstId
  kAdd,        // n-ary sum
  kMul,        // n-ary product
  kDiv,        // kids[0] / kids[1]
  kPow,        // kids[0] ^ kids[1]
  kNeg,        // -kids[0]
  kPlusMinus,  // kids[0] ± kids[1] (sub = 1: ∓)
  kPercent,    // kids[0] % (value kids[0] / 100)
  kFunc,       // sub = FuncId, kids = arguments
  kApply,      // name(kids...): a function we do not know (f(x), P(A))
  kBigOp,      // sub = BigOpId; kids: body, variable, [lower, upper] / [point]
  kRelation,   // kids[0] rels[0] kids[1] rels[1] ... (n >= 2)
  kList,       // a, b, c written bare (unordered, like a set)
  kSet,        // \{a, b\}
  kTuple,      // (a, b, c), ordered
  kPair,       // (a, b): an open interval or an ordered pair, whichever it is compared with
  kInterval,   // kids: lower, upper; sub: kLeftOpen | kRightOpen
  kMatrix,     // rows x cols kids, row-major
  kSetOp,      // sub = SetOpId, kids[0] op kids[1]
  kNamedSet,   // sub = NamedSetId
  kText,       // name = the words of \text{...}
  kRatio,      // kids[0] : kids[1] : ...
  kBool,       // sub = 0 false / 1 true
  kDots,       // \dots in a list
};

enum ConstId : uint8_t { kPi, kE, kI, kInfinity };
enum IntervalBits : uint8_t { kLeftOpen = 1, kRightOpen = 2 };
enum SetOpId : uint8_t { kUnion, kIntersection, kSetMinus };
enum NamedSetId : uint8_t { kEmptySet, kNaturals, kNaturals0, kIntegers, kRationals, kReals, kComplexes };
enum BigOpId : uint8_t { kSum, kProduct, kIntegral, kLimit, kDerivative };
enum class RelOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn, kSubset, kSubsetEq, kSupset, kSupsetEq };

enum FuncId : uint8_t {
  kSin, kCos, kTan, kCot, kSec, kCsc,
  kAsin, kAcos, kAtan, kAcot, kAsec, kAcsc,
  kSinh, kCosh, kTanh, kCoth, kSech, kCsch,
  kAsinh, kAcosh, kAtanh, kAcoth, kAsech, kAcsch,
  kExp, kLn, kLog,  // kLog: kids = {argument, base}
  kRoot,            // kids = {radicand, index}
  kAbs, kFloor, kCeil, kFactorial, kBinomial,
  kGcd, kLcm, kMax, kMin, kMod,
  kRe, kIm, kArg, kConj, kSign,
  kNumFuncs
};

enum NodeFlags : uint16_t {
  kFlagDecimal = 1,    // number written with a decimal point or exponent
  kFlagGrouped = 2,    // written inside ( ) [ ] { } (a list there is a tuple/set, not bare)
  kFlagMixed = 4,      // mixed number 3\frac12
  kFlagSetBraces = 8,  // one element written \{x\}: a singleton where a set is expected
};

struct Node {
  Op op = Op::kNumber;
  uint8_t sub = 0;
  uint16_t flags = 0;
  uint32_t n = 0;                 // number of kids
  Node** kids = nullptr;
  const RelOp* rels = nullptr;    // kRelation: n - 1 operators
  std::string_view name;          // kSymbol, kApply, kText
  int64_t num = 0, den = 1;       // kNumber, small form
  const mpq_class* big = nullptr; // kNumber, big form (owned by the Arena)
  uint32_t rows = 0, cols = 0;    // kMatrix
  uint32_t src_begin = 0, src_end = 0;  // span in the parsed text

  Node* kid(uint32_t i) const { return kids[i]; }
  Rational value() const;  // kNumber
};

// Small helpers that build nodes in an Arena.
class NodeFactory {
 public:
  explicit NodeFactory(Arena* arena) : arena_(arena) {}
  Arena* arena() const { return arena_; }

  Node* Number(const Rational& value, uint16_t flags = 0);
  Node* Int(int64_t v) { return Number(Rational(v)); }
  Node* Symbol(std::string_view name);  // name must outlive the arena or be arena-owned
  Node* Const(ConstId id);
  Node* Make(Op op, std::initializer_list<Node*> kids, uint8_t sub = 0);
  Node* Make(Op op, const std::vector<Node*>& kids, uint8_t sub = 0);
  Node* Relation(const std::vector<Node*>& operands, const std::vector<RelOp>& rels);
  Node* Matrix(const std::vector<Node*>& cells, uint32_t rows, uint32_t cols);
  Node* Text(std::string_view words);
  // A shallow copy with new kids (same op/sub/flags/name/value).
  Node* WithKids(const Node* like, const std::vector<Node*>& kids);

 private:
  Node* New(Op op);
  Node** CopyKids(const Node* const* kids, size_t n);
  Arena* arena_;
};

bool IsScalarOp(Op op);      // numbers, symbols, arithmetic, functions
bool IsSetLike(const Node* node);  // kSet, kList, kInterval, kPair, kSetOp, kNamedSet
bool IsRelational(RelOp op);  // <, <=, >, >=
RelOp FlipRel(RelOp op);      // a < b  <->  b > a

// Symbol and kApply names appearing in `node` (no duplicates, in first-seen order).
void CollectSymbols(const Node* node, std::vector<std::string_view>* out);
// True when the tree holds a node with op `op`.
bool Contains(const Node* node, Op op);
// Deterministic text form for tests and debugging, e.g. "Add(x, Mul(2, y))".
std::string DebugString(const Node* node);

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_AST_H_
