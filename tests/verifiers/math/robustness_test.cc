// Bounds of the math checker: hostile inputs and a seeded mutation fuzz. Whatever the
// input, VerifyMath must return a verdict (never crash, hang or grow without bound), and
// an unverifiable verdict must say why. Runs under ASan/UBSan in CI (scripts/test.sh).
//
// The wall-clock checks are hang detectors with a wide margin over the 50 ms deadline
// (sanitizers slow everything down several times), not performance assertions.
#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"
#include "verifiers/math/internal/arena.h"
#include "verifiers/math/internal/parser.h"
#include "verifiers/math/verifier.h"

namespace zerorl::math {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr double kHangSeconds = 5.0;

struct Timed {
  MathVerdict verdict;
  double seconds;
};

Timed TimedVerify(std::string_view gold, std::string_view pred, MathOptions options = MathOptions()) {
  auto start = std::chrono::steady_clock::now();
  MathVerdict v = VerifyMath(gold, pred, options);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {std::move(v), s};
}

// Both directions: the hostile text as gold and as prediction.
void ExpectBounded(const std::string& hostile, const std::string& normal = "$5$") {
  for (int side = 0; side < 2; ++side) {
    Timed t = side == 0 ? TimedVerify(hostile, normal) : TimedVerify(normal, hostile);
    EXPECT_LT(t.seconds, kHangSeconds) << hostile.substr(0, 60);
    if (t.verdict.verdict == MathVerdictKind::kUnverifiable) {
      EXPECT_FALSE(t.verdict.reason.empty());
    }
  }
}

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(MathRobustnessTest, MegabyteOfRandomBytes) {
  std::mt19937 rng(7);
  std::string bytes(1 << 20, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
  ExpectBounded(bytes);
}

TEST(MathRobustnessTest, MegabyteOfMathLikeText) {
  ExpectBounded(Repeat("1+", 1 << 19) + "1");
  ExpectBounded("$" + Repeat("1+", 1 << 19) + "1$");
  ExpectBounded("\\boxed{" + Repeat("1 ", 1 << 19) + "}");
  ExpectBounded(Repeat("1 ", 1 << 19));
  ExpectBounded(Repeat("$$x", 1 << 18));
  ExpectBounded(Repeat("\\(", 1 << 19));
  ExpectBounded(Repeat("\\boxed{", 1 << 17));
  ExpectBounded(Repeat("the final answer is ", 1 << 15));
  ExpectBounded(Repeat("answer: $x$ ", 1 << 16));
  ExpectBounded(std::string(1 << 20, '9'));
}

TEST(MathRobustnessTest, TenThousandNestedBraces) {
  std::string nested = std::string(10000, '{') + "1" + std::string(10000, '}');
  ExpectBounded("$" + nested + "$");
  ExpectBounded("\\boxed{" + nested + "}");
  ExpectBounded("$" + Repeat("\\frac{1}{", 10000) + "2" + std::string(10000, '}') + "$");
  ExpectBounded("$" + std::string(100000, '(') + "1" + std::string(100000, ')') + "$");
  std::string deep = std::string(1000, '{') + "1" + std::string(1000, '}');  // short enough to parse
  Timed t = TimedVerify("$" + deep + "$", "$1$");
  EXPECT_EQ(t.verdict.verdict, MathVerdictKind::kUnverifiable);
  EXPECT_THAT(t.verdict.reason, HasSubstr("nesting deeper than 200"));
}

TEST(MathRobustnessTest, HugeNumbersAreNotComputedExactly) {
  MathOptions options;
  options.deadline_ms = 0;
  // Equal by structure although the value is far beyond any exact computation.
  EXPECT_EQ(TimedVerify("$10^{10^{10}}$", "$10^{10^{10}}$", options).verdict.verdict, MathVerdictKind::kCorrect);
  EXPECT_EQ(TimedVerify("$10^{10^{10}}$", "$10^{10000000000}$", options).verdict.verdict, MathVerdictKind::kCorrect);
  EXPECT_NE(TimedVerify("$10^{10^{10}}$", "$5$", options).verdict.verdict, MathVerdictKind::kCorrect);
  ExpectBounded("$2^{2^{2^{2^{2^{2^{2}}}}}}$");
  ExpectBounded("$100000000!$");
  ExpectBounded("$(10^{10000})!$");
  ExpectBounded("$\\sum_{k=1}^{1000000000} k$");
  ExpectBounded("$\\binom{10^{12}}{10^{6}}$");
  ExpectBounded("$" + Repeat("(1 \\pm 2)", 64) + "$");
}

TEST(MathRobustnessTest, ThousandFactorialIsExact) {
  // 1000! (2568 digits), as Python's math.factorial prints it.
  std::string digits =
      "402387260077093773543702433923003985719374864210714632543799910429938512398629020592044208486969"
      "404800479988610197196058631666872994808558901323829669944590997424504087073759918823627727188732"
      "519779505950995276120874975462497043601418278094646496291056393887437886487337119181045825783647"
      "849977012476632889835955735432513185323958463075557409114262417474349347553428646576611667797396"
      "668820291207379143853719588249808126867838374559731746136085379534524221586593201928090878297308"
      "431392844403281231558611036976801357304216168747609675871348312025478589320767169132448426236131"
      "412508780208000261683151027341827977704784635868170164365024153691398281264810213092761244896359"
      "928705114964975419909342221566832572080821333186116811553615836546984046708975602900950537616475"
      "847728421889679646244945160765353408198901385442487984959953319101723355556602139450399736280750"
      "137837615307127761926849034352625200015888535147331611702103968175921510907788019393178114194545"
      "257223865541461062892187960223838971476088506276862967146674697562911234082439208160153780889893"
      "964518263243671616762179168909779911903754031274622289988005195444414282012187361745992642956581"
      "746628302955570299024324153181617210465832036786906117260158783520751516284225540265170483304226"
      "143974286933061690897968482590125458327168226458066526769958652682272807075781391858178889652208"
      "164348344825993266043367660176999612831860788386150279465955131156552036093988180612138558600301"
      "435694527224206344631797460594682573103790084024432438465657245014402821885252470935190620929023"
      "136493273497565513958720559654228749774011413346962715422845862377387538230483865688976461927383"
      "814900140767310446640259899490222221765904339901886018566526485061799702356193897017860040811889"
      "729918311021171229845901641921068884387121855646124960798722908519296819372388642614839657382291"
      "123125024186649353143970137428531926649875337218940694281434118520158014123344828015051399694290"
      "153483077644569099073152433278288269864602789864321139083506217095002597389863554277196742822248"
      "757586765752344220207573630569498825087968928162753848863396909959826280956121450994871701244516"
      "461260379029309120889086942028510640182154399457156805941872748998094254742173582401063677404595"
      "741785160829230135358081840096996372524230560855903700624271243416909004153690105933983835777939"
      "410970027753472000000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "000000000000000000000000000000000000000000000000000000000000000000000000";
  MathOptions options;
  options.deadline_ms = 0;
  EXPECT_EQ(TimedVerify("$1000!$", "\\boxed{" + digits + "}", options).verdict.verdict, MathVerdictKind::kCorrect);
  digits[100] = digits[100] == '1' ? '2' : '1';
  EXPECT_EQ(TimedVerify("$1000!$", "\\boxed{" + digits + "}", options).verdict.verdict, MathVerdictKind::kIncorrect);
}

TEST(MathRobustnessTest, BudgetStopsAtTheDeadline) {
  math::Arena arena;
  math::Budget budget(1, 0, size_t{1} << 30, &arena);
  auto start = std::chrono::steady_clock::now();
  while (budget.Tick()) {}
  EXPECT_EQ(budget.stop(), math::BudgetStop::kDeadline);
  EXPECT_STREQ(budget.StopReason(), "per-item deadline exceeded");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1));
  EXPECT_FALSE(budget.Tick());  // stays exhausted
}

TEST(MathRobustnessTest, BudgetStopsAtTheStepAndMemoryLimits) {
  math::Arena arena;
  math::Budget steps(0, 1000, size_t{1} << 30, &arena);
  while (steps.Tick()) {}
  EXPECT_EQ(steps.stop(), math::BudgetStop::kSteps);
  math::Budget memory(0, 0, 1024, &arena);
  arena.Allocate(4096);
  while (memory.Tick()) {}
  EXPECT_EQ(memory.stop(), math::BudgetStop::kMemory);
}

TEST(MathRobustnessTest, ShortDeadlineGivesUnverifiableNotAWrongVerdict) {
  // Many symbolic elements: enough work to outlast a 1 ms deadline on any machine.
  std::string big = "$\\{" + Repeat("x^{2}+\\sin(x)+\\sqrt{x+1}, ", 400) + "1\\}$";  // < 16384 chars
  MathOptions options;
  options.deadline_ms = 1;
  Timed t = TimedVerify(big, big, options);
  EXPECT_LT(t.seconds, kHangSeconds);
  EXPECT_THAT(t.verdict.verdict, AnyOf(MathVerdictKind::kUnverifiable, MathVerdictKind::kCorrect));
  if (t.verdict.verdict == MathVerdictKind::kUnverifiable) {
    EXPECT_THAT(t.verdict.reason, AnyOf(HasSubstr("deadline"), HasSubstr("longer than")));
  }
}

// Mutations that produce the constructs most likely to break a parser.
std::string Mutate(std::string s, std::mt19937* rng) {
  static const char* const kPieces[] = {"\\frac", "{", "}", "^", "_", "\\boxed{", "$", "\\(", "\\)",
                                        "\\left(", "\\right)", "\\sqrt[", "]", "|", "\\\\", "&", ",",
                                        ";", "=", "<", "\\le", "\\pm", "\\infty", "\\{", "\\}", "(", ")",
                                        "[", "e", "i", "\\pi", "0", "9", ".", "%", "\\%", "!", "'",
                                        "\\begin{pmatrix}", "\\end{pmatrix}", "\\text{", "\\cup", "-",
                                        "\\int", "dx", "\\sum_{k=1}^{", "\\lim_{x \\to", "\\mod"};
  int ops = 1 + static_cast<int>((*rng)() % 4);
  for (int k = 0; k < ops; ++k) {
    size_t pos = s.empty() ? 0 : (*rng)() % (s.size() + 1);
    switch ((*rng)() % 4) {
      case 0: s.insert(pos, kPieces[(*rng)() % std::size(kPieces)]); break;
      case 1: if (!s.empty()) s.erase(pos == s.size() ? pos - 1 : pos, 1 + (*rng)() % 3); break;
      case 2: s.insert(pos, 1, static_cast<char>((*rng)() & 0xFF)); break;
      default: if (pos < s.size()) s.insert(pos, s.substr(pos, 1 + (*rng)() % 8)); break;
    }
  }
  return s;
}

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds = {
      "$\\frac{1}{2}$", "\\boxed{(1, 2) \\cup [3, \\infty)}", "$x^2 + 2x + 1 = 0$", "#### 1,234",
      "$\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}$", "$\\{1, 2\\}$", "The final answer is $3\\sqrt{2}$. I hope",
      "$-2 \\le x < 7$", "$\\sin^{-1}(x) + \\log_2 8$", "$10\\%$", "$\\int_0^1 x dx$", "$a:b = 2:3$"};
  std::string path = testing::TestDataPath("verifier/math_verify_cases.jsonl");
  std::ifstream in(path);
  std::string line;
  while (!path.empty() && std::getline(in, line)) {
    absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
    if (!doc.ok()) continue;
    for (const char* key : {"gold", "pred"}) {
      std::string text = (*doc)[key].GetString();
      if (text.size() < 2000) seeds.push_back(text);
    }
  }
  return seeds;
}

TEST(MathRobustnessTest, SeededMutationFuzz) {
  std::mt19937 rng(20240601);
  std::vector<std::string> seeds = Seeds();
  MathOptions options;
  int verdicts[3] = {0, 0, 0};
  for (int i = 0; i < 1500; ++i) {
    std::string gold = Mutate(seeds[rng() % seeds.size()], &rng);
    std::string pred = rng() % 4 == 0 ? gold : Mutate(seeds[rng() % seeds.size()], &rng);
    Timed t = TimedVerify(gold, pred, options);
    ASSERT_LT(t.seconds, kHangSeconds) << "gold: " << gold << "\npred: " << pred;
    ++verdicts[static_cast<int>(t.verdict.verdict)];
    if (t.verdict.verdict == MathVerdictKind::kUnverifiable) {
      ASSERT_FALSE(t.verdict.reason.empty());
    }
  }
  // The mutations keep enough structure that all three verdicts occur.
  EXPECT_GT(verdicts[0], 0);
  EXPECT_GT(verdicts[1], 0);
  EXPECT_GT(verdicts[2], 0);
}

TEST(MathRobustnessTest, ParserNeverCrashesOnTokenSoup) {
  std::mt19937 rng(99);
  static const char kAlphabet[] = "0123456789xye+-*/^_!()[]{}|,;:=<>.%$&\\ ";
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    size_t n = 1 + rng() % 40;
    for (size_t k = 0; k < n; ++k) text.push_back(kAlphabet[rng() % (sizeof(kAlphabet) - 1)]);
    math::Arena arena;
    math::Budget budget(0, 1000000, 16 << 20, &arena);
    math::NodeFactory factory(&arena);
    std::string error;
    for (math::Syntax syntax : {math::Syntax::kLatex, math::Syntax::kPlain}) {
      math::Node* node = math::ParseMath(text, syntax, &factory, &budget, &error);
      if (node == nullptr) {
        ASSERT_FALSE(error.empty()) << text;
      }
    }
  }
}

TEST(MathRobustnessTest, ManyThreadsAtOnceGiveTheSameVerdicts) {
  std::vector<std::pair<std::string, std::string>> pairs = {
      {"$\\frac{1}{3}$", "\\boxed{0.333333}"}, {"$x^2+2x+1$", "\\boxed{(x+1)^2}"},
      {"$[0,1)$", "\\boxed{(0,1)}"}, {"#### 42", "so \\boxed{42}"}, {"$\\{1,2\\}$", "$\\{2,1\\}$"}};
  MathOptions options;
  options.deadline_ms = 0;
  std::vector<MathVerdictKind> expected;
  for (const auto& p : pairs) expected.push_back(VerifyMath(p.first, p.second, options).verdict);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        for (size_t i = 0; i < pairs.size(); ++i) {
          if (VerifyMath(pairs[i].first, pairs[i].second, options).verdict != expected[i]) ++mismatches[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace zerorl::math
