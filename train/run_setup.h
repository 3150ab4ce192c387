// Where a training run lives and what model it starts from.
//
//   runs/NAME/
//     config.json        the fully resolved config, as run (model.path filled in)
//     metrics.jsonl      one JSON object per step
//     samples.jsonl      prompts, completions, rewards, advantages
//     ledger.jsonl       the controller's audit trail (controller/controller.h)
//     summary.json       eval before/after, steps, wall times
//     checkpoints/step-N/
//     init-model/        the model made from model.init when model.path is empty
//     logs/              one log per spawned worker
#ifndef ZERORL_TRAIN_RUN_SETUP_H_
#define ZERORL_TRAIN_RUN_SETUP_H_

#include <string>

#include "absl/status/statusor.h"
#include "config/config.h"

namespace zerorl::train {

struct RunPaths {
  std::string dir;
  std::string config_json;
  std::string metrics;
  std::string samples;
  std::string ledger;
  std::string summary;
  std::string checkpoints;
  std::string init_model;
  std::string logs;
};

// Creates output_dir/name and its sub-folders. Without `resume`, a folder that already holds
// a run (a metrics.jsonl) is left alone and NAME-2, NAME-3, ... is used instead (the caller
// reports which). With `resume`, the folder must exist (kNotFound otherwise).
absl::StatusOr<RunPaths> PrepareRunDir(const config::Config& config, bool resume);

struct InitialModel {
  std::string model_dir;       // HF folder: config.json + safetensors (+ tokenizer)
  std::string tokenizer_path;  // folder or tokenizer.json
};

// The model the run starts from: model.path (and model.tokenizer), or, when model.path is
// empty, a new Qwen2-architecture model with seeded random weights from model.init and the
// byte-level tokenizer, written to paths.init_model (reused as it is when it exists, so a
// resumed run starts from the same architecture).
absl::StatusOr<InitialModel> PrepareInitialModel(const config::Config& config,
                                                 const RunPaths& paths);

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_RUN_SETUP_H_
