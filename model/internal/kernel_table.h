// Private: the fused CPU kernels as raw-pointer loops, one table per instruction-set level.
// cpu_kernels.cc (the ATen side: shapes, strides, threads, what this LibTorch computes) picks a
// table and calls through it; each table is defined by one translation unit compiled for its
// level (cmake: zerorl_isa_sources):
//
//   cpu_kernels_scalar.cc  plain x86-64 (SSE2)       kScalarKernels
//   cpu_kernels_avx2.cc    AVX2 + FMA + F16C          kAvx2Kernels
//   cpu_kernels_avx512.cc  AVX-512 F/BW/VL/DQ (+AVX2)  kAvx512Kernels
//
// All three compile the same code (cpu_kernels_body.inc) with -ffp-contract=off and lane
// accumulators that fix the order of every sum. AVX2 and AVX-512 give the same bits for the
// same input. The scalar level has no FMA: it gives those bits too where an ATen op's bits are
// reproduced (RMSNorm; RoPE, whose float32 multiply-add is fused exactly where LibTorch's
// addcmul_ fuses it, by fmaf at the scalar level), and may differ in the last bit where a
// kernel uses its own exp or dot products (core::MulAdd: fused with FMA only).
//
// Rules for the per-ISA files (checked after every build by cmake/CheckIsaObjects.cmake): they
// include nothing from LibTorch, Abseil or the standard library beyond <cstdint>/<cstring> (and
// <immintrin.h>, whose intrinsics are always inlined),
// keep their functions in an unnamed namespace, and export only their table. An inline or
// template function they instantiated with external linkage would be a weak symbol compiled for
// their ISA, which the linker may pick for every caller: a SIGILL on an older CPU.
#ifndef ZERORL_MODEL_INTERNAL_KERNEL_TABLE_H_
#define ZERORL_MODEL_INTERNAL_KERNEL_TABLE_H_

#include <cstdint>

namespace zerorl::model::kernels {

// bf16 tensors are passed as their raw bits (uint16_t), float32 as float.
struct KernelTable {
  // silu(gate) * up for `rows` rows of gate_up [rows, 2n] (gate first) -> out [rows, n].
  // round_each_op (bf16 only): round exp, 1 + exp and the quotient to bf16 as LibTorch 1.x's
  // Vectorized<BFloat16> does; otherwise silu is computed in float and rounded once.
  void (*swiglu_bf16)(const uint16_t* gate_up, int64_t rows, int64_t n, bool round_each_op,
                      uint16_t* out);
  void (*swiglu_f32)(const float* gate_up, int64_t rows, int64_t n, float* out);

  // weight * (x * rsqrt(mean(x^2) + eps)) over rows of d, the product x * rsqrt rounded to the
  // storage type first; the sum of squares adds in at::sum's order for `lanes` (8 or 16).
  void (*rms_norm_bf16)(const uint16_t* x, const uint16_t* weight, int64_t rows, int64_t d,
                        float eps, int lanes, uint16_t* out);
  void (*rms_norm_f32)(const float* x, const float* weight, int64_t rows, int64_t d, float eps,
                       int lanes, float* out);

  // Rotary embedding of one token: heads x hd values at x (contiguous), the token's cos [hd]
  // and sin [hd / 2] -> out [heads, hd]. fused (float32 only): the rotated half is added with
  // one rounding (fmaf), as LibTorch's vectorized addcmul_ compiled with FMA does.
  void (*rope_token_bf16)(const uint16_t* x, const uint16_t* cos, const uint16_t* sin,
                          int64_t heads, int64_t hd, uint16_t* out);
  void (*rope_token_f32)(const float* x, const float* cos, const float* sin, int64_t heads,
                         int64_t hd, bool fused, float* out);

  // softmax(round(score * scale), masked to -inf where blocked[l] != 0) over one row of
  // `length`, computed in float, stored in the row's type; an all-blocked row is NaN.
  // scratch: [length] float32.
  void (*masked_softmax_row_bf16)(const uint16_t* scores, const uint8_t* blocked, int64_t length,
                                  float scale, float* scratch, uint16_t* out);
  void (*masked_softmax_row_f32)(const float* scores, const uint8_t* blocked, int64_t length,
                                 float scale, float* scratch, float* out);

  // The `group` query heads that share one kv head, over `length` cached positions:
  //   q: [group, hd] float32; keys, values: [length, hd]; out: [group, hd];
  //   scratch: [group * length + group * hd + length * hd] float32.
  // bf16: q k^T and the scaled scores round to bf16, the probabilities too; with
  // values_round_each_add the weighted sum of values rounds every product and every partial
  // sum to bf16, position by position (LibTorch 1.13's own bf16 gemm, used where oneDNN has no
  // bf16 matmul), otherwise it adds in float and rounds once.
  void (*attend_kv_head_bf16)(const float* q, const uint16_t* keys, const uint16_t* values,
                              int64_t group, int64_t length, int64_t hd, float scale,
                              bool values_round_each_add, float* scratch, uint16_t* out);
  void (*attend_kv_head_f32)(const float* q, const float* keys, const float* values,
                             int64_t group, int64_t length, int64_t hd, float scale,
                             float* scratch, float* out);
};

extern const KernelTable kScalarKernels;
#if defined(ZERORL_X86_KERNELS)
extern const KernelTable kAvx2Kernels;
extern const KernelTable kAvx512Kernels;
#endif

}  // namespace zerorl::model::kernels

#endif  // ZERORL_MODEL_INTERNAL_KERNEL_TABLE_H_
