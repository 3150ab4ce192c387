#include "verifiers/math/internal/tables.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "verifiers/math/internal/ast.h"
#include "verifiers/math/internal/lexer.h"

namespace zerorl::math {
namespace {

constexpr uint8_t T(Tok t) { return static_cast<uint8_t>(t); }
constexpr uint8_t R(RelOp r) { return static_cast<uint8_t>(r); }

// Accent prefixes (CmdKind::kAccent sub indexes this).
constexpr std::string_view kAccents[] = {"bar", "hat", "vec", "tilde", "dot", "ddot", "underline",
                                         "check", "breve", "acute", "grave", "ring"};

constexpr CommandInfo kCommands[] = {
    // Functions.
    {"sin", CmdKind::kFunc, kSin}, {"cos", CmdKind::kFunc, kCos}, {"tan", CmdKind::kFunc, kTan},
    {"cot", CmdKind::kFunc, kCot}, {"sec", CmdKind::kFunc, kSec}, {"csc", CmdKind::kFunc, kCsc},
    {"arcsin", CmdKind::kFunc, kAsin}, {"arccos", CmdKind::kFunc, kAcos},
    {"arctan", CmdKind::kFunc, kAtan}, {"arccot", CmdKind::kFunc, kAcot},
    {"arcsec", CmdKind::kFunc, kAsec}, {"arccsc", CmdKind::kFunc, kAcsc},
    {"asin", CmdKind::kFunc, kAsin}, {"acos", CmdKind::kFunc, kAcos}, {"atan", CmdKind::kFunc, kAtan},
    {"sinh", CmdKind::kFunc, kSinh}, {"cosh", CmdKind::kFunc, kCosh}, {"tanh", CmdKind::kFunc, kTanh},
    {"coth", CmdKind::kFunc, kCoth}, {"sech", CmdKind::kFunc, kSech}, {"csch", CmdKind::kFunc, kCsch},
    {"arsinh", CmdKind::kFunc, kAsinh}, {"arcsinh", CmdKind::kFunc, kAsinh},
    {"asinh", CmdKind::kFunc, kAsinh}, {"arcosh", CmdKind::kFunc, kAcosh},
    {"arccosh", CmdKind::kFunc, kAcosh}, {"acosh", CmdKind::kFunc, kAcosh},
    {"artanh", CmdKind::kFunc, kAtanh}, {"arctanh", CmdKind::kFunc, kAtanh},
    {"atanh", CmdKind::kFunc, kAtanh}, {"arcoth", CmdKind::kFunc, kAcoth},
    {"arccoth", CmdKind::kFunc, kAcoth},
    {"exp", CmdKind::kFunc, kExp}, {"ln", CmdKind::kFunc, kLn}, {"log", CmdKind::kFunc, kLog},
    {"lg", CmdKind::kFunc, kLog}, {"gcd", CmdKind::kFunc, kGcd}, {"lcm", CmdKind::kFunc, kLcm},
    {"max", CmdKind::kFunc, kMax}, {"min", CmdKind::kFunc, kMin}, {"floor", CmdKind::kFunc, kFloor},
    {"ceil", CmdKind::kFunc, kCeil}, {"abs", CmdKind::kFunc, kAbs}, {"Re", CmdKind::kFunc, kRe},
    {"Im", CmdKind::kFunc, kIm}, {"arg", CmdKind::kFunc, kArg}, {"sgn", CmdKind::kFunc, kSign},
    // Greek letters and other symbols.
    {"alpha", CmdKind::kSymbol, 0}, {"beta", CmdKind::kSymbol, 0}, {"gamma", CmdKind::kSymbol, 0},
    {"delta", CmdKind::kSymbol, 0}, {"epsilon", CmdKind::kSymbol, 0},
    {"varepsilon", CmdKind::kSymbol, 0}, {"zeta", CmdKind::kSymbol, 0}, {"eta", CmdKind::kSymbol, 0},
    {"theta", CmdKind::kSymbol, 0}, {"vartheta", CmdKind::kSymbol, 0}, {"iota", CmdKind::kSymbol, 0},
    {"kappa", CmdKind::kSymbol, 0}, {"lambda", CmdKind::kSymbol, 0}, {"mu", CmdKind::kSymbol, 0},
    {"nu", CmdKind::kSymbol, 0}, {"xi", CmdKind::kSymbol, 0}, {"omicron", CmdKind::kSymbol, 0},
    {"rho", CmdKind::kSymbol, 0}, {"varrho", CmdKind::kSymbol, 0}, {"sigma", CmdKind::kSymbol, 0},
    {"varsigma", CmdKind::kSymbol, 0}, {"tau", CmdKind::kSymbol, 0}, {"upsilon", CmdKind::kSymbol, 0},
    {"phi", CmdKind::kSymbol, 0}, {"varphi", CmdKind::kSymbol, 0}, {"chi", CmdKind::kSymbol, 0},
    {"psi", CmdKind::kSymbol, 0}, {"omega", CmdKind::kSymbol, 0}, {"Gamma", CmdKind::kSymbol, 0},
    {"Delta", CmdKind::kSymbol, 0}, {"Theta", CmdKind::kSymbol, 0}, {"Lambda", CmdKind::kSymbol, 0},
    {"Xi", CmdKind::kSymbol, 0}, {"Pi", CmdKind::kSymbol, 0}, {"Sigma", CmdKind::kSymbol, 0},
    {"Upsilon", CmdKind::kSymbol, 0}, {"Phi", CmdKind::kSymbol, 0}, {"Psi", CmdKind::kSymbol, 0},
    {"Omega", CmdKind::kSymbol, 0}, {"ell", CmdKind::kSymbol, 0}, {"hbar", CmdKind::kSymbol, 0},
    {"angle", CmdKind::kSymbol, 0}, {"triangle", CmdKind::kSymbol, 0},
    {"aleph", CmdKind::kSymbol, 0}, {"varpi", CmdKind::kSymbol, 0}, {"partial", CmdKind::kSymbol, 0},
    // Constants.
    {"pi", CmdKind::kConst, kPi}, {"infty", CmdKind::kConst, kInfinity},
    {"exponentialE", CmdKind::kConst, kE}, {"imath", CmdKind::kConst, kI},
    // Structures.
    {"frac", CmdKind::kFrac, 0}, {"dfrac", CmdKind::kFrac, 0}, {"tfrac", CmdKind::kFrac, 0},
    {"cfrac", CmdKind::kFrac, 0}, {"sqrt", CmdKind::kSqrt, 0}, {"binom", CmdKind::kBinom, 0},
    {"dbinom", CmdKind::kBinom, 0}, {"tbinom", CmdKind::kBinom, 0}, {"choose", CmdKind::kChoose, 0},
    {"boxed", CmdKind::kBoxed, 0}, {"fbox", CmdKind::kBoxed, 0}, {"framebox", CmdKind::kBoxed, 0},
    {"begin", CmdKind::kBegin, 0}, {"end", CmdKind::kEnd, 0},
    {"emptyset", CmdKind::kEmptySet, 0}, {"varnothing", CmdKind::kEmptySet, 0},
    {"pmod", CmdKind::kPmod, 0}, {"not", CmdKind::kNot, 0},
    // Words and fonts.
    {"text", CmdKind::kText, 0}, {"textbf", CmdKind::kText, 0}, {"textit", CmdKind::kText, 0},
    {"textrm", CmdKind::kText, 0}, {"textnormal", CmdKind::kText, 0}, {"textsf", CmdKind::kText, 0},
    {"texttt", CmdKind::kText, 0}, {"textup", CmdKind::kText, 0}, {"mbox", CmdKind::kText, 0},
    {"hbox", CmdKind::kText, 0}, {"emph", CmdKind::kText, 0},
    {"mathrm", CmdKind::kFont, 0}, {"mathbf", CmdKind::kFont, 0}, {"mathit", CmdKind::kFont, 0},
    {"mathsf", CmdKind::kFont, 0}, {"mathtt", CmdKind::kFont, 0}, {"mathcal", CmdKind::kFont, 0},
    {"mathscr", CmdKind::kFont, 0}, {"mathfrak", CmdKind::kFont, 0},
    {"boldsymbol", CmdKind::kFont, 0}, {"bm", CmdKind::kFont, 0}, {"mathnormal", CmdKind::kFont, 0},
    {"pmb", CmdKind::kFont, 0}, {"mathbb", CmdKind::kMathbb, 0},
    {"operatorname", CmdKind::kOperatorName, 0}, {"variable", CmdKind::kVariable, 0},
    {"overline", CmdKind::kAccent, 0}, {"bar", CmdKind::kAccent, 0}, {"hat", CmdKind::kAccent, 1},
    {"widehat", CmdKind::kAccent, 1}, {"vec", CmdKind::kAccent, 2},
    {"overrightarrow", CmdKind::kAccent, 2}, {"tilde", CmdKind::kAccent, 3},
    {"widetilde", CmdKind::kAccent, 3}, {"dot", CmdKind::kAccent, 4}, {"ddot", CmdKind::kAccent, 5},
    {"underline", CmdKind::kAccent, 6}, {"check", CmdKind::kAccent, 7},
    {"breve", CmdKind::kAccent, 8}, {"acute", CmdKind::kAccent, 9}, {"grave", CmdKind::kAccent, 10},
    {"mathring", CmdKind::kAccent, 11},
    // Ignored.
    {"quad", CmdKind::kSpace, 0}, {"qquad", CmdKind::kSpace, 0}, {"displaystyle", CmdKind::kSpace, 0},
    {"textstyle", CmdKind::kSpace, 0}, {"scriptstyle", CmdKind::kSpace, 0},
    {"enspace", CmdKind::kSpace, 0}, {"thinspace", CmdKind::kSpace, 0},
    {"medspace", CmdKind::kSpace, 0}, {"thickspace", CmdKind::kSpace, 0},
    {"negthinspace", CmdKind::kSpace, 0}, {"limits", CmdKind::kSpace, 0},
    {"nolimits", CmdKind::kSpace, 0}, {"nonumber", CmdKind::kSpace, 0}, {"notag", CmdKind::kSpace, 0},
    {"relax", CmdKind::kSpace, 0}, {"mathstrut", CmdKind::kSpace, 0}, {"strut", CmdKind::kSpace, 0},
    {"hfill", CmdKind::kSpace, 0}, {"allowbreak", CmdKind::kSpace, 0}, {"centering", CmdKind::kSpace, 0},
    {"left", CmdKind::kSizing, 0}, {"right", CmdKind::kSizing, 0}, {"mleft", CmdKind::kSizing, 0},
    {"mright", CmdKind::kSizing, 0}, {"middle", CmdKind::kSizing, 0}, {"big", CmdKind::kSizing, 0},
    {"Big", CmdKind::kSizing, 0}, {"bigg", CmdKind::kSizing, 0}, {"Bigg", CmdKind::kSizing, 0},
    {"bigl", CmdKind::kSizing, 0}, {"bigr", CmdKind::kSizing, 0}, {"Bigl", CmdKind::kSizing, 0},
    {"Bigr", CmdKind::kSizing, 0}, {"biggl", CmdKind::kSizing, 0}, {"biggr", CmdKind::kSizing, 0},
    {"Biggl", CmdKind::kSizing, 0}, {"Biggr", CmdKind::kSizing, 0},
    {"hspace", CmdKind::kSkipGroup, 0}, {"vspace", CmdKind::kSkipGroup, 0},
    {"label", CmdKind::kSkipGroup, 0}, {"tag", CmdKind::kSkipGroup, 0},
    {"phantom", CmdKind::kSkipGroup, 0}, {"hphantom", CmdKind::kSkipGroup, 0},
    {"vphantom", CmdKind::kSkipGroup, 0}, {"color", CmdKind::kSkipGroup, 0},
    {"textcolor", CmdKind::kSkipGroup, 0},
    // Operators that become plain tokens.
    {"cdot", CmdKind::kToken, T(Tok::kTimes)}, {"times", CmdKind::kToken, T(Tok::kTimes)},
    {"ast", CmdKind::kToken, T(Tok::kTimes)}, {"cdotp", CmdKind::kToken, T(Tok::kTimes)},
    {"div", CmdKind::kToken, T(Tok::kDivide)}, {"pm", CmdKind::kToken, T(Tok::kPlusMinus)},
    {"mp", CmdKind::kToken, T(Tok::kMinusPlus)}, {"mod", CmdKind::kToken, T(Tok::kMod)},
    {"bmod", CmdKind::kToken, T(Tok::kMod)}, {"circ", CmdKind::kToken, T(Tok::kDegree)},
    {"degree", CmdKind::kToken, T(Tok::kDegree)}, {"to", CmdKind::kToken, T(Tok::kArrow)},
    {"rightarrow", CmdKind::kToken, T(Tok::kArrow)}, {"Rightarrow", CmdKind::kToken, T(Tok::kArrow)},
    {"longrightarrow", CmdKind::kToken, T(Tok::kArrow)},
    {"Longrightarrow", CmdKind::kToken, T(Tok::kArrow)}, {"mapsto", CmdKind::kToken, T(Tok::kArrow)},
    {"implies", CmdKind::kToken, T(Tok::kArrow)}, {"ldots", CmdKind::kToken, T(Tok::kDots)},
    {"cdots", CmdKind::kToken, T(Tok::kDots)}, {"dots", CmdKind::kToken, T(Tok::kDots)},
    {"dotsc", CmdKind::kToken, T(Tok::kDots)}, {"dotsb", CmdKind::kToken, T(Tok::kDots)},
    {"vdots", CmdKind::kToken, T(Tok::kDots)}, {"colon", CmdKind::kToken, T(Tok::kColon)},
    {"lbrace", CmdKind::kToken, T(Tok::kLSetBrace)}, {"rbrace", CmdKind::kToken, T(Tok::kRSetBrace)},
    {"lbrack", CmdKind::kToken, T(Tok::kLBracket)}, {"rbrack", CmdKind::kToken, T(Tok::kRBracket)},
    {"langle", CmdKind::kToken, T(Tok::kLParen)}, {"rangle", CmdKind::kToken, T(Tok::kRParen)},
    {"lgroup", CmdKind::kToken, T(Tok::kLParen)}, {"rgroup", CmdKind::kToken, T(Tok::kRParen)},
    {"lvert", CmdKind::kToken, T(Tok::kPipe)}, {"rvert", CmdKind::kToken, T(Tok::kPipe)},
    {"vert", CmdKind::kToken, T(Tok::kPipe)}, {"lVert", CmdKind::kToken, T(Tok::kPipe)},
    {"rVert", CmdKind::kToken, T(Tok::kPipe)}, {"Vert", CmdKind::kToken, T(Tok::kPipe)},
    {"lceil", CmdKind::kToken, T(Tok::kLCeil)}, {"rceil", CmdKind::kToken, T(Tok::kRCeil)},
    {"ulcorner", CmdKind::kToken, T(Tok::kLCeil)}, {"urcorner", CmdKind::kToken, T(Tok::kRCeil)},
    {"lfloor", CmdKind::kToken, T(Tok::kLFloor)}, {"rfloor", CmdKind::kToken, T(Tok::kRFloor)},
    {"llcorner", CmdKind::kToken, T(Tok::kLFloor)}, {"lrcorner", CmdKind::kToken, T(Tok::kRFloor)},
    {"approx", CmdKind::kToken, T(Tok::kApprox)}, {"simeq", CmdKind::kToken, T(Tok::kApprox)},
    {"prime", CmdKind::kToken, T(Tok::kPrime)}, {"neg", CmdKind::kToken, T(Tok::kNot)},
    {"lnot", CmdKind::kToken, T(Tok::kNot)},
    // Relations and set operations.
    {"le", CmdKind::kRel, R(RelOp::kLe)}, {"leq", CmdKind::kRel, R(RelOp::kLe)},
    {"leqslant", CmdKind::kRel, R(RelOp::kLe)}, {"leqq", CmdKind::kRel, R(RelOp::kLe)},
    {"lt", CmdKind::kRel, R(RelOp::kLt)}, {"ge", CmdKind::kRel, R(RelOp::kGe)},
    {"geq", CmdKind::kRel, R(RelOp::kGe)}, {"geqslant", CmdKind::kRel, R(RelOp::kGe)},
    {"geqq", CmdKind::kRel, R(RelOp::kGe)}, {"gt", CmdKind::kRel, R(RelOp::kGt)},
    {"ne", CmdKind::kRel, R(RelOp::kNe)}, {"neq", CmdKind::kRel, R(RelOp::kNe)},
    {"equiv", CmdKind::kRel, R(RelOp::kEq)}, {"in", CmdKind::kRel, R(RelOp::kIn)},
    {"notin", CmdKind::kRel, R(RelOp::kNotIn)}, {"subset", CmdKind::kRel, R(RelOp::kSubset)},
    {"subseteq", CmdKind::kRel, R(RelOp::kSubsetEq)}, {"supset", CmdKind::kRel, R(RelOp::kSupset)},
    {"supseteq", CmdKind::kRel, R(RelOp::kSupsetEq)},
    {"cup", CmdKind::kSetOp, kUnion}, {"bigcup", CmdKind::kSetOp, kUnion},
    {"cap", CmdKind::kSetOp, kIntersection}, {"bigcap", CmdKind::kSetOp, kIntersection},
    {"setminus", CmdKind::kSetOp, kSetMinus}, {"smallsetminus", CmdKind::kSetOp, kSetMinus},
    {"backslash", CmdKind::kSetOp, kSetMinus},
    {"sum", CmdKind::kBigOp, kSum}, {"prod", CmdKind::kBigOp, kProduct},
    {"int", CmdKind::kBigOp, kIntegral}, {"oint", CmdKind::kBigOp, kIntegral},
    {"lim", CmdKind::kBigOp, kLimit},
};

struct SortedCommands {
  std::array<CommandInfo, std::size(kCommands)> items;
  SortedCommands() {
    std::copy(std::begin(kCommands), std::end(kCommands), items.begin());
    std::sort(items.begin(), items.end(),
              [](const CommandInfo& a, const CommandInfo& b) { return a.name < b.name; });
  }
};

const SortedCommands& Commands() {
  static const SortedCommands* const sorted = new SortedCommands();  // immutable after init
  return *sorted;
}

struct NamedId {
  std::string_view name;
  int id;
};

constexpr NamedId kPlainFunctions[] = {
    {"Abs", kAbs}, {"abs", kAbs}, {"acos", kAcos}, {"acosh", kAcosh}, {"acot", kAcot},
    {"acoth", kAcoth}, {"acsc", kAcsc}, {"arg", kArg}, {"asec", kAsec}, {"asin", kAsin},
    {"asinh", kAsinh}, {"atan", kAtan}, {"atanh", kAtanh}, {"binomial", kBinomial},
    {"ceil", kCeil}, {"ceiling", kCeil}, {"conjugate", kConj}, {"cos", kCos}, {"cosh", kCosh},
    {"cot", kCot}, {"coth", kCoth}, {"csc", kCsc}, {"csch", kCsch}, {"exp", kExp},
    {"factorial", kFactorial}, {"floor", kFloor}, {"gcd", kGcd}, {"im", kIm}, {"lcm", kLcm},
    {"ln", kLn}, {"log", kLog}, {"Max", kMax}, {"max", kMax}, {"Min", kMin}, {"min", kMin},
    {"Mod", kMod}, {"mod", kMod}, {"re", kRe}, {"sec", kSec}, {"sech", kSech}, {"sign", kSign},
    {"sin", kSin}, {"sinh", kSinh}, {"sqrt", kRoot}, {"tan", kTan}, {"tanh", kTanh},
};

constexpr struct {
  std::string_view word;
  WordKind kind;
} kWords[] = {
    {"acre", WordKind::kUnit}, {"acres", WordKind::kUnit}, {"and", WordKind::kAnd},
    {"cent", WordKind::kUnit}, {"cents", WordKind::kUnit}, {"cm", WordKind::kUnit},
    {"cubic", WordKind::kUnit}, {"cup", WordKind::kUnit}, {"cups", WordKind::kUnit},
    {"day", WordKind::kUnit}, {"days", WordKind::kUnit}, {"deg", WordKind::kUnit},
    {"degree", WordKind::kUnit}, {"degrees", WordKind::kUnit}, {"dollar", WordKind::kUnit},
    {"dollars", WordKind::kUnit}, {"dm", WordKind::kUnit}, {"euro", WordKind::kUnit},
    {"euros", WordKind::kUnit}, {"feet", WordKind::kUnit}, {"foot", WordKind::kUnit},
    {"ft", WordKind::kUnit}, {"gallon", WordKind::kUnit}, {"gallons", WordKind::kUnit},
    {"gram", WordKind::kUnit}, {"grams", WordKind::kUnit}, {"hour", WordKind::kUnit},
    {"hours", WordKind::kUnit}, {"hr", WordKind::kUnit}, {"hrs", WordKind::kUnit},
    {"inch", WordKind::kUnit}, {"inches", WordKind::kUnit}, {"items", WordKind::kUnit},
    {"kg", WordKind::kUnit}, {"km", WordKind::kUnit}, {"kmh", WordKind::kUnit},
    {"kph", WordKind::kUnit}, {"lb", WordKind::kUnit}, {"lbs", WordKind::kUnit},
    {"liter", WordKind::kUnit}, {"liters", WordKind::kUnit}, {"litre", WordKind::kUnit},
    {"litres", WordKind::kUnit}, {"meter", WordKind::kUnit}, {"meters", WordKind::kUnit},
    {"metre", WordKind::kUnit}, {"metres", WordKind::kUnit}, {"mg", WordKind::kUnit},
    {"mile", WordKind::kUnit}, {"miles", WordKind::kUnit}, {"min", WordKind::kUnit},
    {"mins", WordKind::kUnit}, {"minute", WordKind::kUnit}, {"minutes", WordKind::kUnit},
    {"ml", WordKind::kUnit}, {"mm", WordKind::kUnit}, {"month", WordKind::kUnit},
    {"months", WordKind::kUnit}, {"mph", WordKind::kUnit}, {"or", WordKind::kOr},
    {"ounce", WordKind::kUnit}, {"ounces", WordKind::kUnit}, {"oz", WordKind::kUnit},
    {"pct", WordKind::kPercent}, {"people", WordKind::kUnit}, {"percent", WordKind::kPercent},
    {"percentage", WordKind::kPercent}, {"person", WordKind::kUnit}, {"pint", WordKind::kUnit},
    {"pints", WordKind::kUnit}, {"pound", WordKind::kUnit}, {"pounds", WordKind::kUnit},
    {"quart", WordKind::kUnit}, {"quarts", WordKind::kUnit}, {"radian", WordKind::kUnit},
    {"radians", WordKind::kUnit}, {"sec", WordKind::kUnit}, {"second", WordKind::kUnit},
    {"seconds", WordKind::kUnit}, {"secs", WordKind::kUnit}, {"sq", WordKind::kUnit},
    {"square", WordKind::kUnit}, {"students", WordKind::kUnit}, {"times", WordKind::kUnit},
    {"ton", WordKind::kUnit}, {"tons", WordKind::kUnit}, {"unit", WordKind::kUnit},
    {"units", WordKind::kUnit}, {"ways", WordKind::kUnit}, {"week", WordKind::kUnit},
    {"weeks", WordKind::kUnit}, {"yard", WordKind::kUnit}, {"yards", WordKind::kUnit},
    {"yd", WordKind::kUnit}, {"year", WordKind::kUnit}, {"years", WordKind::kUnit},
    {"yen", WordKind::kUnit}, {"yr", WordKind::kUnit}, {"yrs", WordKind::kUnit},
    {"yuan", WordKind::kUnit},
};

}  // namespace

const CommandInfo* FindCommand(std::string_view name) {
  const auto& items = Commands().items;
  auto it = std::lower_bound(items.begin(), items.end(), name,
                             [](const CommandInfo& c, std::string_view n) { return c.name < n; });
  if (it == items.end() || it->name != name) return nullptr;
  return &*it;
}

const CommandInfo* FindCommandPrefix(std::string_view name, size_t* length) {
  if (name.size() < 4) return nullptr;
  for (size_t len = name.size() - 1; len >= 3; --len) {
    if (const CommandInfo* c = FindCommand(name.substr(0, len))) {
      *length = len;
      return c;
    }
  }
  return nullptr;
}

std::string_view AccentPrefix(uint8_t sub) {
  return sub < std::size(kAccents) ? kAccents[sub] : std::string_view("accent");
}

int FindPlainFunction(std::string_view name) {
  for (const NamedId& f : kPlainFunctions) {
    if (f.name == name) return f.id;
  }
  return -1;
}

WordKind FindWord(std::string_view word) {
  if (word.size() < 2 || word.size() > 12) return WordKind::kNone;
  char lower[16];
  for (size_t i = 0; i < word.size(); ++i) {
    lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(word[i])));
  }
  std::string_view w(lower, word.size());
  const auto* end = std::end(kWords);
  const auto* it = std::lower_bound(std::begin(kWords), end, w,
                                    [](const auto& e, std::string_view k) { return e.word < k; });
  return (it != end && it->word == w) ? it->kind : WordKind::kNone;
}

}  // namespace zerorl::math
