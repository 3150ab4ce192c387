// Inference matmuls on the CPU with the weight packed once into the blocked layout oneDNN's
// matmul kernels read, instead of the row-major [out, in] tensor at::linear hands them. With
// the plain layout oneDNN re-blocks the whole weight on every call: for the 151,936 x 512 LM
// head of a small Qwen2 that is ~14 ms per call whatever the number of rows, more than the
// arithmetic of 64 decode rows. Packed, one row costs what streaming the weight once costs.
//
//   std::unique_ptr<PackedLinear> qkv = PackedLinear::Create({q.weight, k.weight, v.weight},
//                                                            {q.bias, k.bias, v.bias});
//   if (qkv) y = qkv->Apply(x);  // [..., in] -> [..., out_q + out_k + out_v]
//
// Several weights with the same input size can be packed as one (their outputs concatenated),
// so q/k/v or gate/up run as a single matmul. The packed copy follows its sources: Apply()
// repacks first when any source tensor was changed in place since (their version counters),
// so a weight update can never be silently ignored. It costs the memory of a second copy of
// the packed weights.
//
// Create() returns nullptr, and callers keep at::linear, when this build has no oneDNN
// (ZERORL_HAVE_DNNL), the weights are not on the CPU (on CUDA cuBLAS needs none of this), their
// dtype is neither bfloat16 nor float32, or oneDNN has no matmul for their dtype on this
// processor (PackedLinearSupports): float32 packs on every x86-64 processor, bfloat16 only on
// AVX-512 ones (oneDNN 2.x's avx512_core and up; with AVX512_BF16 or AMX it runs in hardware).
// On an AVX2-only processor a bf16 model therefore keeps at::linear, which is LibTorch's own
// single-threaded bf16 gemm there: float32 is the fast precision on such a machine.
//
// Thread-safety: none; one thread runs a model's forwards (see transformer.h).
#ifndef ZERORL_MODEL_PACKED_LINEAR_H_
#define ZERORL_MODEL_PACKED_LINEAR_H_

#include <memory>
#include <vector>

#include <ATen/ATen.h>

namespace zerorl::model {

class PackedLinear {
 public:
  // weights: [out_i, in] each, same dtype, CPU; biases: empty, or one per weight (an undefined
  // tensor for a weight without bias), [out_i]. Null when packing is not available (above).
  static std::unique_ptr<PackedLinear> Create(std::vector<at::Tensor> weights,
                                              std::vector<at::Tensor> biases);
  virtual ~PackedLinear() = default;

  // y = x W^T + b for x [..., in] in the weights' dtype (any strides); returns [..., out]
  // contiguous, same dtype.
  virtual at::Tensor Apply(const at::Tensor& x) = 0;
  virtual int64_t out_features() const = 0;
};

// True when this build can pack (compiled with oneDNN).
bool PackedLinearAvailable();
// True when Create() packs `dtype` weights on this processor (oneDNN asked once per dtype).
bool PackedLinearSupports(at::ScalarType dtype);

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_PACKED_LINEAR_H_
