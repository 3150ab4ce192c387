// Plain (sympy-style) identifiers and calls: pi, oo, sqrt(2), Rational(1, 3), Eq(x, 1),
// Interval.open(0, 1), Matrix([[1, 2], [3, 4]]), Integral(x, (x, a, b)), f(x).
#include "verifiers/math/internal/parser.h"

namespace zerorl::math {
namespace {

struct NamedNode {
  std::string_view name;
  Op op;
  uint8_t sub;
};

constexpr NamedNode kPlainConstants[] = {
    {"pi", Op::kConst, kPi}, {"E", Op::kConst, kE}, {"I", Op::kConst, kI},
    {"oo", Op::kConst, kInfinity}, {"EmptySet", Op::kNamedSet, kEmptySet},
    {"Naturals", Op::kNamedSet, kNaturals}, {"Naturals0", Op::kNamedSet, kNaturals0},
    {"Integers", Op::kNamedSet, kIntegers}, {"Rationals", Op::kNamedSet, kRationals},
    {"Reals", Op::kNamedSet, kReals}, {"Complexes", Op::kNamedSet, kComplexes},
    {"True", Op::kBool, 1}, {"False", Op::kBool, 0},
};

constexpr struct {
  std::string_view name;
  RelOp op;
} kRelations[] = {{"Eq", RelOp::kEq}, {"Ne", RelOp::kNe}, {"Lt", RelOp::kLt},
                  {"Le", RelOp::kLe}, {"Gt", RelOp::kGt}, {"Ge", RelOp::kGe}};

}  // namespace

Node* Parser::ParsePlainIdentifier() {
  const Token& t = Next();
  std::string_view name = t.text;
  for (const NamedNode& c : kPlainConstants) {
    if (c.name != name) continue;
    if (c.op == Op::kConst) return f_->Const(static_cast<ConstId>(c.sub));
    return f_->Make(c.op, {}, c.sub);
  }
  if (At(Tok::kLParen)) return ParsePlainCall(name);
  return f_->Symbol(CanonicalName(name));
}

Node* Parser::ParsePlainCall(std::string_view name) {
  Next();  // '('
  std::vector<Node*> args;
  if (!ParseCallArgs(&args, Tok::kRParen)) return nullptr;
  size_t n = args.size();
  auto want = [&](size_t lo, size_t hi) {
    if (n >= lo && n <= hi) return true;
    Fail(std::string(name) + "() takes " + std::to_string(lo) + " to " + std::to_string(hi) + " arguments");
    return false;
  };
  if (name == "sqrt") return want(1, 1) ? f_->Make(Op::kFunc, {args[0], f_->Int(2)}, kRoot) : nullptr;
  if (name == "log") {
    if (!want(1, 2)) return nullptr;
    return n == 1 ? f_->Make(Op::kFunc, {args[0]}, kLn) : f_->Make(Op::kFunc, {args[0], args[1]}, kLog);
  }
  if (name == "Rational") return want(2, 2) ? f_->Make(Op::kDiv, {args[0], args[1]}) : nullptr;
  if (name == "Integer" || name == "Float" || name == "UnevaluatedExpr" || name == "S") {
    return want(1, 1) ? args[0] : nullptr;
  }
  for (const auto& r : kRelations) {
    if (r.name == name) return want(2, 2) ? f_->Relation({args[0], args[1]}, {r.op}) : nullptr;
  }
  if (name == "Not") {
    if (!want(1, 1) || args[0]->op != Op::kRelation || args[0]->n != 2) return Fail("Not() needs a relation");
    Node* r = args[0];
    RelOp op = r->rels[0] == RelOp::kEq ? (IsSetLike(r->kid(1)) ? RelOp::kNotIn : RelOp::kNe) : r->rels[0];
    return f_->Relation({r->kid(0), r->kid(1)}, {op});
  }
  if (name.substr(0, 8) == "Interval") {
    if (!want(2, 4)) return nullptr;
    uint8_t bits = 0;
    if (name == "Interval.open") bits = kLeftOpen | kRightOpen;
    else if (name == "Interval.Lopen") bits = kLeftOpen;
    else if (name == "Interval.Ropen") bits = kRightOpen;
    else if (name != "Interval") return Fail("unknown interval constructor");
    if (n >= 3 && args[2]->op == Op::kBool && args[2]->sub == 1) bits |= kLeftOpen;
    if (n >= 4 && args[3]->op == Op::kBool && args[3]->sub == 1) bits |= kRightOpen;
    return f_->Make(Op::kInterval, {args[0], args[1]}, bits);
  }
  if (name == "Union" || name == "Intersection") {
    uint8_t op = name == "Union" ? kUnion : kIntersection;
    Node* acc = args[0];
    for (size_t i = 1; i < n; ++i) acc = f_->Make(Op::kSetOp, {acc, args[i]}, op);
    return acc;
  }
  if (name == "Complement") return want(2, 2) ? f_->Make(Op::kSetOp, {args[0], args[1]}, kSetMinus) : nullptr;
  if (name == "FiniteSet") return f_->Make(Op::kSet, args);
  if (name == "Tuple") return f_->Make(Op::kTuple, args);
  if (name == "Matrix") {
    if (!want(1, 1) || args[0]->op != Op::kTuple) return Fail("Matrix() needs a list of rows");
    Node* rows = args[0];
    bool nested = rows->kid(0)->op == Op::kTuple;
    uint32_t cols = nested ? rows->kid(0)->n : 1;
    std::vector<Node*> cells;
    for (uint32_t r = 0; r < rows->n; ++r) {
      Node* row = rows->kid(r);
      if (!nested) {
        cells.push_back(row);
        continue;
      }
      if (row->op != Op::kTuple || row->n != cols) return Fail("Matrix() rows differ in length");
      for (uint32_t c = 0; c < cols; ++c) cells.push_back(row->kid(c));
    }
    return f_->Matrix(cells, rows->n, cols);
  }
  if (name == "Integral" || name == "Sum" || name == "Product") {
    uint8_t which = name == "Integral" ? kIntegral : name == "Sum" ? kSum : kProduct;
    if (!want(2, 2)) return nullptr;
    Node* spec = args[1];
    if (spec->op == Op::kTuple && spec->n == 3) {
      return f_->Make(Op::kBigOp, {args[0], spec->kid(0), spec->kid(1), spec->kid(2)}, which);
    }
    return f_->Make(Op::kBigOp, {args[0], spec}, which);
  }
  if (name == "Limit") {
    if (!want(3, 4)) return nullptr;
    return f_->Make(Op::kBigOp, {args[0], args[1], args[2], n == 4 ? args[3] : f_->Int(1)}, kLimit);
  }
  if (name == "Derivative") return want(2, 2) ? f_->Make(Op::kBigOp, {args[0], args[1]}, kDerivative) : nullptr;
  int func = FindPlainFunction(name);
  if (func >= 0) return f_->Make(Op::kFunc, args, static_cast<uint8_t>(func));
  Node* app = f_->Make(Op::kApply, args);
  app->name = CanonicalName(name);
  return app;
}

}  // namespace zerorl::math
