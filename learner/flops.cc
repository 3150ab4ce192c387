#include "learner/flops.h"

#include <algorithm>
#include <chrono>

#include <ATen/ATen.h>

namespace zerorl::learner {

int64_t LayerMatmulParams(const model::ModelArchConfig& c) {
  const int64_t q = c.num_attention_heads * c.head_dim;
  const int64_t kv = c.num_key_value_heads * c.head_dim;
  const int64_t attention = c.hidden_size * (q + 2 * kv) + q * c.hidden_size;
  const int64_t mlp = 3 * c.hidden_size * c.intermediate_size;
  return c.num_hidden_layers * (attention + mlp);
}

double TrainingFlops(const model::ModelArchConfig& c, int64_t length, int64_t loss_tokens) {
  const double t = static_cast<double>(length);
  const double layers = 2.0 * static_cast<double>(LayerMatmulParams(c)) * t;
  const double attention = 4.0 * c.num_hidden_layers * c.num_attention_heads * c.head_dim * t * t;
  const double head = 2.0 * static_cast<double>(c.vocab_size) * c.hidden_size * loss_tokens;
  return 3.0 * (layers + attention + head);
}

double MeasureMatmulPeakFlops(torch::Device device, torch::ScalarType dtype, int64_t size) {
  auto options = at::TensorOptions().dtype(dtype).device(device);
  at::Tensor a = at::randn({size, size}, options.dtype(at::kFloat)).to(dtype);
  at::Tensor b = at::randn({size, size}, options.dtype(at::kFloat)).to(dtype);
  at::Tensor c = at::mm(a, b);
  c.sum().item<double>();  // warm up, and wait for the device
  double best = 0.0;
  for (int run = 0; run < 3; ++run) {
    auto start = std::chrono::steady_clock::now();
    constexpr int kRepeats = 4;
    for (int i = 0; i < kRepeats; ++i) at::mm_out(c, a, b);
    c.sum().item<double>();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, kRepeats * 2.0 * size * size * size / seconds);
  }
  return best;
}

}  // namespace zerorl::learner
