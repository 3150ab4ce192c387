#include "eval/metrics.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace zerorl::eval {

absl::StatusOr<double> PassAtK(int64_t n, int64_t c, int64_t k) {
  if (n < 1) return absl::InvalidArgumentError(absl::StrCat("pass@k: n = ", n, " samples; need n >= 1"));
  if (c < 0 || c > n) {
    return absl::InvalidArgumentError(absl::StrCat("pass@k: c = ", c, " correct of n = ", n,
                                                   " samples; need 0 <= c <= n"));
  }
  if (k < 1 || k > n) {
    return absl::InvalidArgumentError(absl::StrCat("pass@k: k = ", k, " with n = ", n,
                                                   " samples; need 1 <= k <= n"));
  }
  if (k == 1) return static_cast<double>(c) / static_cast<double>(n);  // exactly the mean
  // Fewer than k wrong samples: every draw of k contains a correct one.
  if (n - c < k) return 1.0;
  double none_correct = 1.0;  // C(n-c, k) / C(n, k)
  for (int64_t i = n - c + 1; i <= n; ++i) {
    none_correct *= 1.0 - static_cast<double>(k) / static_cast<double>(i);
  }
  return 1.0 - none_correct;
}

std::vector<int> KValues(int n) {
  std::vector<int> ks;
  for (int k = 1; k < n; k *= 2) ks.push_back(k);
  if (n >= 1) ks.push_back(n);
  return ks;
}

std::vector<int> ClusterAnswers(const std::vector<std::string>& answers,
                                const AnswerEquivalence& same) {
  std::vector<int> cluster(answers.size(), -1);
  std::vector<size_t> representative;  // [clusters] sample index of the first member
  for (size_t i = 0; i < answers.size(); ++i) {
    if (answers[i].empty()) continue;
    for (size_t c = 0; c < representative.size(); ++c) {
      if (same(answers[representative[c]], answers[i])) {
        cluster[i] = static_cast<int>(c);
        break;
      }
    }
    if (cluster[i] < 0) {
      cluster[i] = static_cast<int>(representative.size());
      representative.push_back(i);
    }
  }
  return cluster;
}

int MajorityCluster(const std::vector<int>& clusters, int k) {
  size_t end = std::min(clusters.size(), static_cast<size_t>(std::max(k, 0)));
  std::vector<int> votes;
  for (size_t i = 0; i < end; ++i) {
    if (clusters[i] < 0) continue;
    if (static_cast<size_t>(clusters[i]) >= votes.size()) votes.resize(clusters[i] + 1, 0);
    ++votes[clusters[i]];
  }
  int winner = -1;
  for (size_t c = 0; c < votes.size(); ++c) {
    // Strictly more: a tie keeps the lower-numbered (earlier seen) cluster.
    if (votes[c] > 0 && (winner < 0 || votes[c] > votes[winner])) winner = static_cast<int>(c);
  }
  return winner;
}

namespace {

// Whether the majority answer of the first k samples is right.
bool MajorityCorrect(const ProblemStats& p, int k) {
  std::vector<int> clusters;
  for (const SampleStats& s : p.samples) clusters.push_back(s.cluster);
  int winner = MajorityCluster(clusters, k);
  if (winner < 0) return false;
  for (const SampleStats& s : p.samples) {
    if (s.cluster == winner) return s.correct == 1;  // the representative: first member
  }
  return false;
}

}  // namespace

EvalMetrics Summarize(const std::vector<ProblemStats>& problems, bool majority) {
  EvalMetrics m;
  m.problems = static_cast<int64_t>(problems.size());
  std::vector<const ProblemStats*> judged;
  int64_t truncated = 0;
  double length_sum = 0.0;
  for (const ProblemStats& p : problems) {
    bool any_judged = false;
    for (const SampleStats& s : p.samples) {
      ++m.samples;
      if (s.correct < 0) ++m.unjudged_samples;
      any_judged |= s.correct >= 0;
      if (s.length >= 0) {
        ++m.samples_with_length;
        length_sum += static_cast<double>(s.length);
        m.max_length = std::max(m.max_length, s.length);
      }
      if (s.truncated >= 0) {
        ++m.samples_with_finish;
        truncated += s.truncated;
      }
    }
    if (any_judged) {
      judged.push_back(&p);
    } else {
      ++m.unjudged_problems;
    }
  }
  if (m.samples_with_length > 0) m.mean_length = length_sum / m.samples_with_length;
  if (m.samples_with_finish > 0) {
    m.truncation_rate = static_cast<double>(truncated) / m.samples_with_finish;
  }
  m.judged_problems = static_cast<int64_t>(judged.size());
  if (judged.empty()) return m;
  m.min_samples = static_cast<int>(judged[0]->samples.size());
  for (const ProblemStats* p : judged) {
    m.min_samples = std::min(m.min_samples, static_cast<int>(p->samples.size()));
  }
  for (int k : KValues(m.min_samples)) {
    double pass = 0.0, maj = 0.0;
    for (const ProblemStats* p : judged) {
      int64_t c = 0;
      for (const SampleStats& s : p->samples) c += s.correct == 1;
      pass += *PassAtK(static_cast<int64_t>(p->samples.size()), c, k);  // k <= min_samples
      if (majority) maj += MajorityCorrect(*p, k) ? 1.0 : 0.0;
    }
    double count = static_cast<double>(judged.size());
    m.pass_at_k.emplace_back(k, pass / count);
    if (k == 1) m.pass_at_1 = pass / count;
    if (majority) m.maj_at_k.emplace_back(k, maj / count);
  }
  return m;
}

}  // namespace zerorl::eval
