#include "verifiers/math/internal/realset.h"

#include <algorithm>
#include <cmath>

#include "verifiers/math/internal/rewrite.h"

namespace zerorl::math {
namespace {

Value Inf(int sign) { return Value::Approx(Complex(sign * HUGE_VALL, 0)); }

bool IsInf(const Value& v) { return v.kind == Value::Kind::kApprox && std::isinf(v.approx.real()); }

// -1, 0, 1; both values are real.
int Cmp(const Value& a, const Value& b) {
  if (a.is_exact() && b.is_exact()) return Compare(a.exact, b.exact);
  long double x = a.Real(), y = b.Real();
  return (x > y) - (x < y);
}

bool RealValue(const Node* node, EvalContext* ctx, Value* out) {
  *out = Evaluate(node, ctx);
  return out->defined() && out->IsReal();
}

RealPiece Piece(Value lo, bool lo_closed, Value hi, bool hi_closed) {
  RealPiece p;
  p.lo = std::move(lo);
  p.hi = std::move(hi);
  p.lo_closed = lo_closed && !IsInf(p.lo);
  p.hi_closed = hi_closed && !IsInf(p.hi);
  return p;
}

bool Empty(const RealPiece& p) {
  int c = Cmp(p.lo, p.hi);
  return c > 0 || (c == 0 && !(p.lo_closed && p.hi_closed));
}

void Normalize(RealSet* s) {
  auto& v = s->pieces;
  v.erase(std::remove_if(v.begin(), v.end(), Empty), v.end());
  std::sort(v.begin(), v.end(), [](const RealPiece& a, const RealPiece& b) {
    int c = Cmp(a.lo, b.lo);
    return c != 0 ? c < 0 : (a.lo_closed && !b.lo_closed);
  });
  std::vector<RealPiece> merged;
  for (RealPiece& p : v) {
    if (!merged.empty()) {
      RealPiece& last = merged.back();
      int c = Cmp(p.lo, last.hi);
      if (c < 0 || (c == 0 && (last.hi_closed || p.lo_closed))) {
        int h = Cmp(p.hi, last.hi);
        if (h > 0) {
          last.hi = p.hi;
          last.hi_closed = p.hi_closed;
        } else if (h == 0) {
          last.hi_closed = last.hi_closed || p.hi_closed;
        }
        continue;
      }
    }
    merged.push_back(std::move(p));
  }
  v = std::move(merged);
}

RealSet Intersect(const RealSet& a, const RealSet& b) {
  RealSet out;
  for (const RealPiece& p : a.pieces) {
    for (const RealPiece& q : b.pieces) {
      int lo = Cmp(p.lo, q.lo), hi = Cmp(p.hi, q.hi);
      RealPiece r = Piece(lo > 0 ? p.lo : q.lo,
                          lo > 0 ? p.lo_closed : lo < 0 ? q.lo_closed : (p.lo_closed && q.lo_closed),
                          hi < 0 ? p.hi : q.hi,
                          hi < 0 ? p.hi_closed : hi > 0 ? q.hi_closed : (p.hi_closed && q.hi_closed));
      if (!Empty(r)) out.pieces.push_back(std::move(r));
    }
  }
  Normalize(&out);
  return out;
}

RealSet Complement(const RealSet& a) {
  RealSet out;
  Value lo = Inf(-1);
  bool lo_closed = false;
  for (const RealPiece& p : a.pieces) {
    out.pieces.push_back(Piece(lo, lo_closed, p.lo, !p.lo_closed));
    lo = p.hi;
    lo_closed = !p.hi_closed;
  }
  out.pieces.push_back(Piece(lo, lo_closed, Inf(1), false));
  Normalize(&out);
  return out;
}

bool PointSet(const Node* node, EvalContext* ctx, RealSet* out) {
  Value v;
  if (!RealValue(node, ctx, &v) || IsInf(v)) return false;
  out->pieces.push_back(Piece(v, true, v, true));
  return true;
}

// X in `target`, X = c * v + d: the set of v (one symbol v), or X = |Y|, or -Y.
bool Preimage(const Node* x, const RealSet& target, EvalContext* ctx, RealSet* out) {
  if (x->op == Op::kSymbol || x->op == Op::kApply || x->op == Op::kText) {
    *out = target;
    return true;
  }
  if (x->op == Op::kFunc && x->sub == kAbs) {
    RealSet nonneg;
    nonneg.pieces.push_back(Piece(Value::Exact(Rational(0)), true, Inf(1), false));
    RealSet pos = Intersect(target, nonneg), both = pos;
    for (const RealPiece& p : pos.pieces) {
      both.pieces.push_back(Piece(Neg(p.hi), p.hi_closed, Neg(p.lo), p.lo_closed));
    }
    Normalize(&both);
    return Preimage(x->kid(0), both, ctx, out);
  }
  std::vector<std::string_view> symbols;
  CollectSymbols(x, &symbols);
  if (symbols.size() != 1 || Contains(x, Op::kApply)) return false;
  auto at = [&](int64_t t) {
    ctx->vars.emplace_back(symbols[0], Value::Exact(Rational(t)));
    Value v = Evaluate(x, ctx);
    ctx->vars.pop_back();
    return v;
  };
  Value d = at(0), c = Sub(at(1), d), check = Sub(at(5), d);
  if (!d.IsReal() || !c.IsReal() || !ValuesEqual(check, Mul(c, Value::Exact(Rational(5))), 12)) return false;
  if (c.is_exact() ? c.exact.IsZero() : std::fabs(c.Real()) < 1e-15L) return false;
  bool negative = c.Real() < 0;
  RealSet mapped;
  for (const RealPiece& p : target.pieces) {
    Value lo = IsInf(p.lo) ? Inf(negative ? 1 : -1) : Div(Sub(p.lo, d), c);
    Value hi = IsInf(p.hi) ? Inf(negative ? -1 : 1) : Div(Sub(p.hi, d), c);
    mapped.pieces.push_back(negative ? Piece(hi, p.hi_closed, lo, p.lo_closed)
                                     : Piece(lo, p.lo_closed, hi, p.hi_closed));
  }
  Normalize(&mapped);
  *out = std::move(mapped);
  return true;
}

bool HasSymbols(const Node* node) {
  std::vector<std::string_view> s;
  CollectSymbols(node, &s);
  return !s.empty();
}

// The set {t : t op value} for one relation with the variable on the left.
bool HalfSet(RelOp op, const Value& a, RealSet* out) {
  switch (op) {
    case RelOp::kLt: out->pieces.push_back(Piece(Inf(-1), false, a, false)); return true;
    case RelOp::kLe: out->pieces.push_back(Piece(Inf(-1), false, a, true)); return true;
    case RelOp::kGt: out->pieces.push_back(Piece(a, false, Inf(1), false)); return true;
    case RelOp::kGe: out->pieces.push_back(Piece(a, true, Inf(1), false)); return true;
    case RelOp::kEq: out->pieces.push_back(Piece(a, true, a, true)); return true;
    case RelOp::kNe:
      out->pieces.push_back(Piece(Inf(-1), false, a, false));
      out->pieces.push_back(Piece(a, false, Inf(1), false));
      return true;
    default: return false;
  }
}

}  // namespace

bool ToRealSet(const Node* node, EvalContext* ctx, RealSet* out) {
  out->pieces.clear();
  switch (node->op) {
    case Op::kInterval: case Op::kPair: {
      Value lo, hi;
      if (!RealValue(node->kid(0), ctx, &lo) || !RealValue(node->kid(1), ctx, &hi)) return false;
      bool pair = node->op == Op::kPair;
      if (pair && Cmp(lo, hi) >= 0) return false;  // (11, 7) is a point, not an interval
      out->pieces.push_back(Piece(lo, !pair && !(node->sub & kLeftOpen), hi, !pair && !(node->sub & kRightOpen)));
      break;
    }
    case Op::kSet: case Op::kList:
      for (uint32_t i = 0; i < node->n; ++i) {
        RealSet part;
        const Node* k = node->kid(i);
        if (IsSetLike(k) ? !ToRealSet(k, ctx, &part) : !PointSet(k, ctx, &part)) return false;
        out->pieces.insert(out->pieces.end(), part.pieces.begin(), part.pieces.end());
      }
      break;
    case Op::kNamedSet:
      if (node->sub == kReals) out->pieces.push_back(Piece(Inf(-1), false, Inf(1), false));
      else if (node->sub != kEmptySet) return false;
      break;
    case Op::kSetOp: {
      RealSet a, b;
      for (int i = 0; i < 2; ++i) {
        const Node* k = node->kid(i);
        RealSet& s = i == 0 ? a : b;
        if (IsSetLike(k) ? !ToRealSet(k, ctx, &s) : !PointSet(k, ctx, &s)) return false;
      }
      if (node->sub == kUnion) {
        *out = a;
        out->pieces.insert(out->pieces.end(), b.pieces.begin(), b.pieces.end());
      } else if (node->sub == kIntersection) {
        *out = Intersect(a, b);
      } else {
        *out = Intersect(a, Complement(b));
      }
      break;
    }
    default:
      if ((node->flags & kFlagSetBraces) && IsScalarOp(node->op)) return PointSet(node, ctx, out);
      return false;
  }
  Normalize(out);
  return true;
}

bool SolveRelation(const Node* rel, EvalContext* ctx, RealSet* out) {
  if (rel->op != Op::kRelation || rel->n < 2 || rel->n > 3) return false;
  RealSet target;
  const Node* x = nullptr;
  if (rel->n == 2) {
    bool left = HasSymbols(rel->kid(0)), right = HasSymbols(rel->kid(1));
    if (left == right) return false;
    RelOp op = left ? rel->rels[0] : FlipRel(rel->rels[0]);
    x = left ? rel->kid(0) : rel->kid(1);
    Value a;
    if (!RealValue(left ? rel->kid(1) : rel->kid(0), ctx, &a) || !HalfSet(op, a, &target)) return false;
  } else {
    RelOp r0 = rel->rels[0], r1 = rel->rels[1];
    if (!IsRelational(r0) || !IsRelational(r1)) return false;
    bool up0 = r0 == RelOp::kLt || r0 == RelOp::kLe, up1 = r1 == RelOp::kLt || r1 == RelOp::kLe;
    if (up0 != up1 || HasSymbols(rel->kid(0)) || HasSymbols(rel->kid(2))) return false;
    x = rel->kid(1);
    Value a, b;
    if (!RealValue(rel->kid(0), ctx, &a) || !RealValue(rel->kid(2), ctx, &b)) return false;
    if (up0) {
      target.pieces.push_back(Piece(a, r0 == RelOp::kLe, b, r1 == RelOp::kLe));
    } else {
      target.pieces.push_back(Piece(b, r1 == RelOp::kGe, a, r0 == RelOp::kGe));
    }
  }
  Normalize(&target);
  return Preimage(x, target, ctx, out);
}

bool RealSetsEqual(const RealSet& a, const RealSet& b, int float_rounding) {
  if (a.pieces.size() != b.pieces.size()) return false;
  auto same = [&](const Value& x, const Value& y) {
    if (IsInf(x) || IsInf(y)) return IsInf(x) && IsInf(y) && (x.Real() > 0) == (y.Real() > 0);
    return ValuesEqual(x, y, float_rounding);
  };
  for (size_t i = 0; i < a.pieces.size(); ++i) {
    const RealPiece& p = a.pieces[i];
    const RealPiece& q = b.pieces[i];
    if (!same(p.lo, q.lo) || !same(p.hi, q.hi)) return false;
    if (p.lo_closed != q.lo_closed || p.hi_closed != q.hi_closed) return false;
  }
  return true;
}

}  // namespace zerorl::math
