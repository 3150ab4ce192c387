// Child process of ResumeTest: trains the resume recipe from scratch, writes a checkpoint
// after every step from step 3 on, and keeps going until it is killed (or 1000 steps).
//
//   learner_resume_child CHECKPOINTS_DIR
#include <cstdio>
#include <iostream>

#include <torch/torch.h>

#include "learner/checkpoint.h"
#include "tests/learner/learner_test_util.h"

int main(int argc, char** argv) {
  using namespace zerorl::learner;
  if (argc != 2) {
    std::cerr << "usage: learner_resume_child CHECKPOINTS_DIR\n";
    return 2;
  }
  at::set_num_threads(1);
  std::unique_ptr<Learner> learner = testing::ResumeRecipeLearner();
  if (!learner) return 1;
  torch::manual_seed(testing::kResumeRecipeSeed);
  for (int64_t step = 1; step <= 1000; ++step) {
    auto metrics = learner->Step(testing::ResumeRecipeBatch(learner->policy_version()));
    if (!metrics.ok()) {
      std::cerr << metrics.status() << "\n";
      return 1;
    }
    if (step < 3) continue;
    CheckpointExtras extras;
    extras.dataset_cursor_json = "{\"next_batch\": " + std::to_string(step) + "}";
    auto saved = SaveCheckpoint(*learner, argv[1], extras);
    if (!saved.ok()) {
      std::cerr << saved.status() << "\n";
      return 1;
    }
  }
  return 0;
}
