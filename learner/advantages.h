// Group-relative advantages: each sample's reward is compared with the other samples drawn
// for the same prompt (its group), never across groups.
//
//   AdvantageOptions options = AdvantageOptionsFromConfig(config.learner.algorithm);
//   absl::StatusOr<Advantages> a = ComputeAdvantages(rewards, group_ids, options);
//   // a->values[i] multiplies sample i's policy-gradient term; a->trainable[i] == false
//   // means sample i must get no loss at all (its reward was not applicable).
//
// Estimators (r = reward, mean/std over the valid samples of the group):
//   grpo     (r - mean) / (std + epsilon)         (DeepSeekMath)
//   dr_grpo  r - mean                              (Dr. GRPO: no std, ever)
//   rloo     r - mean of the *other* samples       (leave-one-out; = G/(G-1) (r - mean))
// scale_rewards picks the std that grpo and rloo divide by: the group's (default), the
// whole batch's (TRL scale_rewards="batch"), or none. std is the unbiased sample std
// (torch.std), 0 for fewer than two samples.
//
// A reward of NaN means "not applicable" (e.g. the verifier could not judge the sample):
// the sample is left out of its group's mean and std and is not trainable. A group whose
// valid rewards are all equal has every advantage exactly 0 (no policy gradient), however
// the mean rounds.
#ifndef ZERORL_LEARNER_ADVANTAGES_H_
#define ZERORL_LEARNER_ADVANTAGES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"

namespace zerorl::learner {

struct AdvantageOptions {
  config::AdvantageEstimator estimator = config::AdvantageEstimator::kGrpo;
  config::RewardScaling scale = config::RewardScaling::kGroup;
  double epsilon = 1e-4;  // added to the std (TRL's value)
};

AdvantageOptions AdvantageOptionsFromConfig(const config::AlgorithmConfig& config);

struct Advantages {
  std::vector<float> values;   // [N] per sample; 0 where !trainable
  std::vector<bool> trainable;  // [N] false: reward not applicable, sample gets no loss
  int num_groups = 0;
  // Fraction of groups (with >= 1 valid reward) whose valid rewards are all equal: they
  // teach nothing (TRL frac_reward_zero_std).
  double frac_reward_zero_std = 0.0;
  int num_not_applicable = 0;  // samples with a NaN reward
};

// `rewards` [N] and `group_ids` [N]: samples with the same id form one group (in any
// order). Fails with kInvalidArgument when the sizes differ or a reward is infinite.
absl::StatusOr<Advantages> ComputeAdvantages(const std::vector<double>& rewards,
                                             const std::vector<int64_t>& group_ids,
                                             const AdvantageOptions& options);

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_ADVANTAGES_H_
