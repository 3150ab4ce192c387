// Checkpoints: a Hugging Face model folder plus what an exact resume needs.
//
//   checkpoints/step-N/
//     model.safetensors, config.json   the float32 master weights (loads in transformers)
//     tokenizer.json, ...              copied from the tokenizer/model folders, if present
//     optimizer.safetensors            AdamW moments and step counts ("<param>.exp_avg", ...);
//                                      with learner.shard_optimizer over N ranks, one
//                                      optimizer.rank-R-of-N.safetensors per rank instead
//                                      (its part of each parameter and "<param>.offset")
//     rng_state.safetensors            torch generator states ("cpu", "cuda.0", ...)
//     trainer_state.json               step, policy version, updates, dataset cursor, the
//                                      number of learner ranks and optimizer shards
//
// With learner ranks, Save and Load are called on rank 0 and every rank takes part: rank 0
// writes the full float32 weights, and the optimizer shards the other ranks send it. A
// checkpoint loads on any number of ranks: sharded state is put back together and cut again
// for the new ranks (2 ranks -> 1, 1 -> 2, sharded <-> not), so --resume continues with the
// optimizer state intact, whatever cluster.learner_ranks and learner.shard_optimizer are now.
//
//   ASSIGN_OR_RETURN(std::string dir, SaveCheckpoint(*learner, run_dir + "/checkpoints", extras));
//   RETURN_IF_ERROR(RotateCheckpoints(run_dir + "/checkpoints", config.run.keep_last));
//   ...
//   ASSIGN_OR_RETURN(std::string last, LatestCheckpoint(run_dir + "/checkpoints"));
//   ASSIGN_OR_RETURN(ResumeState state, LoadCheckpoint(last, learner.get()));
//
// A checkpoint is written into a hidden temporary folder next to its final place and
// renamed into place only when complete, so a crash at any moment leaves either the whole
// step-N folder or none of it (plus a hidden folder that RotateCheckpoints removes). One
// learner writes a checkpoints folder at a time.
#ifndef ZERORL_LEARNER_CHECKPOINT_H_
#define ZERORL_LEARNER_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "learner/learner.h"

namespace zerorl::learner {

struct CheckpointExtras {
  // Folders whose tokenizer and generation files (tokenizer.json, tokenizer_config.json,
  // special_tokens_map.json, generation_config.json, vocab.json, merges.txt, ...) are
  // copied in, first found wins; a path to a file copies that file. Missing ones are skipped.
  std::vector<std::string> copy_files_from;
  // The caller's dataset position as JSON text (opaque here, returned on load). Must parse.
  std::string dataset_cursor_json = "null";
};

// Writes `checkpoints_dir`/step-<learner.step()> (replacing an existing one of that step)
// and returns its path. kInvalidArgument when dataset_cursor_json does not parse;
// kUnavailable for I/O errors, after which no step folder is left half-written.
absl::StatusOr<std::string> SaveCheckpoint(Learner& learner, const std::string& checkpoints_dir,
                                           const CheckpointExtras& extras);

struct ResumeState {
  int64_t step = 0;
  int64_t policy_version = 0;
  int64_t world_size = 1;  // learner ranks that wrote the checkpoint
  std::string dataset_cursor_json = "null";
};

// Restores weights, optimizer state, generator states and counters into `learner` (built
// for the same architecture). kNotFound when a file is missing, kInvalidArgument when one
// is malformed or does not match the learner (naming the file); after a failure the
// learner may be partly restored and should be discarded.
absl::StatusOr<ResumeState> LoadCheckpoint(const std::string& checkpoint_dir, Learner* learner);

// The step-N folder with the largest N, or kNotFound when there is none.
absl::StatusOr<std::string> LatestCheckpoint(const std::string& checkpoints_dir);

// Deletes all but the `keep_last` newest step-N folders, and leftovers of interrupted saves.
absl::Status RotateCheckpoints(const std::string& checkpoints_dir, int keep_last);

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_CHECKPOINT_H_
