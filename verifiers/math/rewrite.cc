#include "verifiers/math/internal/rewrite.h"

#include <vector>

namespace zerorl::math {
namespace {

using Variants = std::vector<Node*>;

Variants Expand(Node* node, NodeFactory* f);

// All combinations of the kids' variants, capped at kMaxPlusMinusVariants.
std::vector<std::vector<Node*>> Combine(const std::vector<Variants>& kids) {
  std::vector<std::vector<Node*>> out(1);
  for (const Variants& options : kids) {
    std::vector<std::vector<Node*>> next;
    for (const auto& prefix : out) {
      for (Node* option : options) {
        if (next.size() >= kMaxPlusMinusVariants) break;
        next.push_back(prefix);
        next.back().push_back(option);
      }
    }
    out = std::move(next);
  }
  return out;
}

Variants Expand(Node* node, NodeFactory* f) {
  if (node->n == 0) return {node};
  std::vector<Variants> kids;
  bool changed = false;
  for (uint32_t i = 0; i < node->n; ++i) {
    kids.push_back(Expand(node->kid(i), f));
    changed = changed || kids.back().size() != 1 || kids.back()[0] != node->kid(i);
  }
  if (node->op == Op::kList || node->op == Op::kSet) {
    if (!changed) return {node};
    std::vector<Node*> items;
    for (const Variants& v : kids) items.insert(items.end(), v.begin(), v.end());
    return {f->WithKids(node, items)};
  }
  if (node->op == Op::kPlusMinus) {
    Variants out;
    for (Node* a : kids[0]) {
      for (Node* b : kids[1]) {
        Node* plus = f->Make(Op::kAdd, {a, b});
        Node* minus = f->Make(Op::kAdd, {a, f->Make(Op::kNeg, {b})});
        out.push_back(node->sub == 0 ? plus : minus);
        out.push_back(node->sub == 0 ? minus : plus);
        if (out.size() >= kMaxPlusMinusVariants) return out;
      }
    }
    return out;
  }
  if (!changed) return {node};
  Variants out;
  for (const auto& combo : Combine(kids)) out.push_back(f->WithKids(node, combo));
  return out;
}

struct MatrixView {
  uint32_t rows = 0, cols = 0;
  std::vector<Node*> cells;
};

bool HasMatrix(const Node* node) { return Contains(node, Op::kMatrix); }

bool Fold(Node* node, NodeFactory* f, MatrixView* out);

bool Multiply(const MatrixView& a, const MatrixView& b, NodeFactory* f, MatrixView* out) {
  if (a.cols != b.rows) return false;
  out->rows = a.rows;
  out->cols = b.cols;
  out->cells.clear();
  for (uint32_t i = 0; i < a.rows; ++i) {
    for (uint32_t j = 0; j < b.cols; ++j) {
      std::vector<Node*> terms;
      for (uint32_t k = 0; k < a.cols; ++k) {
        terms.push_back(f->Make(Op::kMul, {a.cells[i * a.cols + k], b.cells[k * b.cols + j]}));
      }
      out->cells.push_back(terms.size() == 1 ? terms[0] : f->Make(Op::kAdd, terms));
    }
  }
  return true;
}

void Scale(MatrixView* m, Node* scalar, Op op, NodeFactory* f) {
  for (Node*& c : m->cells) c = op == Op::kDiv ? f->Make(Op::kDiv, {c, scalar}) : f->Make(Op::kMul, {scalar, c});
}

bool Fold(Node* node, NodeFactory* f, MatrixView* out) {
  switch (node->op) {
    case Op::kMatrix:
      out->rows = node->rows;
      out->cols = node->cols;
      out->cells.assign(node->kids, node->kids + node->n);
      return true;
    case Op::kNeg:
      if (!Fold(node->kid(0), f, out)) return false;
      for (Node*& c : out->cells) c = f->Make(Op::kNeg, {c});
      return true;
    case Op::kMul: {
      bool have = false;
      std::vector<Node*> scalars;
      for (uint32_t i = 0; i < node->n; ++i) {
        Node* k = node->kid(i);
        if (!HasMatrix(k)) {
          scalars.push_back(k);
          continue;
        }
        MatrixView m;
        if (!Fold(k, f, &m)) return false;
        if (!have) {
          *out = std::move(m);
          have = true;
        } else {
          MatrixView product;
          if (!Multiply(*out, m, f, &product)) return false;
          *out = std::move(product);
        }
      }
      if (!have) return false;
      for (Node* s : scalars) Scale(out, s, Op::kMul, f);
      return true;
    }
    case Op::kDiv:
      if (HasMatrix(node->kid(1)) || !Fold(node->kid(0), f, out)) return false;
      Scale(out, node->kid(1), Op::kDiv, f);
      return true;
    case Op::kAdd: {
      for (uint32_t i = 0; i < node->n; ++i) {
        MatrixView m;
        if (!Fold(node->kid(i), f, &m)) return false;
        if (i == 0) {
          *out = std::move(m);
          continue;
        }
        if (m.rows != out->rows || m.cols != out->cols) return false;
        for (size_t c = 0; c < m.cells.size(); ++c) out->cells[c] = f->Make(Op::kAdd, {out->cells[c], m.cells[c]});
      }
      return true;
    }
    case Op::kPow: {
      const Node* e = node->kid(1);
      if (e->op != Op::kNumber || e->big != nullptr || e->den != 1 || e->num < 1 || e->num > 8) return false;
      MatrixView base;
      if (!Fold(node->kid(0), f, &base)) return false;
      *out = base;
      for (int64_t i = 1; i < e->num; ++i) {
        MatrixView product;
        if (!Multiply(*out, base, f, &product)) return false;
        *out = std::move(product);
      }
      return true;
    }
    default:
      return false;
  }
}

bool HasNumber(const Node* node) {
  if (node->op == Op::kNumber || node->op == Op::kConst) return true;
  for (uint32_t i = 0; i < node->n; ++i) {
    if (HasNumber(node->kid(i))) return true;
  }
  return false;
}

}  // namespace

Node* ExpandPlusMinus(Node* node, NodeFactory* f) {
  Variants v = Expand(node, f);
  if (v.size() == 1) return v[0];
  return f->Make(Op::kList, v);
}

Node* FoldMatrix(Node* node, NodeFactory* f) {
  if (!HasMatrix(node)) return nullptr;
  MatrixView m;
  if (!Fold(node, f, &m)) return nullptr;
  return f->Matrix(m.cells, m.rows, m.cols);
}

bool IsEqChain(const Node* node) {
  if (node->op != Op::kRelation) return false;
  for (uint32_t i = 0; i + 1 < node->n; ++i) {
    if (node->rels[i] != RelOp::kEq) return false;
  }
  return true;
}

Node* EqChainValue(Node* node) { return IsEqChain(node) ? node->kid(node->n - 1) : nullptr; }

bool IsNameLike(const Node* node) {
  switch (node->op) {
    case Op::kSymbol: case Op::kApply: case Op::kText:
      return true;
    case Op::kMul: case Op::kDiv: case Op::kRatio: case Op::kTuple: case Op::kPair:
      for (uint32_t i = 0; i < node->n; ++i) {
        if (!IsNameLike(node->kid(i))) return false;
      }
      return true;
    case Op::kFunc:
      return node->sub == kAbs && !HasNumber(node);
    default:
      return false;
  }
}

}  // namespace zerorl::math
