// The statistics of an evaluation: pass@k with the unbiased estimator of Chen et al. 2021
// ("Evaluating Large Language Models Trained on Code"), majority voting over extracted
// answers (maj@k, "self-consistency"), and the length / truncation counts of the samples.
// Pure functions on plain data: no model, no files.
//
//   ASSIGN_OR_RETURN(double p, PassAtK(/*n=*/5, /*c=*/2, /*k=*/2));  // 0.7
//   std::vector<int> cluster = ClusterAnswers({"4", "", "4.0", "5"}, SameText);
//   // {0, -1, 0, 1} with an equivalence that treats 4 and 4.0 as one answer
//   int winner = MajorityCluster(cluster, /*k=*/4);                  // 0
#ifndef ZERORL_EVAL_METRICS_H_
#define ZERORL_EVAL_METRICS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace zerorl::eval {

// The probability that at least one of k samples drawn without replacement from n samples,
// c of them correct, is correct: 1 - C(n-c, k) / C(n, k), computed as the product
// 1 - prod_{i=n-c+1}^{n} (1 - k / i), which never forms a binomial coefficient and so stays
// exact to rounding for any n. PassAtK(n, c, 1) == c / n. kInvalidArgument (naming the
// value) when n < 1, c < 0, c > n, k < 1 or k > n (the estimator needs k <= n samples).
absl::StatusOr<double> PassAtK(int64_t n, int64_t c, int64_t k);

// The k values reported for n samples per problem: the powers of two below n, then n itself
// (n = 6: {1, 2, 4, 6}; n = 8: {1, 2, 4, 8}). Empty when n < 1.
std::vector<int> KValues(int n);

// Whether two extracted answers are the same answer (e.g. the math verifier's equivalence).
using AnswerEquivalence = std::function<bool(const std::string& a, const std::string& b)>;

// Groups answers into clusters of equal answers, in order: sample i joins the first cluster
// whose first member (its representative) `same` calls equal to answers[i] (called as
// same(representative, answer)), else opens a new one. Returns the cluster of each sample,
// numbered 0, 1, ... in order of first appearance; -1 for an empty answer (none extracted:
// it never votes). Because a sample's cluster depends only on the samples before it, the
// clusters of the first k samples are the same for every k.
std::vector<int> ClusterAnswers(const std::vector<std::string>& answers,
                                const AnswerEquivalence& same);

// The majority vote among the first k samples (k clamped to the list): the cluster with the
// most members there. Ties go to the cluster seen first (the lowest number, i.e. the answer
// that appeared earliest). -1 when none of the first k samples has an answer.
int MajorityCluster(const std::vector<int>& clusters, int k);

// One scored sample as the statistics need it.
struct SampleStats {
  // 1 correct, 0 wrong, -1 not judged (the correctness function was not applicable or
  // failed for it: counted, and taken as not correct when its problem has judged samples).
  int correct = -1;
  int64_t length = -1;     // completion tokens; -1 when unknown (replayed text, no tokenizer)
  int truncated = -1;      // 1 cut at max_new_tokens, 0 ended by itself, -1 unknown
  int cluster = -1;        // ClusterAnswers() result; -1 no answer
};

struct ProblemStats {
  std::vector<SampleStats> samples;
};

// Everything summary.json reports under "metrics".
struct EvalMetrics {
  int64_t problems = 0;            // problems evaluated
  int64_t samples = 0;             // samples over all problems
  int64_t unjudged_problems = 0;   // no sample judged: left out of pass@k and maj@k
  int64_t unjudged_samples = 0;    // samples whose correctness could not be judged
  int64_t judged_problems = 0;     // problems the rates below average over
  int min_samples = 0;             // fewest samples of a judged problem (bounds k)
  double pass_at_1 = 0.0;          // mean over judged problems of c / n
  std::vector<std::pair<int, double>> pass_at_k;  // (k, mean PassAtK) for KValues(min_samples)
  // (k, share of judged problems whose majority answer among the first k samples is correct)
  // for the same k; empty when `majority` was not asked for.
  std::vector<std::pair<int, double>> maj_at_k;
  int64_t samples_with_length = 0;  // samples of known length
  double mean_length = 0.0;         // tokens, over samples_with_length; 0 when none
  int64_t max_length = 0;
  int64_t samples_with_finish = 0;  // samples with a known finish reason
  double truncation_rate = 0.0;     // truncated / samples_with_finish; 0 when none
};

// Aggregates per-problem results. `majority`: also compute maj@k (math answers; a problem's
// maj@k is correct when the representative sample of the winning cluster is correct, and
// wrong when no sample has an answer).
EvalMetrics Summarize(const std::vector<ProblemStats>& problems, bool majority);

}  // namespace zerorl::eval

#endif  // ZERORL_EVAL_METRICS_H_
