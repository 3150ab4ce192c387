// Two learner ranks over real Gloo on loopback (rank 1 serves on a second thread, with its own
// TCPStore client and process group) against one rank on the same samples: GRPO and SFT steps,
// DDP and ZeRO-1, bit-identical ranks, checkpoints across world sizes.
#include <filesystem>
#include <future>
#include <random>
#include <thread>

#include <torch/torch.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "learner/checkpoint.h"
#include "learner/learner.h"
#include "learner/rank_balance.h"
#include "learner/ranks.h"
#include "tests/learner/learner_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::learner {
namespace {

using testing::RandomSamples;
using testing::TinyModel;
using ::zerorl::testing::IsOk;

// Rank 0 in this thread, rank 1 serving on another, until Stop().
class TwoRanks {
 public:
  TwoRanks() {
    std::promise<int> port;
    std::shared_future<int> port_future = port.get_future().share();
    follower_ = std::thread([this, port_future] {
      distributed::GroupOptions o;
      o.rank = 1;
      o.world_size = 2;
      o.master_port = port_future.get();
      o.timeout = std::chrono::seconds(60);
      absl::StatusOr<std::shared_ptr<distributed::Group>> group = distributed::Group::Create(o);
      follower_status_ = group.ok() ? ServeLearnerRank(*group, torch::kCPU) : group.status();
    });
    distributed::GroupOptions o;
    o.world_size = 2;
    o.timeout = std::chrono::seconds(60);
    o.on_listening = [&port](int p) {
      port.set_value(p);
      return absl::OkStatus();
    };
    absl::StatusOr<std::shared_ptr<distributed::Group>> group = distributed::Group::Create(o);
    EXPECT_THAT(group, IsOk());
    if (group.ok()) group_ = *group;
  }
  ~TwoRanks() { Stop(); }

  void Stop() {
    if (!follower_.joinable()) return;
    if (group_) {
      EXPECT_THAT(StopLearnerRanks(*group_), IsOk());
    }
    follower_.join();
    EXPECT_THAT(follower_status_, IsOk());
  }
  std::shared_ptr<distributed::Group> group() const { return group_; }

 private:
  std::shared_ptr<distributed::Group> group_;
  std::thread follower_;
  absl::Status follower_status_;
};

// Every stateful part on: a reference model (beta), mu = 2, entropy, weight decay, warmup,
// several micro-batches of at most 40 tokens. lr 1e-4 (GRPO runs use 1e-6 to 1e-5): two ranks
// sum the gradient in another order and over other micro-batches, and Adam divides each
// element by sqrt(v) + eps, so an element whose terms nearly cancel (|g| ~ eps = 1e-8) turns
// a last-bit difference into up to ~lr * |dg| / eps of weight. One rank with another
// micro-batch split differs the same way (TwoRanksDifferNoMoreThanAnotherMicroBatchSplit).
LearnerOptions Options(std::shared_ptr<distributed::Group> group, bool shard) {
  LearnerOptions o = testing::ResumeRecipeOptions();
  o.optimizer.lr = 1e-4;
  o.group = std::move(group);
  o.shard_optimizer = shard;
  o.bucket_bytes = 4096;  // several buckets even for the tiny model
  return o;
}

std::unique_ptr<Learner> Make(const LearnerOptions& options) {
  auto learner = Learner::Create(options, TinyModel(1), TinyModel(1));
  EXPECT_THAT(learner, IsOk());
  return learner.ok() ? std::move(learner).value() : nullptr;
}

TrainBatch Batch(uint32_t seed, int64_t policy_version, int groups = 4) {
  std::mt19937 rng(seed);
  return BuildTrainBatch(RandomSamples(rng, groups, 3, 48, policy_version), BatchOptions()).value();
}

double MaxWeightDifference(Learner& a, Learner& b) {
  auto pa = a.policy().named_parameters();
  auto pb = b.policy().named_parameters();
  double worst = 0.0;
  for (const auto& item : pa) {
    worst = std::max(worst, (item.value() - pb[item.key()]).abs().max().item<double>());
  }
  return worst;
}

class LearnerRanksTest : public ::testing::TestWithParam<bool> {};  // shard_optimizer

TEST_P(LearnerRanksTest, GrpoStepOnTwoRanksMatchesOneRank) {
  TwoRanks ranks;
  ASSERT_NE(ranks.group(), nullptr);
  auto one = Make(Options(nullptr, GetParam()));
  auto two = Make(Options(ranks.group(), GetParam()));
  ASSERT_TRUE(one && two);
  TrainBatch batch = Batch(11, 0);
  auto m1 = one->Step(batch);
  auto m2 = two->Step(batch);
  ASSERT_THAT(m1, IsOk());
  ASSERT_THAT(m2, IsOk());
  EXPECT_LE(MaxWeightDifference(*one, *two), 1e-6);
  EXPECT_NEAR(m2->at("loss"), m1->at("loss"), 1e-6 * std::max(1.0, std::fabs(m1->at("loss"))));
  EXPECT_NEAR(m2->at("grad_norm"), m1->at("grad_norm"), 1e-6 * m1->at("grad_norm"));
  EXPECT_NEAR(m2->at("kl"), m1->at("kl"), 1e-8);  // the second update's KL sees the first's weights
  EXPECT_NEAR(m2->at("entropy"), m1->at("entropy"), 1e-6);
  EXPECT_EQ(m2->at("learner/ranks"), 2);
  EXPECT_LT(m2->at("learner/token_imbalance"), 0.1);
  EXPECT_GE(m2->at("timing/allreduce_s"), 0.0);
  EXPECT_EQ(m1->at("learner/ranks"), 1);
  EXPECT_EQ(two->policy_version(), 1);
}

TEST_P(LearnerRanksTest, SftStepOnTwoRanksMatchesOneRank) {
  TwoRanks ranks;
  ASSERT_NE(ranks.group(), nullptr);
  LearnerOptions options = Options(nullptr, GetParam());
  options.algorithm.beta = 0.0;
  auto one = Make(options);
  options.group = ranks.group();
  auto two = Make(options);
  ASSERT_TRUE(one && two);
  std::vector<SftExample> examples;
  std::mt19937 rng(5);
  for (const Sample& s : RandomSamples(rng, 3, 3, 48)) {
    examples.push_back({s.prompt_ids, s.completion_ids});
  }
  TrainBatch batch = BuildSftBatch(examples, 64).value();
  auto m1 = one->SftStep(batch);
  auto m2 = two->SftStep(batch);
  ASSERT_THAT(m1, IsOk());
  ASSERT_THAT(m2, IsOk());
  EXPECT_LE(MaxWeightDifference(*one, *two), 1e-6);
  EXPECT_NEAR(m2->at("loss"), m1->at("loss"), 1e-6 * m1->at("loss"));
  EXPECT_NEAR(m2->at("grad_norm"), m1->at("grad_norm"), 1e-6 * m1->at("grad_norm"));
}

// Five steps: the ranks' weights stay bit-identical, and every step's loss and gradient norm
// are the one-rank ones.
TEST_P(LearnerRanksTest, RanksStayBitIdenticalAndMatchOneRankOverFiveSteps) {
  TwoRanks ranks;
  ASSERT_NE(ranks.group(), nullptr);
  auto one = Make(Options(nullptr, GetParam()));
  auto two = Make(Options(ranks.group(), GetParam()));
  ASSERT_TRUE(one && two);
  for (int step = 0; step < 5; ++step) {
    TrainBatch batch = Batch(100 + step, step, 2 + step % 3);
    auto m1 = one->Step(batch);
    auto m2 = two->Step(batch);
    ASSERT_THAT(m1, IsOk());
    ASSERT_THAT(m2, IsOk());
    EXPECT_NEAR(m2->at("loss"), m1->at("loss"), 1e-5 * std::max(1.0, std::fabs(m1->at("loss"))))
        << "step " << step;
    EXPECT_NEAR(m2->at("grad_norm"), m1->at("grad_norm"), 1e-5 * m1->at("grad_norm"))
        << "step " << step;
    absl::StatusOr<std::vector<uint32_t>> sums = two->WeightChecksums();
    ASSERT_THAT(sums, IsOk());
    ASSERT_EQ(sums->size(), 2u);
    EXPECT_EQ((*sums)[0], (*sums)[1]) << "the ranks' weights differ after step " << step;
  }
  EXPECT_LE(MaxWeightDifference(*one, *two), 1e-5);
}

// One sample for two ranks: rank 1 has no rows and still takes part in every collective.
TEST_P(LearnerRanksTest, ARankWithoutRowsStillSteps) {
  TwoRanks ranks;
  ASSERT_NE(ranks.group(), nullptr);
  auto one = Make(Options(nullptr, GetParam()));
  auto two = Make(Options(ranks.group(), GetParam()));
  ASSERT_TRUE(one && two);
  std::mt19937 rng(3);
  std::vector<Sample> samples = RandomSamples(rng, 1, 2, 48);
  samples[0].reward = 1.0;
  samples[1].reward = 0.0;
  samples.pop_back();  // one sample: advantage 0, but the KL and entropy terms still move it
  TrainBatch batch = BuildTrainBatch(samples, BatchOptions()).value();
  ASSERT_THAT(one->Step(batch), IsOk());
  ASSERT_THAT(two->Step(batch), IsOk());
  EXPECT_LE(MaxWeightDifference(*one, *two), 1e-6);
}

// At lr 1e-3 the ranks' weights differ from one rank's by ~1e-5, and so does one rank that
// only splits the same batch into other micro-batches: summation order, nothing else.
TEST_P(LearnerRanksTest, TwoRanksDifferNoMoreThanAnotherMicroBatchSplit) {
  TwoRanks ranks;
  ASSERT_NE(ranks.group(), nullptr);
  LearnerOptions options = Options(nullptr, GetParam());
  options.optimizer.lr = 1e-3;
  auto one = Make(options);
  options.micro_batch_tokens = 100000;  // the whole batch in one forward
  auto unsplit = Make(options);
  options.micro_batch_tokens = 40;
  options.group = ranks.group();
  auto two = Make(options);
  ASSERT_TRUE(one && unsplit && two);
  TrainBatch batch = Batch(11, 0);
  ASSERT_THAT(one->Step(batch), IsOk());
  ASSERT_THAT(unsplit->Step(batch), IsOk());
  ASSERT_THAT(two->Step(batch), IsOk());
  const double split = MaxWeightDifference(*one, *unsplit);
  EXPECT_GT(split, 0.0);
  EXPECT_LE(MaxWeightDifference(*one, *two), 2 * split);
}

INSTANTIATE_TEST_SUITE_P(DdpAndZero1, LearnerRanksTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("ShardedOptimizer")
                                             : std::string("ReplicatedOptimizer");
                         });

// A checkpoint of two ranks with sharded optimizer state continues exactly on two ranks, and
// on one rank (and one of a single rank continues on two, sharded): the state is put back
// together and re-cut, and the next step is the step the original ranks would have taken.
TEST(LearnerRanksCheckpointTest, ResumesAcrossWorldSizes) {
  ::zerorl::testing::TempDir dir;
  TwoRanks ranks;
  ASSERT_NE(ranks.group(), nullptr);
  auto two = Make(Options(ranks.group(), /*shard=*/true));
  ASSERT_TRUE(two);
  for (int step = 0; step < 2; ++step) ASSERT_THAT(two->Step(Batch(200 + step, step)), IsOk());
  absl::StatusOr<std::string> saved = SaveCheckpoint(*two, dir.Path("two"), CheckpointExtras());
  ASSERT_THAT(saved, IsOk());
  EXPECT_TRUE(std::filesystem::exists(*saved + "/optimizer.rank-1-of-2.safetensors"));
  EXPECT_FALSE(std::filesystem::exists(*saved + "/optimizer.safetensors"));
  TrainBatch next = Batch(300, 2);
  ASSERT_THAT(two->Step(next), IsOk());

  auto same = Make(Options(ranks.group(), /*shard=*/true));  // 2 -> 2: exact
  ASSERT_TRUE(same);
  ASSERT_THAT(LoadCheckpoint(*saved, same.get()), IsOk());
  ASSERT_THAT(same->Step(next), IsOk());
  EXPECT_EQ(MaxWeightDifference(*same, *two), 0.0);
  same.reset();

  auto one = Make(Options(nullptr, false));  // 2 -> 1
  ASSERT_TRUE(one);
  absl::StatusOr<ResumeState> state = LoadCheckpoint(*saved, one.get());
  ASSERT_THAT(state, IsOk());
  EXPECT_EQ(state->world_size, 2);
  EXPECT_EQ(one->policy_version(), 2);
  ASSERT_THAT(one->Step(next), IsOk());
  EXPECT_LE(MaxWeightDifference(*one, *two), 1e-6);

  // 1 -> 2 (sharded): from a one-rank checkpoint.
  absl::StatusOr<std::string> single = SaveCheckpoint(*one, dir.Path("one"), CheckpointExtras());
  ASSERT_THAT(single, IsOk());
  TrainBatch last = Batch(400, 3);
  ASSERT_THAT(one->Step(last), IsOk());
  auto again = Make(Options(ranks.group(), /*shard=*/true));
  ASSERT_TRUE(again);
  ASSERT_THAT(LoadCheckpoint(*single, again.get()), IsOk());
  ASSERT_THAT(again->Step(last), IsOk());
  EXPECT_LE(MaxWeightDifference(*one, *again), 1e-6);
  absl::StatusOr<std::vector<uint32_t>> sums = again->WeightChecksums();
  ASSERT_THAT(sums, IsOk());
  EXPECT_EQ((*sums)[0], (*sums)[1]);
}

TEST(LearnerMemoryTest, ShardingSplitsTheOptimizerStateOnly) {
  LearnerOptions o;
  o.compute_dtype = torch::kBFloat16;
  const int64_t p = 1000;
  LearnerMemory alone = EstimateLearnerMemory(p, o, /*with_reference=*/false, 1, 0);
  EXPECT_EQ(alone.parameters, 4 * p + 2 * p);
  EXPECT_EQ(alone.gradients, 4 * p);
  EXPECT_EQ(alone.optimizer, 8 * p);
  o.shard_optimizer = true;
  LearnerMemory first = EstimateLearnerMemory(p + 1, o, false, 2, 0);
  LearnerMemory second = EstimateLearnerMemory(p + 1, o, false, 2, 1);
  EXPECT_EQ(first.optimizer, 8 * 501);
  EXPECT_EQ(second.optimizer, 8 * 500);
  EXPECT_EQ(first.gradients, 4 * 1002);  // padded to a multiple of the ranks
  o.shard_optimizer = false;
  EXPECT_EQ(EstimateLearnerMemory(p, o, true, 2, 1).optimizer, 8 * p);
  EXPECT_EQ(EstimateLearnerMemory(p, o, true, 2, 1).parameters, 4 * p + 2 * p + 2 * p);
  EXPECT_EQ(alone.Describe(), "parameters 0.0 MiB, gradients 0.0 MiB, optimizer state 0.0 MiB");
}

TEST(RankBalanceTest, EveryRowOnceAndTokensWithinAFewPercent) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> length(20, 600);
  std::vector<int64_t> lengths(64);
  for (auto& l : lengths) l = length(rng);
  for (int ranks : {1, 2, 3, 4}) {
    std::vector<std::vector<int64_t>> shares = BalanceRowsByTokens(lengths, ranks);
    ASSERT_EQ(shares.size(), static_cast<size_t>(ranks));
    std::vector<int> seen(lengths.size(), 0);
    for (const auto& share : shares) {
      EXPECT_TRUE(std::is_sorted(share.begin(), share.end()));
      for (int64_t row : share) ++seen[row];
    }
    for (int count : seen) EXPECT_EQ(count, 1);
    EXPECT_LT(TokenImbalance(lengths, shares), 0.03) << ranks << " ranks";
  }
}

TEST(RankBalanceTest, LongestRowsGoToTheLightestRank) {
  std::vector<std::vector<int64_t>> shares = BalanceRowsByTokens({5, 9, 3, 8}, 2);
  EXPECT_EQ(shares[0], (std::vector<int64_t>{1, 2}));  // 9 + 3
  EXPECT_EQ(shares[1], (std::vector<int64_t>{0, 3}));  // 8 + 5
  EXPECT_DOUBLE_EQ(TokenImbalance({5, 9, 3, 8}, shares), 13.0 / 12.5 - 1.0);
  std::vector<std::vector<int64_t>> few = BalanceRowsByTokens({4}, 3);
  EXPECT_EQ(few[0], (std::vector<int64_t>{0}));
  EXPECT_TRUE(few[1].empty() && few[2].empty());
  EXPECT_EQ(TokenImbalance({}, BalanceRowsByTokens({}, 2)), 0.0);
}

}  // namespace
}  // namespace zerorl::learner
