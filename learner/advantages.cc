#include "learner/advantages.h"

#include <cmath>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"

namespace zerorl::learner {
namespace {

struct Moments {
  double mean = 0.0;
  double std = 0.0;  // unbiased; 0 for n < 2
  bool all_equal = true;
  int n = 0;
};

Moments MomentsOf(const std::vector<double>& values) {
  Moments m;
  m.n = static_cast<int>(values.size());
  if (m.n == 0) return m;
  double sum = 0.0;
  for (double v : values) {
    sum += v;
    m.all_equal &= v == values[0];
  }
  m.mean = sum / m.n;
  if (m.n < 2) return m;
  double squares = 0.0;
  for (double v : values) squares += (v - m.mean) * (v - m.mean);
  m.std = std::sqrt(squares / (m.n - 1));
  return m;
}

// The baseline a sample's reward is compared with.
double Baseline(const Moments& group, double reward, config::AdvantageEstimator estimator) {
  if (estimator != config::AdvantageEstimator::kRloo) return group.mean;
  if (group.n < 2) return reward;  // no other sample: no signal
  return (group.mean * group.n - reward) / (group.n - 1);
}

}  // namespace

AdvantageOptions AdvantageOptionsFromConfig(const config::AlgorithmConfig& config) {
  AdvantageOptions options;
  options.estimator = config.advantage;
  options.scale = config.scale_rewards;
  return options;
}

absl::StatusOr<Advantages> ComputeAdvantages(const std::vector<double>& rewards,
                                             const std::vector<int64_t>& group_ids,
                                             const AdvantageOptions& options) {
  if (rewards.size() != group_ids.size()) {
    return absl::InvalidArgumentError(absl::StrCat("advantages: ", rewards.size(),
                                                   " rewards but ", group_ids.size(),
                                                   " group ids; give one id per sample"));
  }
  std::map<int64_t, std::vector<double>> valid_by_group;
  std::vector<double> all_valid;
  Advantages out;
  out.values.assign(rewards.size(), 0.0f);
  out.trainable.assign(rewards.size(), false);
  for (size_t i = 0; i < rewards.size(); ++i) {
    valid_by_group[group_ids[i]];  // every group counts, even one with no valid reward
    if (std::isnan(rewards[i])) {
      ++out.num_not_applicable;
      continue;
    }
    if (!std::isfinite(rewards[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "advantages: sample ", i, " has reward ", rewards[i],
          "; rewards must be finite (NaN marks a reward that does not apply)"));
    }
    valid_by_group[group_ids[i]].push_back(rewards[i]);
    all_valid.push_back(rewards[i]);
  }
  std::map<int64_t, Moments> moments;
  int groups_with_rewards = 0;
  int zero_std_groups = 0;
  for (const auto& [id, values] : valid_by_group) {
    moments[id] = MomentsOf(values);
    if (values.empty()) continue;
    ++groups_with_rewards;
    zero_std_groups += moments[id].all_equal ? 1 : 0;
  }
  out.num_groups = static_cast<int>(valid_by_group.size());
  out.frac_reward_zero_std =
      groups_with_rewards == 0 ? 0.0 : static_cast<double>(zero_std_groups) / groups_with_rewards;

  const double batch_std = MomentsOf(all_valid).std;
  const bool divide = options.estimator != config::AdvantageEstimator::kDrGrpo &&
                      options.scale != config::RewardScaling::kNone;
  for (size_t i = 0; i < rewards.size(); ++i) {
    if (std::isnan(rewards[i])) continue;
    out.trainable[i] = true;
    const Moments& group = moments[group_ids[i]];
    if (group.all_equal) continue;  // exactly 0: no gradient from a group that ties
    double advantage = rewards[i] - Baseline(group, rewards[i], options.estimator);
    if (divide) {
      double std = options.scale == config::RewardScaling::kGroup ? group.std : batch_std;
      advantage /= std + options.epsilon;
    }
    out.values[i] = static_cast<float>(advantage);
  }
  return out;
}

}  // namespace zerorl::learner
