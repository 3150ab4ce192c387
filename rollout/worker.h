// The rollout worker's compute loop (`zerorl rollout --connect ENDPOINT`): takes PromptBatches
// from the controller through a WorkerLink, generates with the Engine, answers Rollouts, and
// applies weight versions between batches, never inside one.
//
//   ASSIGN_OR_RETURN(auto engine, Engine::Load(...));
//   std::atomic<bool> stop{false};
//   RETURN_IF_ERROR(RunRolloutWorker(*engine, link_options, &stop));
//
// A batch the engine refuses (a prompt too long for the cache, an id outside the
// vocabulary) is answered with "abort" completions, so the controller does not hand the
// same bad batch out forever; the learner gives aborted samples no loss.
#ifndef ZERORL_ROLLOUT_WORKER_H_
#define ZERORL_ROLLOUT_WORKER_H_

#include <atomic>

#include "absl/status/status.h"
#include "rollout/engine.h"
#include "wire/worker_link.h"

namespace zerorl::rollout {

// Runs until the controller says Shutdown (OK) or `*stop` becomes true (OK). Errors only
// for a link that cannot start.
absl::Status RunRolloutWorker(Engine& engine, const wire::WorkerLinkOptions& link_options,
                              const std::atomic<bool>* stop);

// Answers `batch` with the engine (exposed for tests).
wire::Rollouts GenerateBatch(Engine& engine, const wire::PromptBatch& batch,
                             wire::Metrics* metrics);

}  // namespace zerorl::rollout

#endif  // ZERORL_ROLLOUT_WORKER_H_
