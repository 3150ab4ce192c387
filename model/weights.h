// Model folders in Hugging Face layout: load (config.json + model.safetensors or a sharded
// index), save (the same layout, loadable by transformers and vLLM), and random init.
//
//   ASSIGN_OR_RETURN(CausalLM model, LoadModel("Qwen2.5-0.5B-Instruct", {torch::kBFloat16}));
//   RETURN_IF_ERROR(SaveModel(*model, run_dir + "/checkpoints/step-50", {torch::kBFloat16}));
//   CausalLM tiny = RandomModel(arch, /*seed=*/1, torch::kFloat, torch::kCPU);
#ifndef ZERORL_MODEL_WEIGHTS_H_
#define ZERORL_MODEL_WEIGHTS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "model/safetensors.h"
#include "model/transformer.h"

namespace zerorl::model {

struct LoadOptions {
  torch::ScalarType dtype = torch::kBFloat16;  // parameters are converted on load
  torch::Device device = torch::kCPU;
};

// Reads DIR/config.json and DIR's safetensors, builds the model and copies every tensor in.
// A checkpoint without lm_head.weight is loaded tied whatever tie_word_embeddings says (and
// the returned config says tied). Errors name the file: kNotFound for a missing config or
// weights, kInvalidArgument for a malformed/unsupported config, malformed safetensors, or
// tensors that do not match the architecture (see LoadWeights).
absl::StatusOr<CausalLM> LoadModel(const std::string& dir, const LoadOptions& options = {});

// Copies `tensors` (any dtype/device; floating point) into `model`'s parameters with copy_()
// under NoGradGuard. Every parameter must be present with its exact shape and nothing else may
// be (rotary_emb.inv_freq buffers of old checkpoints, and lm_head.weight of a tied model, are
// skipped). On failure (kInvalidArgument listing the missing, unexpected or mis-shaped tensors
// with both shapes, prefixed by `source`) the model is left unchanged.
absl::Status LoadWeights(CausalLMImpl& model, const TensorMap& tensors,
                         const std::string& source);

// The model's parameters by Hugging Face name (views of the parameters, detached).
TensorMap StateDict(CausalLMImpl& model);

struct SaveOptions {
  torch::ScalarType dtype = torch::kBFloat16;  // kBFloat16, kFloat or kHalf
  // save_pretrained's default: bigger checkpoints become model-0000K-of-0000N shards + index.
  uint64_t max_shard_bytes = 5'000'000'000;
};

// Writes DIR/model.safetensors (or shards + index) and DIR/config.json (torch_dtype set to
// options.dtype) so that DIR loads back here and in transformers. Creates DIR if needed;
// existing files of the same names are replaced atomically. kUnavailable on I/O errors.
absl::Status SaveModel(CausalLMImpl& model, const std::string& dir,
                       const SaveOptions& options = {});

// transformers' _init_weights: every matrix ~ normal(0, config.initializer_range), norm weights
// 1, biases 0. Draws in float32 on the CPU from a generator seeded with `seed`, in
// named_parameters() order, so a seed gives the same weights on every device and dtype.
void RandomInit(CausalLMImpl& model, uint64_t seed);

// CausalLM(config, dtype, device) + RandomInit(seed).
CausalLM RandomModel(const ModelArchConfig& config, uint64_t seed,
                     torch::ScalarType dtype = torch::kFloat,
                     torch::Device device = torch::kCPU);

// "bfloat16", "float32", "float16" (config.json's torch_dtype).
std::string TorchDtypeName(torch::ScalarType dtype);

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_WEIGHTS_H_
