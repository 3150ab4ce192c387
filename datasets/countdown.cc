// Countdown (TinyZero): generation of solvable problems and an exact checker.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "datasets/internal/rng.h"
#include "datasets/synthetic.h"

namespace zerorl::datasets {

namespace {

using internal::MixSeed;
using internal::Rng;

constexpr size_t kMaxExpressionChars = 1000;
constexpr int kMaxNesting = 100;
// Numerators and denominators stay below 2^62, so a product of two fits in __int128; a
// larger value is refused ("value too large") rather than risking overflow. No honest
// answer gets near it with Countdown-sized numbers.
constexpr __int128 kMaxMagnitude = static_cast<__int128>(1) << 62;

__int128 Abs(__int128 v) { return v < 0 ? -v : v; }

__int128 Gcd(__int128 a, __int128 b) {
  a = Abs(a);
  b = Abs(b);
  while (b != 0) {
    __int128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// An exact fraction num/den, den > 0, in lowest terms.
struct Rational {
  __int128 num = 0;
  __int128 den = 1;
};

std::optional<Rational> Make(__int128 num, __int128 den) {
  if (den < 0) {
    num = -num;
    den = -den;
  }
  __int128 g = Gcd(num, den);
  if (g > 1) {
    num /= g;
    den /= g;
  }
  if (Abs(num) >= kMaxMagnitude || den >= kMaxMagnitude) return std::nullopt;
  return Rational{num, den};
}

// Both operands are below kMaxMagnitude, so no product here overflows.
std::optional<Rational> Combine(const Rational& a, char op, const Rational& b) {
  switch (op) {
    case '+': return Make(a.num * b.den + b.num * a.den, a.den * b.den);
    case '-': return Make(a.num * b.den - b.num * a.den, a.den * b.den);
    case '*': return Make(a.num * b.num, a.den * b.den);
    default:
      if (b.num == 0) return std::nullopt;
      return Make(a.num * b.den, a.den * b.num);
  }
}

// Recursive descent over: expr := term (('+'|'-') term)*; term := factor (('*'|'/') factor)*;
// factor := NUMBER | '(' expr ')'.
class Evaluator {
 public:
  Evaluator(std::string_view text, std::map<int64_t, int> available)
      : text_(text), available_(std::move(available)) {}

  std::optional<Rational> Run() {
    std::optional<Rational> value = Expr(0);
    SkipSpaces();
    if (value && pos_ != text_.size()) return Fail(absl::StrCat("unexpected '", Char(), "'"));
    return value;
  }
  const std::string& error() const { return error_; }
  const std::map<int64_t, int>& available() const { return available_; }

 private:
  std::optional<Rational> Fail(std::string why) {
    if (error_.empty()) error_ = absl::StrCat(why, " at character ", pos_ + 1);
    return std::nullopt;
  }
  std::string Char() const { return pos_ < text_.size() ? std::string(1, text_[pos_]) : "end"; }
  void SkipSpaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  bool Accept(char c) {
    SkipSpaces();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  std::optional<Rational> Expr(int depth) {
    std::optional<Rational> left = Term(depth);
    while (left) {
      char op = Accept('+') ? '+' : Accept('-') ? '-' : 0;
      if (op == 0) break;
      std::optional<Rational> right = Term(depth);
      if (!right) return std::nullopt;
      left = Combine(*left, op, *right);
      if (!left) return Fail("value too large");
    }
    return left;
  }

  std::optional<Rational> Term(int depth) {
    std::optional<Rational> left = Factor(depth);
    while (left) {
      char op = Accept('*') ? '*' : Accept('/') ? '/' : 0;
      if (op == 0) break;
      std::optional<Rational> right = Factor(depth);
      if (!right) return std::nullopt;
      if (op == '/' && right->num == 0) return Fail("division by zero");
      left = Combine(*left, op, *right);
      if (!left) return Fail("value too large");
    }
    return left;
  }

  std::optional<Rational> Factor(int depth) {
    if (Accept('(')) {
      if (depth >= kMaxNesting) {
        --pos_;  // point at the '(' that is one too many
        return Fail("parentheses nested too deeply");
      }
      std::optional<Rational> inner = Expr(depth + 1);
      if (!inner) return std::nullopt;
      if (!Accept(')')) return Fail(absl::StrCat("expected ')', got '", Char(), "'"));
      return inner;
    }
    SkipSpaces();
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ == start) return Fail(absl::StrCat("expected a number or '(', got '", Char(), "'"));
    if (pos_ - start > 18) return Fail("number too long");
    int64_t n = std::stoll(std::string(text_.substr(start, pos_ - start)));
    auto it = available_.find(n);
    if (it == available_.end() || it->second == 0) {
      pos_ = start;
      return Fail(absl::StrCat(n, it == available_.end() ? " is not one of the numbers"
                                                         : " is used more times than given"));
    }
    --it->second;
    return Rational{n, 1};
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::map<int64_t, int> available_;
  std::string error_;
};

std::string Render(const Rational& r) {
  auto text = [](__int128 v) {
    std::string s;
    bool negative = v < 0;
    v = Abs(v);
    do {
      s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
      v /= 10;
    } while (v > 0);
    return negative ? "-" + s : s;
  };
  return r.den == 1 ? text(r.num) : text(r.num) + "/" + text(r.den);
}

}  // namespace

CountdownResult CountdownCheck(const std::vector<int64_t>& numbers, int64_t target,
                               std::string_view expression, const CountdownRules& rules) {
  CountdownResult result;
  if (expression.size() > kMaxExpressionChars) {
    result.reason = absl::StrCat("expression longer than ", kMaxExpressionChars, " characters");
    return result;
  }
  size_t first = expression.find_first_not_of(" \t\n");
  if (first == std::string_view::npos) {
    result.reason = "empty expression";
    return result;
  }
  size_t last = expression.find_last_not_of(" \t\n");
  std::map<int64_t, int> available;
  for (int64_t n : numbers) ++available[n];
  Evaluator evaluator(expression.substr(first, last - first + 1), available);
  std::optional<Rational> value = evaluator.Run();
  if (!value) {
    result.reason = evaluator.error();
    return result;
  }
  if (rules.use_all_numbers) {
    std::vector<std::string> unused;
    for (const auto& [n, left] : evaluator.available()) {
      for (int i = 0; i < left; ++i) unused.push_back(absl::StrCat(n));
    }
    if (!unused.empty()) {
      result.reason = "does not use " + absl::StrJoin(unused, ", ");
      return result;
    }
  }
  if (value->den == 1 && value->num == target) {
    result.verdict = CountdownVerdict::kCorrect;
    return result;
  }
  result.verdict = CountdownVerdict::kWrongValue;
  result.reason = absl::StrCat("equals ", Render(*value), ", not ", target);
  return result;
}

namespace {

struct Piece {
  int64_t value;
  std::string text;
  int precedence;  // 3 atom, 2 * /, 1 + -
};

// Combines the items pairwise at random until one is left; intermediate results stay
// non-negative integers (division only when exact), as in a hand-solved Countdown.
Piece RandomExpression(Rng& rng, const std::vector<int64_t>& numbers) {
  std::vector<Piece> items;
  for (int64_t n : numbers) items.push_back({n, absl::StrCat(n), 3});
  while (items.size() > 1) {
    size_t i = rng.Below(items.size());
    size_t j = rng.Below(items.size() - 1);
    if (j >= i) ++j;
    const Piece& a = items[i];
    const Piece& b = items[j];
    const char kOps[] = {'+', '-', '*', '/'};
    char op = kOps[rng.Below(4)];
    if (op == '-' && a.value < b.value) op = '+';
    if (op == '/' && (b.value == 0 || a.value % b.value != 0)) op = '*';
    if (op == '*' && (a.value > 1000000 || b.value > 1000000)) op = '+';
    int precedence = (op == '+' || op == '-') ? 1 : 2;
    bool paren_left = a.precedence < precedence;
    bool paren_right = b.precedence < precedence ||
                       (b.precedence == precedence && (op == '-' || op == '/'));
    Piece merged;
    merged.value = op == '+' ? a.value + b.value
                 : op == '-' ? a.value - b.value
                 : op == '*' ? a.value * b.value
                             : a.value / b.value;
    merged.text = (paren_left ? "(" + a.text + ")" : a.text) + " " + op + " " +
                  (paren_right ? "(" + b.text + ")" : b.text);
    merged.precedence = precedence;
    size_t hi = std::max(i, j), lo = std::min(i, j);
    items.erase(items.begin() + hi);
    items[lo] = std::move(merged);
  }
  return items[0];
}

}  // namespace

absl::StatusOr<std::vector<CountdownProblem>> GenerateCountdown(
    const config::CountdownConfig& config, int64_t seed, int count) {
  if (config.numbers_min < 2 || config.numbers_max > 6 ||
      config.numbers_min > config.numbers_max || config.number_min < 0 ||
      config.number_min > config.number_max || config.target_min > config.target_max) {
    return absl::InvalidArgumentError("countdown: invalid config (numbers 2..6, ranges ordered)");
  }
  Rng rng(MixSeed(static_cast<uint64_t>(seed), 0xC0DE));
  std::set<std::pair<std::vector<int64_t>, int64_t>> seen;
  std::vector<CountdownProblem> out;
  const int64_t max_attempts = 500 * static_cast<int64_t>(count) + 100000;
  for (int64_t attempt = 0; attempt < max_attempts && static_cast<int>(out.size()) < count;
       ++attempt) {
    int n = static_cast<int>(rng.Range(config.numbers_min, config.numbers_max));
    std::vector<int64_t> numbers;
    for (int i = 0; i < n; ++i) numbers.push_back(rng.Range(config.number_min, config.number_max));
    Piece expression = RandomExpression(rng, numbers);
    int64_t target = expression.value;
    if (target < config.target_min || target > config.target_max) continue;
    if (std::find(numbers.begin(), numbers.end(), target) != numbers.end()) continue;
    std::vector<int64_t> key = numbers;
    std::sort(key.begin(), key.end());
    if (!seen.insert({key, target}).second) continue;
    out.push_back({CountdownTask{numbers, target}, expression.text});
  }
  if (static_cast<int>(out.size()) < count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "countdown: found only ", out.size(), " distinct problems of the ", count,
        " asked for with targets in [", config.target_min, ", ", config.target_max,
        "]; widen the target or number ranges, or lower count"));
  }
  return out;
}

std::string CountdownPrompt(const CountdownTask& task) {
  return absl::StrCat("Using the numbers [", absl::StrJoin(task.numbers, ", "),
                      "], create an expression that equals ", task.target,
                      ". You can use +, -, * and /, and each number at most once.");
}

}  // namespace zerorl::datasets
