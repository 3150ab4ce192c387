// Model FLOPs and the hardware peak they are compared with (MFU).
//
// Training FLOPs of one sequence of length T with C loss tokens, forward + backward = 3x
// forward, where forward = 2 * (matmul parameters of the layers) * T + attention
// 4 * layers * heads * head_dim * T^2 (scores and values over the full T x T square, as
// PaLM's and nanoGPT's MFU count it) + the LM head 2 * vocab * hidden * C (the learner
// computes logits only where there is loss). Embedding lookups, norms and softmaxes count 0.
#ifndef ZERORL_LEARNER_FLOPS_H_
#define ZERORL_LEARNER_FLOPS_H_

#include <cstdint>

#include <torch/types.h>

#include "model/hf_config.h"

namespace zerorl::learner {

// Matmul parameters of the decoder layers (q, k, v, o, gate, up, down; biases and norms
// excluded), all layers together.
int64_t LayerMatmulParams(const model::ModelArchConfig& config);

// Forward + backward FLOPs of one sequence of `length` tokens with `loss_tokens` of them
// reaching the LM head.
double TrainingFlops(const model::ModelArchConfig& config, int64_t length, int64_t loss_tokens);

// Measured matmul throughput (FLOP/s) of square `dtype` products on `device` with the
// current intra-op thread count. The size grows from 256 until one product takes about
// `min_product_ms` (large enough to reach the GEMM's steady speed, at most 4096), then the
// best of three products at that size counts: a fraction of a second on any device, also
// where `dtype` runs on a slow generic path (bf16 on an AVX2 CPU: the first size stops).
double MeasureMatmulPeakFlops(torch::Device device, torch::ScalarType dtype,
                              double min_product_ms = 20.0);

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_FLOPS_H_
