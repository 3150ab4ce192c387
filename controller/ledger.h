// The controller's ledger of work: every batch, which phase it is in (waiting for a
// rollout worker, at one, waiting for a reward worker, at one, done), which worker holds it
// since when, and how many times it was sent. It is plain bookkeeping with no sockets, so
// the rules that make "nothing lost, nothing counted twice" true are tested on their own:
//
//  * a batch is accepted once per phase: the first valid answer moves it on; any later
//    answer for that phase (a worker presumed dead that woke up, a duplicate) is dropped;
//  * a worker that dies, or a batch held past its deadline, puts the batch back at the
//    front of its phase's queue;
//  * a worker's free slots are its slots minus the batches in its hands, including ones
//    already redone elsewhere, so a worker that is merely slow is never flooded.
//
// Not thread-safe: the controller thread owns it.
#ifndef ZERORL_CONTROLLER_LEDGER_H_
#define ZERORL_CONTROLLER_LEDGER_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace zerorl::controller {

enum class Phase { kRollout, kReward };
const char* PhaseName(Phase phase);  // "rollout", "reward"

class Ledger {
 public:
  using Clock = std::chrono::steady_clock;

  enum class State { kWaitRollout, kAtRollout, kWaitReward, kAtReward, kDone };

  struct Entry {
    State state = State::kWaitRollout;
    std::string worker;            // holder while kAt*
    Clock::time_point since;       // when it was handed out
    int attempts_rollout = 0;      // times handed to a rollout worker
    int attempts_reward = 0;
  };

  // What happened to an answer.
  enum class Answer { kAccepted, kDuplicate, kUnknown };

  // A new batch waiting for a rollout worker. false if the id was used before.
  bool Add(uint64_t batch_id);

  // A worker with `slots` free slots. One already there (it joined again) is removed first,
  // as by RemoveWorker: it starts with empty hands.
  void AddWorker(const std::string& worker, Phase phase, int slots);
  // Removes the worker; its batches still in its hands go back to their queues (front).
  // Returns those batch ids.
  std::vector<uint64_t> RemoveWorker(const std::string& worker);
  bool HasWorker(const std::string& worker) const { return workers_.count(worker) > 0; }
  int FreeSlots(const std::string& worker) const;

  // The next batch waiting for `phase`, if any, without taking it.
  std::optional<uint64_t> PeekWaiting(Phase phase) const;
  // Hands the batch at the front of `phase`'s queue to `worker`. The queue must not be
  // empty and `worker` must be in the ledger (PeekWaiting, AddWorker).
  void Dispatch(Phase phase, const std::string& worker, Clock::time_point now);

  // `worker` answered for `batch_id` in `phase`; the batch leaves its hands either way.
  // kAccepted: the first answer for the phase the batch is in, from whichever worker (also
  // one it was taken from), and the batch moves on; kDuplicate: the batch is past that
  // phase; kUnknown: no such batch.
  Answer Complete(uint64_t batch_id, Phase phase, const std::string& worker);

  // `worker` gave up on `batch_id` (a malformed answer): it leaves the worker's hands and,
  // if the worker was its holder, goes back to the front of its queue. True if requeued.
  bool Abandon(uint64_t batch_id, const std::string& worker);

  // Gives up on the batch (the controller cannot send it on): it leaves its queue and
  // counts as done, so a later answer for it is a duplicate; a worker still working on it
  // keeps the slot until it answers or dies. False for an unknown id.
  bool Drop(uint64_t batch_id);

  // Batches held by a worker for longer than `deadline` go back to their queues (the holder
  // keeps the slot until it answers or dies). Returns them.
  std::vector<uint64_t> ExpireOlderThan(std::chrono::milliseconds deadline, Clock::time_point now);

  const Entry* Find(uint64_t batch_id) const;
  size_t waiting(Phase phase) const;
  size_t in_flight() const;  // not yet kDone
  int64_t duplicates() const { return duplicates_; }      // kDuplicate + kUnknown answers
  int64_t redispatched() const { return redispatched_; }  // batches put back in a queue

 private:
  struct Worker {
    Phase phase;
    int slots;
    std::set<uint64_t> holding;  // batches sent to it and not yet answered by it
  };
  void Requeue(uint64_t batch_id, Entry& entry);

  std::map<uint64_t, Entry> entries_;
  std::deque<uint64_t> waiting_rollout_;
  std::deque<uint64_t> waiting_reward_;
  std::map<std::string, Worker> workers_;
  int64_t duplicates_ = 0;
  int64_t redispatched_ = 0;
};

}  // namespace zerorl::controller

#endif  // ZERORL_CONTROLLER_LEDGER_H_
