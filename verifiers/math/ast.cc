#include "verifiers/math/internal/ast.h"

#include <algorithm>

namespace zerorl::math {

Rational Node::value() const {
  if (big != nullptr) return Rational(*big);
  return Rational(num, den);
}

Node* NodeFactory::New(Op op) {
  Node* node = arena_->New<Node>();
  node->op = op;
  return node;
}

Node** NodeFactory::CopyKids(const Node* const* kids, size_t n) {
  Node** out = arena_->NewArray<Node*>(n);
  for (size_t i = 0; i < n; ++i) out[i] = const_cast<Node*>(kids[i]);
  return out;
}

Node* NodeFactory::Number(const Rational& value, uint16_t flags) {
  Node* node = New(Op::kNumber);
  node->flags = flags;
  if (!value.GetSmall(&node->num, &node->den)) node->big = arena_->NewBig(value.ToMpq());
  return node;
}

Node* NodeFactory::Symbol(std::string_view name) {
  Node* node = New(Op::kSymbol);
  node->name = name;
  return node;
}

Node* NodeFactory::Const(ConstId id) {
  Node* node = New(Op::kConst);
  node->sub = id;
  return node;
}

Node* NodeFactory::Make(Op op, std::initializer_list<Node*> kids, uint8_t sub) {
  Node* node = New(op);
  node->sub = sub;
  node->n = static_cast<uint32_t>(kids.size());
  node->kids = CopyKids(kids.begin(), kids.size());
  return node;
}

Node* NodeFactory::Make(Op op, const std::vector<Node*>& kids, uint8_t sub) {
  Node* node = New(op);
  node->sub = sub;
  node->n = static_cast<uint32_t>(kids.size());
  node->kids = CopyKids(kids.data(), kids.size());
  return node;
}

Node* NodeFactory::Relation(const std::vector<Node*>& operands, const std::vector<RelOp>& rels) {
  Node* node = Make(Op::kRelation, operands);
  RelOp* r = arena_->NewArray<RelOp>(rels.size());
  std::copy(rels.begin(), rels.end(), r);
  node->rels = r;
  return node;
}

Node* NodeFactory::Matrix(const std::vector<Node*>& cells, uint32_t rows, uint32_t cols) {
  Node* node = Make(Op::kMatrix, cells);
  node->rows = rows;
  node->cols = cols;
  return node;
}

Node* NodeFactory::Text(std::string_view words) {
  Node* node = New(Op::kText);
  node->name = words;
  return node;
}

Node* NodeFactory::WithKids(const Node* like, const std::vector<Node*>& kids) {
  Node* node = arena_->New<Node>(*like);
  node->n = static_cast<uint32_t>(kids.size());
  node->kids = CopyKids(kids.data(), kids.size());
  return node;
}

bool IsScalarOp(Op op) {
  switch (op) {
    case Op::kNumber: case Op::kSymbol: case Op::kConst: case Op::kAdd: case Op::kMul:
    case Op::kDiv: case Op::kPow: case Op::kNeg: case Op::kPercent: case Op::kFunc:
    case Op::kApply: case Op::kBigOp:
      return true;
    default:
      return false;
  }
}

bool IsSetLike(const Node* node) {
  switch (node->op) {
    case Op::kSet: case Op::kList: case Op::kInterval: case Op::kPair: case Op::kSetOp:
    case Op::kNamedSet:
      return true;
    default:
      return false;
  }
}

bool IsRelational(RelOp op) {
  return op == RelOp::kLt || op == RelOp::kLe || op == RelOp::kGt || op == RelOp::kGe;
}

RelOp FlipRel(RelOp op) {
  switch (op) {
    case RelOp::kLt: return RelOp::kGt;
    case RelOp::kLe: return RelOp::kGe;
    case RelOp::kGt: return RelOp::kLt;
    case RelOp::kGe: return RelOp::kLe;
    case RelOp::kSubset: return RelOp::kSupset;
    case RelOp::kSubsetEq: return RelOp::kSupsetEq;
    case RelOp::kSupset: return RelOp::kSubset;
    case RelOp::kSupsetEq: return RelOp::kSubsetEq;
    default: return op;
  }
}

void CollectSymbols(const Node* node, std::vector<std::string_view>* out) {
  if (node->op == Op::kSymbol || node->op == Op::kApply) {
    if (std::find(out->begin(), out->end(), node->name) == out->end()) out->push_back(node->name);
  }
  // A big operator binds its variable (kids[1]); the body's copy of it is not free.
  if (node->op == Op::kBigOp && node->n >= 2 && node->kid(1)->op == Op::kSymbol &&
      node->sub != kDerivative) {
    std::vector<std::string_view> inner;
    CollectSymbols(node->kid(0), &inner);
    for (uint32_t i = 2; i < node->n; ++i) CollectSymbols(node->kid(i), out);
    for (std::string_view s : inner) {
      if (s != node->kid(1)->name && std::find(out->begin(), out->end(), s) == out->end()) {
        out->push_back(s);
      }
    }
    return;
  }
  for (uint32_t i = 0; i < node->n; ++i) CollectSymbols(node->kid(i), out);
}

bool Contains(const Node* node, Op op) {
  if (node->op == op) return true;
  for (uint32_t i = 0; i < node->n; ++i) {
    if (Contains(node->kid(i), op)) return true;
  }
  return false;
}

namespace {

const char* OpName(Op op) {
  switch (op) {
    case Op::kNumber: return "Num";
    case Op::kSymbol: return "Sym";
    case Op::kConst: return "Const";
    case Op::kAdd: return "Add";
    case Op::kMul: return "Mul";
    case Op::kDiv: return "Div";
    case Op::kPow: return "Pow";
    case Op::kNeg: return "Neg";
    case Op::kPlusMinus: return "PlusMinus";
    case Op::kPercent: return "Percent";
    case Op::kFunc: return "Func";
    case Op::kApply: return "Apply";
    case Op::kBigOp: return "BigOp";
    case Op::kRelation: return "Rel";
    case Op::kList: return "List";
    case Op::kSet: return "Set";
    case Op::kTuple: return "Tuple";
    case Op::kPair: return "Pair";
    case Op::kInterval: return "Interval";
    case Op::kMatrix: return "Matrix";
    case Op::kSetOp: return "SetOp";
    case Op::kNamedSet: return "NamedSet";
    case Op::kText: return "Text";
    case Op::kRatio: return "Ratio";
    case Op::kBool: return "Bool";
    case Op::kDots: return "Dots";
  }
  return "?";
}

const char* RelName(RelOp op) {
  static const char* const kNames[] = {"=", "!=", "<", "<=", ">", ">=", "in", "notin",
                                       "subset", "subseteq", "supset", "supseteq"};
  return kNames[static_cast<int>(op)];
}

}  // namespace

std::string DebugString(const Node* node) {
  switch (node->op) {
    case Op::kNumber: return node->value().ToString();
    case Op::kSymbol: return std::string(node->name);
    case Op::kText: return "Text(" + std::string(node->name) + ")";
    case Op::kConst: {
      static const char* const kNames[] = {"pi", "E", "I", "oo"};
      return kNames[node->sub];
    }
    default: break;
  }
  std::string out = OpName(node->op);
  if (node->op == Op::kApply) out += ":" + std::string(node->name);
  if (node->op == Op::kFunc || node->op == Op::kSetOp || node->op == Op::kNamedSet ||
      node->op == Op::kInterval || node->op == Op::kBigOp || node->op == Op::kBool ||
      node->op == Op::kPlusMinus) {
    out += "#" + std::to_string(node->sub);
  }
  out += "(";
  for (uint32_t i = 0; i < node->n; ++i) {
    if (i > 0) out += node->op == Op::kRelation ? std::string(" ") + RelName(node->rels[i - 1]) + " " : ", ";
    out += DebugString(node->kid(i));
  }
  return out + ")";
}

}  // namespace zerorl::math
