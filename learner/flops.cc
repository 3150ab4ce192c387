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

namespace {

// Seconds of one `size` x `size` product (c = a b), waiting for the device.
double TimeProduct(const at::Tensor& a, const at::Tensor& b, at::Tensor& c) {
  auto start = std::chrono::steady_clock::now();
  at::mm_out(c, a, b);
  c.sum().item<double>();  // waits for the device; a 2-D sum is noise next to the product
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

double MeasureMatmulPeakFlops(torch::Device device, torch::ScalarType dtype,
                              double min_product_ms) {
  auto options = at::TensorOptions().dtype(at::kFloat).device(device);
  int64_t size = 256;
  at::Tensor a, b, c;
  for (;;) {
    a = at::randn({size, size}, options).to(dtype);
    b = at::randn({size, size}, options).to(dtype);
    c = at::empty({size, size}, options.dtype(dtype));
    TimeProduct(a, b, c);  // warm-up: first-use costs (oneDNN primitives, thread pools)
    if (TimeProduct(a, b, c) * 1e3 >= min_product_ms || size >= 4096) break;
    size *= 2;
  }
  double best_seconds = TimeProduct(a, b, c);
  for (int run = 0; run < 2; ++run) best_seconds = std::min(best_seconds, TimeProduct(a, b, c));
  return 2.0 * size * size * size / best_seconds;
}

}  // namespace zerorl::learner
