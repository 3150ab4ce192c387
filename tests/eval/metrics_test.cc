// pass@k, answer clusters, majority votes and Summarize() against hand-computed values.
#include "eval/metrics.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::eval {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

bool SameText(const std::string& a, const std::string& b) { return a == b; }

// 1 - C(n-c, k) / C(n, k) with exact integer binomials (small n only).
double Reference(int n, int c, int k) {
  auto choose = [](int a, int b) {
    if (b < 0 || b > a) return 0.0;
    double r = 1;
    for (int i = 1; i <= b; ++i) r = r * (a - b + i) / i;
    return r;
  };
  return 1.0 - choose(n - c, k) / choose(n, k);
}

TEST(PassAtKTest, HandComputedValues) {
  EXPECT_DOUBLE_EQ(*PassAtK(5, 2, 2), 0.7);        // 1 - C(3,2)/C(5,2) = 1 - 3/10
  EXPECT_DOUBLE_EQ(*PassAtK(5, 2, 1), 0.4);        // c / n
  EXPECT_DOUBLE_EQ(*PassAtK(4, 1, 2), 0.5);        // 1 - C(3,2)/C(4,2) = 1 - 3/6
  EXPECT_DOUBLE_EQ(*PassAtK(10, 3, 5), 1.0 - 21.0 / 252.0);  // C(7,5)=21, C(10,5)=252
  EXPECT_DOUBLE_EQ(*PassAtK(5, 2, 4), 1.0);        // only 3 wrong: any 4 include a right one
}

TEST(PassAtKTest, MatchesExactBinomialsEverywhere) {
  for (int n = 1; n <= 20; ++n) {
    for (int c = 0; c <= n; ++c) {
      for (int k = 1; k <= n; ++k) {
        EXPECT_NEAR(*PassAtK(n, c, k), Reference(n, c, k), 1e-12) << n << " " << c << " " << k;
      }
    }
  }
}

TEST(PassAtKTest, NoneAndAllCorrect) {
  EXPECT_EQ(*PassAtK(8, 0, 1), 0.0);
  EXPECT_EQ(*PassAtK(8, 0, 8), 0.0);
  EXPECT_EQ(*PassAtK(8, 8, 1), 1.0);
  EXPECT_EQ(*PassAtK(8, 8, 8), 1.0);
}

TEST(PassAtKTest, LargeNStaysFinite) {
  // C(10000, 5000) overflows a double; the product form does not.
  absl::StatusOr<double> p = PassAtK(10000, 1, 5000);
  ASSERT_THAT(p, IsOk());
  EXPECT_NEAR(*p, 0.5, 1e-12);
  EXPECT_NEAR(*PassAtK(100000, 100, 1), 0.001, 1e-12);
}

TEST(PassAtKTest, FewerSamplesThanKIsRefused) {
  absl::StatusOr<double> p = PassAtK(3, 1, 4);
  EXPECT_THAT(p, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("k = 4 with n = 3 samples; need 1 <= k <= n")));
}

TEST(PassAtKTest, BadCountsAreRefused) {
  EXPECT_THAT(PassAtK(0, 0, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("n = 0 samples")));
  EXPECT_THAT(PassAtK(4, 5, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("c = 5 correct of n = 4")));
  EXPECT_THAT(PassAtK(4, -1, 1), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("c = -1")));
  EXPECT_THAT(PassAtK(4, 1, 0), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("k = 0")));
}

TEST(KValuesTest, PowersOfTwoThenN) {
  EXPECT_THAT(KValues(1), ElementsAre(1));
  EXPECT_THAT(KValues(2), ElementsAre(1, 2));
  EXPECT_THAT(KValues(6), ElementsAre(1, 2, 4, 6));
  EXPECT_THAT(KValues(8), ElementsAre(1, 2, 4, 8));
  EXPECT_TRUE(KValues(0).empty());
}

TEST(ClusterAnswersTest, EquivalentAnswersShareACluster) {
  auto numeric = [](const std::string& a, const std::string& b) {
    return std::stod(a) == std::stod(b);
  };
  EXPECT_THAT(ClusterAnswers({"4", "", "4.0", "5", "5.00", "6"}, numeric),
              ElementsAre(0, -1, 0, 1, 1, 2));
}

TEST(ClusterAnswersTest, ComparesAgainstTheFirstMember) {
  std::vector<std::pair<std::string, std::string>> calls;
  auto same = [&](const std::string& a, const std::string& b) {
    calls.emplace_back(a, b);
    return a == b;
  };
  ClusterAnswers({"a", "b", "a"}, same);
  EXPECT_THAT(calls, ElementsAre(Pair("a", "b"), Pair("a", "a")));
}

TEST(MajorityClusterTest, MostVotesAmongTheFirstK) {
  std::vector<int> clusters = ClusterAnswers({"7", "3", "3", "7", "7"}, SameText);  // 0 1 1 0 0
  EXPECT_EQ(MajorityCluster(clusters, 1), 0);
  EXPECT_EQ(MajorityCluster(clusters, 3), 1);  // 3 has two votes, 7 one
  EXPECT_EQ(MajorityCluster(clusters, 5), 0);  // 7 has three
  EXPECT_EQ(MajorityCluster(clusters, 99), 0);  // k past the end: all samples
}

TEST(MajorityClusterTest, TiesGoToTheAnswerSeenFirst) {
  std::vector<int> clusters = ClusterAnswers({"3", "7", "7", "3"}, SameText);  // 0 1 1 0
  EXPECT_EQ(MajorityCluster(clusters, 2), 0);  // 1 vote each: "3" came first
  EXPECT_EQ(MajorityCluster(clusters, 3), 1);  // "7" leads 2:1
  EXPECT_EQ(MajorityCluster(clusters, 4), 0);  // 2:2, "3" came first
  clusters = ClusterAnswers({"", "9", "8"}, SameText);  // -1 0 1
  EXPECT_EQ(MajorityCluster(clusters, 3), 0);
}

TEST(MajorityClusterTest, NoAnswerNoWinner) {
  EXPECT_EQ(MajorityCluster({-1, -1}, 2), -1);
  EXPECT_EQ(MajorityCluster({}, 4), -1);
  EXPECT_EQ(MajorityCluster({-1, 0}, 1), -1);
}

SampleStats Sample(int correct, int cluster, int64_t length = -1, int truncated = -1) {
  SampleStats s;
  s.correct = correct;
  s.cluster = cluster;
  s.length = length;
  s.truncated = truncated;
  return s;
}

TEST(SummarizeTest, HandComputedPassAndMajority) {
  // Problem A: 4 samples, answers 5 5 7 7 (7 is right): c = 2. Problem B: c = 0, answers
  // 1 2 1 -. Problem C: all right.
  std::vector<ProblemStats> problems(3);
  problems[0].samples = {Sample(0, 0, 10, 0), Sample(0, 0, 20, 0), Sample(1, 1, 30, 1), Sample(1, 1, 40, 0)};
  problems[1].samples = {Sample(0, 0, 50, 1), Sample(0, 1, 60, 0), Sample(0, 0, 70, 0), Sample(0, -1, 80, 1)};
  problems[2].samples = {Sample(1, 0, 1, 0), Sample(1, 0, 1, 0), Sample(1, 0, 1, 0), Sample(1, 0, 1, 0)};
  EvalMetrics m = Summarize(problems, /*majority=*/true);
  EXPECT_EQ(m.problems, 3);
  EXPECT_EQ(m.samples, 12);
  EXPECT_EQ(m.judged_problems, 3);
  EXPECT_EQ(m.min_samples, 4);
  // pass@1 = (2/4 + 0 + 1) / 3; pass@2 = (1 - C(2,2)/C(4,2) + 0 + 1) / 3 = (5/6 + 1) / 3.
  EXPECT_DOUBLE_EQ(m.pass_at_1, 0.5);
  ASSERT_EQ(m.pass_at_k.size(), 3u);
  EXPECT_EQ(m.pass_at_k[0].first, 1);
  EXPECT_DOUBLE_EQ(m.pass_at_k[0].second, 0.5);
  EXPECT_EQ(m.pass_at_k[1].first, 2);
  EXPECT_DOUBLE_EQ(m.pass_at_k[1].second, (5.0 / 6.0 + 1.0) / 3.0);
  EXPECT_EQ(m.pass_at_k[2].first, 4);
  EXPECT_DOUBLE_EQ(m.pass_at_k[2].second, 2.0 / 3.0);
  // maj@1: A picks 5 (wrong), C right -> 1/3. maj@2: A 5 -> 1/3. maj@4: A ties 2:2, 5 seen
  // first -> wrong; 1/3.
  ASSERT_EQ(m.maj_at_k.size(), 3u);
  EXPECT_DOUBLE_EQ(m.maj_at_k[0].second, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.maj_at_k[1].second, 1.0 / 3.0);  // A: 5 5; B: 1 vs 2 tie -> 1
  EXPECT_DOUBLE_EQ(m.maj_at_k[2].second, 1.0 / 3.0);
  EXPECT_EQ(m.samples_with_length, 12);
  EXPECT_DOUBLE_EQ(m.mean_length, (100 + 260 + 4) / 12.0);
  EXPECT_EQ(m.max_length, 80);
  EXPECT_DOUBLE_EQ(m.truncation_rate, 3.0 / 12.0);
}

TEST(SummarizeTest, MajorityWinsWhenTheRightAnswerLeads) {
  std::vector<ProblemStats> problems(1);
  problems[0].samples = {Sample(0, 0), Sample(1, 1), Sample(1, 1)};
  EvalMetrics m = Summarize(problems, true);
  // k = 1, 2, 3; at k = 2 the 1:1 tie goes to the wrong answer, seen first.
  EXPECT_THAT(m.maj_at_k, ElementsAre(Pair(1, 0.0), Pair(2, 0.0), Pair(3, 1.0)));
}

TEST(SummarizeTest, UnjudgedProblemsAreCountedAndLeftOut) {
  std::vector<ProblemStats> problems(2);
  problems[0].samples = {Sample(-1, -1), Sample(-1, -1)};  // e.g. an unreadable gold
  problems[1].samples = {Sample(1, 0), Sample(-1, -1)};    // one sample not judged
  EvalMetrics m = Summarize(problems, false);
  EXPECT_EQ(m.unjudged_problems, 1);
  EXPECT_EQ(m.unjudged_samples, 3);
  EXPECT_EQ(m.judged_problems, 1);
  EXPECT_DOUBLE_EQ(m.pass_at_1, 0.5);  // the unjudged sample counts as not correct
  EXPECT_TRUE(m.maj_at_k.empty());
  EXPECT_EQ(m.samples_with_length, 0);
  EXPECT_EQ(m.samples_with_finish, 0);
}

TEST(SummarizeTest, KIsBoundedByTheSmallestProblem) {
  std::vector<ProblemStats> problems(2);
  problems[0].samples = {Sample(1, 0), Sample(0, 1), Sample(0, 1), Sample(0, 1)};
  problems[1].samples = {Sample(0, 0), Sample(1, 1)};
  EvalMetrics m = Summarize(problems, false);
  EXPECT_EQ(m.min_samples, 2);
  ASSERT_EQ(m.pass_at_k.size(), 2u);
  // pass@2: A: 1 - C(3,2)/C(4,2) = 0.5; B: 1.
  EXPECT_DOUBLE_EQ(m.pass_at_k[1].second, 0.75);
}

TEST(SummarizeTest, NothingToSummarize) {
  EvalMetrics m = Summarize({}, true);
  EXPECT_EQ(m.problems, 0);
  EXPECT_TRUE(m.pass_at_k.empty());
  EXPECT_EQ(m.pass_at_1, 0.0);
}

}  // namespace
}  // namespace zerorl::eval
