// ResultCollector with a real Controller and real workers over real sockets: in-process
// worker threads on WorkerLink, and one worker in a child process started (and restarted)
// by train/launcher.h, as `zerorl train` does with cluster.spawn.
//
// The child is this test binary again, started with --collector-test-worker=ENDPOINT: a
// global test environment sees the flag before any test runs and serves as a rollout worker
// instead.
#include "train/collector.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"
#include "train/launcher.h"
#include "wire/worker_link.h"

namespace zerorl::train {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

constexpr auto kBeat = 50ms;
constexpr char kWorkerFlag[] = "--collector-test-worker=";

wire::PromptBatch MakeBatch(uint64_t id) {
  wire::PromptBatch b;
  b.batch_id = id;
  b.policy_version = 0;
  b.sampling.n = 2;
  wire::Prompt p;
  p.id = id;
  p.tokens = {1, 2};
  b.prompts.push_back(p);
  return b;
}

// Serves the controller at options.endpoint until Shutdown or `stop`: a rollout worker
// answers every batch after `delay` (its answers' times go to `answered`, when given); a
// reward worker scores each completion by its sample index.
void Serve(const wire::WorkerLinkOptions& options, std::chrono::milliseconds delay,
           const std::atomic<bool>& stop, std::vector<Clock::time_point>* answered = nullptr) {
  absl::StatusOr<std::unique_ptr<wire::WorkerLink>> link = wire::WorkerLink::Start(options);
  if (!link.ok()) return;
  while (!stop.load()) {
    std::optional<wire::WorkerEvent> event = (*link)->Next(20ms);
    if (!event || event->kind == wire::WorkerEvent::kShutdown) {
      if (event) return;
      continue;
    }
    if (event->kind == wire::WorkerEvent::kWeights) {
      (*link)->SetPolicyVersion(event->weights_version);
    } else if (const auto* batch = std::get_if<wire::PromptBatch>(&event->work)) {
      std::this_thread::sleep_for(delay);
      wire::Rollouts out;
      out.batch_id = batch->batch_id;
      for (const wire::Prompt& p : batch->prompts) {
        for (int i = 0; i < batch->sampling.n; ++i) {
          out.completions.push_back({p.id, i, 0, wire::FinishReason::kStop, {7}, {-0.5f}, "x"});
        }
      }
      (*link)->Send(std::move(out));
      if (answered != nullptr) answered->push_back(Clock::now());
    } else if (const auto* rollouts = std::get_if<wire::Rollouts>(&event->work)) {
      wire::ScoredGroups out;
      out.batch_id = rollouts->batch_id;
      out.functions = {"index"};
      for (const wire::Completion& c : rollouts->completions) {
        out.completions.push_back({c.prompt_id, c.sample_index, 1.0 * c.sample_index,
                                   {{wire::ScoreMark::kOk, 1.0 * c.sample_index, ""}}});
      }
      (*link)->Send(std::move(out));
    }
  }
}

wire::WorkerLinkOptions LinkOptions(const std::string& endpoint, wire::WorkerKind kind,
                                    const std::string& id) {
  wire::WorkerLinkOptions o;
  o.endpoint = endpoint;
  o.kind = kind;
  o.worker_id = id;
  o.heartbeat_interval = kBeat;
  o.liveness = 10;
  o.reconnect_interval = kBeat;
  o.reconnect_interval_max = 4 * kBeat;
  return o;
}

// In the child process: serve as "rollout-child" and exit before any test runs.
class WorkerProcessEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
    std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    const size_t at = args.find(kWorkerFlag);
    if (at == std::string::npos) return;
    const std::string endpoint = args.substr(at + sizeof(kWorkerFlag) - 1).c_str();
    std::atomic<bool> never{false};
    Serve(LinkOptions(endpoint, wire::WorkerKind::kRollout, "rollout-child"), 10ms, never);
    std::_Exit(0);
  }
};
[[maybe_unused]] ::testing::Environment* const kWorkerProcessEnvironment =
    ::testing::AddGlobalTestEnvironment(new WorkerProcessEnvironment);

// A worker on a thread of this process.
class WorkerThread {
 public:
  WorkerThread(const std::string& endpoint, wire::WorkerKind kind, const std::string& id,
               std::chrono::milliseconds delay)
      : thread_([=] { Serve(LinkOptions(endpoint, kind, id), delay, stop_, &answered_); }) {}
  ~WorkerThread() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // When it answered batches; read after Stop().
  const std::vector<Clock::time_point>& answered() const { return answered_; }

 private:
  std::atomic<bool> stop_{false};
  std::vector<Clock::time_point> answered_;
  std::thread thread_;
};

class ResultCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    controller::ControllerOptions options;
    options.endpoint = "ipc://" + dir_.Path("c.sock");
    options.heartbeat_interval = kBeat;
    options.liveness = 10;
    auto started = controller::Controller::Start(options);
    ASSERT_THAT(started, IsOk());
    controller_ = *std::move(started);
    ASSERT_THAT(controller_->Publish(0, {}), IsOk());
  }

  testing::TempDir dir_;
  std::unique_ptr<controller::Controller> controller_;
};

TEST_F(ResultCollectorTest, ReturnsTheAskedBatchesInIdOrderAndKeepsTheOthers) {
  WorkerThread rollout(controller_->endpoint(), wire::WorkerKind::kRollout, "rollout-0", 0ms);
  WorkerThread reward(controller_->endpoint(), wire::WorkerKind::kReward, "reward-0", 0ms);
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_THAT(controller_->Submit(MakeBatch(id)), IsOk());
  ResultCollector collector(controller_.get(), nullptr, nullptr);
  absl::StatusOr<std::vector<controller::ScoredBatch>> odd = collector.Await({3, 1});
  ASSERT_THAT(odd, IsOk());
  ASSERT_EQ(odd->size(), 2u);
  EXPECT_EQ((*odd)[0].batch.batch_id, 1u);
  EXPECT_EQ((*odd)[1].batch.batch_id, 3u);
  absl::StatusOr<std::vector<controller::ScoredBatch>> even = collector.Await({2, 4});
  ASSERT_THAT(even, IsOk());
  ASSERT_EQ(even->size(), 2u);
  EXPECT_EQ((*even)[0].scores.completions.size(), 2u);
}

TEST_F(ResultCollectorTest, StopFlagCancelsTheWait) {
  std::atomic<bool> stop{false};
  int idle_calls = 0;
  ResultCollector collector(controller_.get(), [&] { stop = ++idle_calls == 3; }, &stop, 20ms);
  ASSERT_THAT(controller_->Submit(MakeBatch(1)), IsOk());  // no worker will ever take it
  EXPECT_THAT(collector.Await({1}),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("interrupted")));
  EXPECT_EQ(idle_calls, 3);
}

TEST_F(ResultCollectorTest, ABatchTheControllerGaveUpOnIsAnError) {
  WorkerThread rollout(controller_->endpoint(), wire::WorkerKind::kRollout, "rollout-0", 0ms);
  // 80k prompts with long ids: the scoring request is over kMaxHeaderBytes.
  wire::PromptBatch big;
  big.batch_id = 7;
  big.sampling.n = 1;
  for (uint64_t i = 0; i < 80000; ++i) {
    wire::Prompt p;
    p.id = p.seed = 1000000000000000000 + i;
    big.prompts.push_back(p);
  }
  ASSERT_THAT(controller_->Submit(std::move(big)), IsOk());
  ResultCollector collector(controller_.get(), nullptr, nullptr);
  EXPECT_THAT(collector.Await({7}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("batch 7 given up")));
}

// The trainer's supervision (train/trainer.cc OnIdle) must run while results stream in: a
// worker that dies is restarted within one idle period of its back-off expiring.
TEST_F(ResultCollectorTest, OnIdleRunsEveryPeriodWhileResultsKeepArriving) {
  constexpr auto kPeriod = 100ms;
  constexpr auto kSlack = 500ms;  // a loaded 2-core machine (the full suite); fork() of this binary
  const std::string endpoint = controller_->endpoint();
  WorkerProcesses processes;
  ASSERT_THAT(processes.Start("rollout-child",
                              {SelfExecutable(), "--gtest_filter=ResultCollectorTest.*",
                               kWorkerFlag + endpoint},
                              dir_.Path("rollout-child.log")),
              IsOk());
  WorkerThread steady(endpoint, wire::WorkerKind::kRollout, "rollout-steady", 10ms);
  WorkerThread reward(endpoint, wire::WorkerKind::kReward, "reward-0", 0ms);
  ASSERT_THAT(controller_->WaitForWorkers(2, 1, 60s), IsOk()) << "child log: "
                                                              << dir_.Path("rollout-child.log");
  std::set<uint64_t> ids;
  for (uint64_t id = 1; id <= 300; ++id) {
    ASSERT_THAT(controller_->Submit(MakeBatch(id)), IsOk());
    ids.insert(id);
  }

  // The supervision: kill the child once (as OnIdle kills a hung worker), then reap and
  // restart it through the launcher.
  const Clock::time_point start = Clock::now();
  std::vector<Clock::time_point> idle_calls;
  std::optional<Clock::time_point> killed_at, reaped_at, due_at, restarted_at;
  auto on_idle = [&] {
    const Clock::time_point now = Clock::now();
    idle_calls.push_back(now);
    if (!killed_at && now - start > 300ms) {
      processes.Kill("rollout-child");
      killed_at = now;
    }
    const int restarted = processes.Poll();
    const WorkerProcess& child = processes.workers()[0];
    if (killed_at && !reaped_at && child.pid < 0) {
      reaped_at = now;
      due_at = child.restart_at;
    }
    if (restarted > 0 && !restarted_at) restarted_at = Clock::now();
  };
  ResultCollector collector(controller_.get(), on_idle, nullptr, kPeriod);
  absl::StatusOr<std::vector<controller::ScoredBatch>> results = collector.Await(ids);
  ASSERT_THAT(results, IsOk());
  EXPECT_EQ(results->size(), 300u);

  ASSERT_TRUE(killed_at && reaped_at && restarted_at)
      << idle_calls.size() << " idle calls in "
      << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()
      << " ms";
  EXPECT_LE(*reaped_at - *killed_at, kPeriod + kSlack);
  EXPECT_GE(*restarted_at, *due_at);
  EXPECT_LE(*restarted_at - *due_at, kPeriod + kSlack);
  // Results kept arriving all the while: the steady worker answered throughout.
  steady.Stop();
  const auto& answered = steady.answered();
  const auto during = std::count_if(answered.begin(), answered.end(), [&](Clock::time_point t) {
    return t > *killed_at && t < *restarted_at;
  });
  EXPECT_GE(during, 10);
  // on_idle ran at the period the whole time.
  Clock::time_point previous = start;
  for (Clock::time_point t : idle_calls) {
    EXPECT_LE(t - previous, kPeriod + kSlack);
    previous = t;
  }
  // The restarted process is a worker again.
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return controller_->stats().connected.count("rollout-child") > 0; }, 30000));
  controller_->Shutdown("test over");
  processes.StopAll(2s);
}

}  // namespace
}  // namespace zerorl::train
