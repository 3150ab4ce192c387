// The learner ranks beyond rank 0. Rank 0 (`zerorl train`) drives them through its Learner
// objects (learner.h: Create, Step, SftStep, RestoreCounters, checkpoints); every other rank
// (`zerorl learner`) runs ServeLearnerRank, which mirrors each of those calls: it builds the
// same learners from rank 0's weights, trains on the share of each step that rank 0 sends,
// and takes part in every collective, until rank 0 says stop.
//
//   // ranks 1..N-1
//   ASSIGN_OR_RETURN(auto group, distributed::Group::Create(options));
//   RETURN_IF_ERROR(ServeLearnerRank(group, torch::kCPU));
//   // rank 0, when the run ends
//   RETURN_IF_ERROR(StopLearnerRanks(*group));
//
// Commands travel as short JSON text through the group's store (Group::PostCommand), the
// tensors over its collectives. Each command ends with every rank saying whether it
// succeeded; a rank that fails reports why (Group::ReportFailure) and returns the error, so
// that rank 0's error names it.
#ifndef ZERORL_LEARNER_RANKS_H_
#define ZERORL_LEARNER_RANKS_H_

#include <memory>

#include <torch/types.h>

#include "absl/status/status.h"
#include "distributed/group.h"

namespace zerorl::learner {

// Ranks > 0: serves rank 0's commands with the learners on `device`. OK when rank 0 said
// stop; kUnavailable when rank 0 went away; a command's own error after reporting it.
absl::Status ServeLearnerRank(std::shared_ptr<distributed::Group> group, torch::Device device);

// Rank 0: tells every other rank to return from ServeLearnerRank.
absl::Status StopLearnerRanks(distributed::Group& group);

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_RANKS_H_
