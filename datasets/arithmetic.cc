// Two-operand arithmetic problems and their column-method working.
#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "datasets/internal/rng.h"
#include "datasets/synthetic.h"

namespace zerorl::datasets {

namespace {

using internal::MixSeed;
using internal::Rng;

// Decimal digits, least significant first; {0} for 0.
std::vector<int> Digits(int64_t n) {
  std::vector<int> d;
  do {
    d.push_back(static_cast<int>(n % 10));
    n /= 10;
  } while (n > 0);
  return d;
}

int64_t Pow10(int n) {
  int64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

std::string ColumnName(size_t i) {
  static const char* kNames[] = {"ones", "tens", "hundreds", "thousands", "ten-thousands",
                                 "hundred-thousands", "millions", "ten-millions",
                                 "hundred-millions"};
  if (i < sizeof(kNames) / sizeof(kNames[0])) return kNames[i];
  return absl::StrCat("10^", i);
}

int AdditionCarries(int64_t a, int64_t b) {
  std::vector<int> x = Digits(a), y = Digits(b);
  int carry = 0, carries = 0;
  for (size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
    int sum = (i < x.size() ? x[i] : 0) + (i < y.size() ? y[i] : 0) + carry;
    carry = sum >= 10 ? 1 : 0;
    carries += carry;
  }
  return carries;
}

int SubtractionBorrows(int64_t a, int64_t b) {
  if (a < b) std::swap(a, b);
  std::vector<int> x = Digits(a), y = Digits(b);
  int borrow = 0, borrows = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    int top = x[i] - borrow;
    borrow = top < (i < y.size() ? y[i] : 0) ? 1 : 0;
    borrows += borrow;
  }
  return borrows;
}

// Digits of `a` drawn at random with `digits` digits (no leading zero unless 1 digit);
// `max_digit` caps every digit (small digits keep products carry-free).
int64_t DrawNumber(Rng& rng, int digits, int max_digit) {
  int64_t n = 0;
  for (int i = 0; i < digits; ++i) {
    int lo = (i == 0 && digits > 1) ? 1 : 0;
    n = n * 10 + rng.Range(lo, std::max(lo, max_digit));
  }
  return n;
}

int64_t Apply(int64_t a, char op, int64_t b) {
  if (op == '+') return a + b;
  if (op == '-') return a - b;
  return a * b;
}

}  // namespace

int CountCarries(int64_t a, char op, int64_t b) {
  if (op == '+') return AdditionCarries(a, b);
  if (op == '-') return SubtractionBorrows(a, b);
  // Long multiplication: each partial product a * d, then their sum, column by column.
  std::vector<int> x = Digits(a), y = Digits(b);
  int carries = 0;
  int64_t running = 0;
  for (size_t j = 0; j < y.size(); ++j) {
    int carry = 0;
    for (int xi : x) {
      int p = xi * y[j] + carry;
      carry = p / 10;
      carries += carry > 0 ? 1 : 0;
    }
    int64_t partial = a * y[j] * Pow10(static_cast<int>(j));
    carries += AdditionCarries(running, partial);
    running += partial;
  }
  return carries;
}

absl::StatusOr<std::vector<ArithmeticProblem>> GenerateArithmetic(
    const config::ArithmeticConfig& config, int64_t seed, int count) {
  if (config.operators.empty() || config.digits_min < 1 || config.digits_max > 9 ||
      config.digits_min > config.digits_max || count < 0) {
    return absl::InvalidArgumentError("arithmetic: invalid config (operators, digits 1..9)");
  }
  for (const std::string& op : config.operators) {
    if (op != "+" && op != "-" && op != "*") {
      return absl::InvalidArgumentError("arithmetic: unknown operator \"" + op +
                                        "\"; each must be one of + - *");
    }
  }
  Rng rng(MixSeed(static_cast<uint64_t>(seed), 0xA417));
  std::set<std::tuple<int64_t, char, int64_t>> seen;
  std::vector<ArithmeticProblem> out;
  const int64_t max_attempts = 200 * static_cast<int64_t>(count) + 100000;
  for (int64_t attempt = 0; attempt < max_attempts && static_cast<int>(out.size()) < count;
       ++attempt) {
    ArithmeticProblem p;
    p.op = config.operators[rng.Below(config.operators.size())][0];
    // Carry-free products need small digits; uniform digits almost never give one.
    int max_digit = (p.op == '*' && config.carries == config::CarryMode::kForbid) ? 3 : 9;
    p.a = DrawNumber(rng, static_cast<int>(rng.Range(config.digits_min, config.digits_max)),
                     max_digit);
    p.b = DrawNumber(rng, static_cast<int>(rng.Range(config.digits_min, config.digits_max)),
                     max_digit);
    if (p.op == '-' && !config.allow_negative && p.a < p.b) std::swap(p.a, p.b);
    int carries = CountCarries(p.a, p.op, p.b);
    if (config.carries == config::CarryMode::kForce && carries == 0) continue;
    if (config.carries == config::CarryMode::kForbid && carries > 0) continue;
    if (!seen.insert({p.a, p.op, p.b}).second) continue;
    p.result = Apply(p.a, p.op, p.b);
    out.push_back(p);
  }
  if (static_cast<int>(out.size()) < count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "arithmetic: found only ", out.size(), " distinct problems of the ", count,
        " asked for (digits ", config.digits_min, "..", config.digits_max,
        "); widen the digits, allow more operators or carries, or lower count"));
  }
  return out;
}

std::string ArithmeticPrompt(const ArithmeticProblem& p) {
  return absl::StrCat("What is ", p.a, " ", std::string(1, p.op), " ", p.b, "?");
}

namespace {

std::string AdditionWorking(int64_t a, int64_t b) {
  std::vector<int> x = Digits(a), y = Digits(b);
  std::string out = "Add column by column, starting from the ones.\n";
  int carry = 0;
  for (size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
    std::vector<std::string> terms;
    if (i < x.size()) terms.push_back(absl::StrCat(x[i]));
    if (i < y.size()) terms.push_back(absl::StrCat(y[i]));
    if (carry > 0) terms.push_back(absl::StrCat(carry, " (carried)"));
    int sum = (i < x.size() ? x[i] : 0) + (i < y.size() ? y[i] : 0) + carry;
    std::string expr;
    for (const std::string& t : terms) expr += (expr.empty() ? "" : " + ") + t;
    absl::StrAppend(&out, ColumnName(i), ": ", expr, " = ", sum, ", write ", sum % 10);
    carry = sum / 10;
    absl::StrAppend(&out, carry > 0 ? absl::StrCat(", carry ", carry, ".\n") : ".\n");
  }
  if (carry > 0) {
    absl::StrAppend(&out, ColumnName(std::max(x.size(), y.size())), ": write the carried ",
                    carry, ".\n");
  }
  return out;
}

// x >= y.
std::string SubtractionWorking(int64_t x, int64_t y) {
  std::vector<int> xd = Digits(x), yd = Digits(y);
  std::string out = "Subtract column by column, starting from the ones.\n";
  int borrow = 0;
  for (size_t i = 0; i < xd.size(); ++i) {
    int bottom = i < yd.size() ? yd[i] : 0;
    int top = xd[i] - borrow;
    std::string line = ColumnName(i) + ": ";
    if (borrow > 0) absl::StrAppend(&line, xd[i], " - 1 (borrowed) = ", top, "; ");
    if (top < bottom) {
      absl::StrAppend(&line, top, " < ", bottom, ", so borrow 1: ", top + 10, " - ", bottom,
                      " = ", top + 10 - bottom, ".\n");
      borrow = 1;
    } else {
      absl::StrAppend(&line, top, " - ", bottom, " = ", top - bottom, ".\n");
      borrow = 0;
    }
    out += line;
  }
  return out;
}

std::string MultiplicationWorking(int64_t a, int64_t b) {
  std::vector<int> x = Digits(a), y = Digits(b);
  std::string out = absl::StrCat("Multiply ", a, " by each digit of ", b,
                                 ", starting from the ones.\n");
  std::vector<int64_t> partials;
  for (size_t j = 0; j < y.size(); ++j) {
    int d = y[j];
    absl::StrAppend(&out, a, " * ", d, ":");
    int carry = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      int p = x[i] * d + carry;
      absl::StrAppend(&out, i == 0 ? " " : "; ", x[i], " * ", d,
                      carry > 0 ? absl::StrCat(" + ", carry) : "", " = ", p);
      carry = p / 10;
    }
    int64_t partial = a * d;
    absl::StrAppend(&out, "; so ", a, " * ", d, " = ", partial);
    if (j > 0) {
      absl::StrAppend(&out, ", shifted ", j, j == 1 ? " place: " : " places: ",
                      partial * Pow10(static_cast<int>(j)));
    }
    out += ".\n";
    partials.push_back(partial * Pow10(static_cast<int>(j)));
  }
  if (partials.size() > 1) {
    std::string sum;
    for (int64_t p : partials) sum += (sum.empty() ? "" : " + ") + absl::StrCat(p);
    absl::StrAppend(&out, "Add the partial products: ", sum, " = ", a * b, ".\n");
  }
  return out;
}

}  // namespace

std::string ArithmeticWorkedSolution(const ArithmeticProblem& p) {
  std::string out;
  if (p.op == '+') {
    out = AdditionWorking(p.a, p.b);
  } else if (p.op == '-') {
    if (p.a < p.b) {
      out = absl::StrCat("Since ", p.a, " < ", p.b, ", compute ", p.b, " - ", p.a,
                         " and make it negative.\n");
    }
    out += SubtractionWorking(std::max(p.a, p.b), std::min(p.a, p.b));
  } else {
    out = MultiplicationWorking(p.a, p.b);
  }
  absl::StrAppend(&out, "So ", p.a, " ", std::string(1, p.op), " ", p.b, " = ", p.result, ".");
  return out;
}

namespace {

// "7+5=12" per column (the carry in as "+1"), ones first.
std::string CompactAddition(int64_t a, int64_t b) {
  std::vector<int> x = Digits(a), y = Digits(b);
  std::string out;
  int carry = 0;
  for (size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
    int dx = i < x.size() ? x[i] : 0, dy = i < y.size() ? y[i] : 0;
    int sum = dx + dy + carry;
    absl::StrAppend(&out, dx, "+", dy, carry > 0 ? "+1" : "", "=", sum, "\n");
    carry = sum / 10;
  }
  return out;
}

// x >= y. "13-8=5 b" when the column borrows (the top digit, less the previous borrow, plus
// ten), "6-2=4" when not.
std::string CompactSubtraction(int64_t x, int64_t y) {
  std::vector<int> xd = Digits(x), yd = Digits(y);
  std::string out;
  int borrow = 0;
  for (size_t i = 0; i < xd.size(); ++i) {
    int top = xd[i] - borrow, bottom = i < yd.size() ? yd[i] : 0;
    borrow = top < bottom ? 1 : 0;
    absl::StrAppend(&out, top + 10 * borrow, "-", bottom, "=", top + 10 * borrow - bottom,
                    borrow ? " b\n" : "\n");
  }
  return out;
}

// One partial product per digit of b, shifted, then their sum.
std::string CompactMultiplication(int64_t a, int64_t b) {
  std::vector<int> y = Digits(b);
  std::string out, sum;
  for (size_t j = 0; j < y.size(); ++j) {
    int64_t partial = a * y[j] * Pow10(static_cast<int>(j));
    absl::StrAppend(&out, a, "*", y[j], j > 0 ? absl::StrCat("0", std::string(j - 1, '0')) : "",
                    "=", partial, "\n");
    sum += (sum.empty() ? "" : "+") + absl::StrCat(partial);
  }
  if (y.size() > 1) absl::StrAppend(&out, sum, "=", a * b, "\n");
  return out;
}

}  // namespace

std::string ArithmeticCompactSolution(const ArithmeticProblem& p) {
  std::string out;
  if (p.op == '+') {
    out = CompactAddition(p.a, p.b);
  } else if (p.op == '-') {
    if (p.a < p.b) out = absl::StrCat(p.b, "-", p.a, " then negate\n");
    out += CompactSubtraction(std::max(p.a, p.b), std::min(p.a, p.b));
  } else {
    out = CompactMultiplication(p.a, p.b);
  }
  absl::StrAppend(&out, p.result);
  return out;
}

}  // namespace zerorl::datasets
