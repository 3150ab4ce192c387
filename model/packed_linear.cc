#include "model/packed_linear.h"

#include <ATen/record_function.h>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#ifdef ZERORL_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace zerorl::model {

#ifdef ZERORL_HAVE_DNNL
namespace {

using dnnl::memory;

dnnl::engine& CpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

memory::desc RowMajor(int64_t rows, int64_t cols, memory::data_type type) {
  return memory::desc({rows, cols}, type, memory::format_tag::ab);
}

// A tensor the packed copy was made from, and what it looked like then.
struct Source {
  at::Tensor tensor;
  int64_t version = 0;
  const void* data = nullptr;

  bool Changed() const {
    return tensor.defined() && (tensor._version() != version || tensor.data_ptr() != data);
  }
  void Remember() {
    if (!tensor.defined()) return;
    version = tensor._version();
    data = tensor.data_ptr();
  }
};

class DnnlPackedLinear final : public PackedLinear {
 public:
  DnnlPackedLinear(std::vector<at::Tensor> weights, std::vector<at::Tensor> biases,
                   memory::data_type type)
      : type_(type), stream_(CpuEngine()) {
    in_ = weights[0].size(1);
    out_ = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      out_ += weights[i].size(0);
      weights_.push_back({std::move(weights[i])});
      biases_.push_back({i < biases.size() ? std::move(biases[i]) : at::Tensor()});
      has_bias_ |= biases_.back().tensor.defined();
    }
    Pack();
  }

  at::Tensor Apply(const at::Tensor& x) override {
    RECORD_FUNCTION("zerorl::PackedLinear", std::vector<c10::IValue>());  // for profiles
    TORCH_CHECK(x.size(-1) == in_ && x.scalar_type() == dtype() && x.device().is_cpu(),
                "PackedLinear: input ", x.sizes(), " ", x.scalar_type(), " on ", x.device(),
                " does not match the packed [", out_, ", ", in_, "] ", dtype(), " CPU weight");
    if (SourcesChanged()) Pack();
    at::Tensor rows = x.reshape({-1, in_}).contiguous();  // [M, in]
    int64_t m = rows.size(0);
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = out_;
    at::Tensor out = at::empty({m, out_}, x.options());  // [M, out]
    if (m == 0) return out.view(shape);
    try {
      std::unordered_map<int, memory> args = {
          {DNNL_ARG_SRC, memory(RowMajor(m, in_, type_), CpuEngine(), rows.data_ptr())},
          {DNNL_ARG_WEIGHTS, packed_},
          {DNNL_ARG_DST, memory(RowMajor(m, out_, type_), CpuEngine(), out.data_ptr())}};
      if (has_bias_) {
        args.emplace(DNNL_ARG_BIAS, memory(RowMajor(1, out_, type_), CpuEngine(),
                                           bias_.data_ptr()));
      }
      PrimitiveFor(m).execute(stream_, args);
      stream_.wait();
    } catch (const dnnl::error& e) {
      TORCH_CHECK(false, "PackedLinear: oneDNN matmul of ", m, " rows failed: ", e.what());
    }
    return out.view(shape);
  }

  int64_t out_features() const override { return out_; }

 private:
  bool SourcesChanged() const {
    auto changed = [](const Source& source) { return source.Changed(); };
    return std::any_of(weights_.begin(), weights_.end(), changed) ||
           std::any_of(biases_.begin(), biases_.end(), changed);
  }

  at::ScalarType dtype() const {
    return type_ == memory::data_type::bf16 ? at::kBFloat16 : at::kFloat;
  }

  // Concatenates the sources and reorders them into the layout the matmul kernels want. The
  // layout is asked for a 64-row problem; oneDNN picks the same one for 1 to 2048 rows here,
  // and a primitive for another row count is made with this layout given explicitly.
  void Pack() {
    std::vector<at::Tensor> parts;
    for (const Source& w : weights_) parts.push_back(w.tensor.detach());
    at::Tensor plain = (parts.size() == 1 ? parts[0] : at::cat(parts, 0)).contiguous();
    memory::desc plain_desc({in_, out_}, type_, memory::format_tag::ba);  // [out, in] row-major
    memory::desc any({in_, out_}, type_, memory::format_tag::any);
    dnnl::matmul::primitive_desc probe(
        dnnl::matmul::desc(RowMajor(64, in_, type_), any, RowMajor(64, out_, type_)),
        CpuEngine());
    if (!(probe.weights_desc() == packed_desc_)) {
      packed_desc_ = probe.weights_desc();
      packed_ = memory(packed_desc_, CpuEngine());
      primitives_.clear();
    }
    memory source(plain_desc, CpuEngine(), plain.data_ptr());
    dnnl::reorder(source, packed_).execute(stream_, source, packed_);
    stream_.wait();
    if (has_bias_) {
      std::vector<at::Tensor> bias_parts;
      for (size_t i = 0; i < biases_.size(); ++i) {
        const at::Tensor& b = biases_[i].tensor;
        bias_parts.push_back(b.defined() ? b.detach()
                                         : at::zeros({weights_[i].tensor.size(0)},
                                                     weights_[i].tensor.options()));
      }
      bias_ = at::cat(bias_parts, 0).contiguous().view({1, out_});  // [1, out]
    }
    for (Source& w : weights_) w.Remember();
    for (Source& b : biases_) b.Remember();
  }

  const dnnl::matmul& PrimitiveFor(int64_t rows) {
    auto it = primitives_.find(rows);
    if (it != primitives_.end()) return it->second;
    if (primitives_.size() >= 256) primitives_.clear();  // prefill chunk sizes vary
    dnnl::matmul::desc desc =
        has_bias_ ? dnnl::matmul::desc(RowMajor(rows, in_, type_), packed_desc_,
                                       RowMajor(1, out_, type_), RowMajor(rows, out_, type_))
                  : dnnl::matmul::desc(RowMajor(rows, in_, type_), packed_desc_,
                                       RowMajor(rows, out_, type_));
    dnnl::matmul primitive(dnnl::matmul::primitive_desc(desc, CpuEngine()));
    return primitives_.emplace(rows, std::move(primitive)).first->second;
  }

  std::vector<Source> weights_, biases_;
  bool has_bias_ = false;
  int64_t in_ = 0, out_ = 0;
  memory::data_type type_;
  memory::desc packed_desc_;
  memory packed_;
  at::Tensor bias_;  // [1, out] in the weights' dtype; undefined without biases
  dnnl::stream stream_;
  std::unordered_map<int64_t, dnnl::matmul> primitives_;  // by row count
};

}  // namespace
#endif  // ZERORL_HAVE_DNNL

std::unique_ptr<PackedLinear> PackedLinear::Create(std::vector<at::Tensor> weights,
                                                   std::vector<at::Tensor> biases) {
#ifdef ZERORL_HAVE_DNNL
  if (weights.empty() || (!biases.empty() && biases.size() != weights.size())) return nullptr;
  const at::Tensor& first = weights[0];
  at::ScalarType dtype = first.scalar_type();
  if (!first.device().is_cpu() || (dtype != at::kBFloat16 && dtype != at::kFloat)) {
    return nullptr;
  }
  for (size_t i = 0; i < weights.size(); ++i) {
    const at::Tensor& w = weights[i];
    if (w.dim() != 2 || w.size(1) != first.size(1) || w.scalar_type() != dtype ||
        !w.device().is_cpu()) {
      return nullptr;
    }
    if (i < biases.size() && biases[i].defined() &&
        (biases[i].dim() != 1 || biases[i].size(0) != w.size(0) ||
         biases[i].scalar_type() != dtype || !biases[i].device().is_cpu())) {
      return nullptr;
    }
  }
  try {
    return std::make_unique<DnnlPackedLinear>(
        std::move(weights), std::move(biases),
        dtype == at::kBFloat16 ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32);
  } catch (const dnnl::error&) {
    return nullptr;  // e.g. no bf16 matmul on this CPU: at::linear it is
  }
#else
  (void)weights;
  (void)biases;
  return nullptr;
#endif
}

bool PackedLinearAvailable() {
#ifdef ZERORL_HAVE_DNNL
  return true;
#else
  return false;
#endif
}

bool PackedLinearSupports(at::ScalarType dtype) {
  static const bool bf16 =
      PackedLinear::Create({at::zeros({16, 16}, at::kBFloat16)}, {}) != nullptr;
  static const bool f32 = PackedLinear::Create({at::zeros({16, 16}, at::kFloat)}, {}) != nullptr;
  return dtype == at::kBFloat16 ? bf16 : dtype == at::kFloat ? f32 : false;
}

}  // namespace zerorl::model
