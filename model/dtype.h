// The config's precision names as LibTorch scalar types.
#ifndef ZERORL_MODEL_DTYPE_H_
#define ZERORL_MODEL_DTYPE_H_

#include <c10/core/ScalarType.h>

#include "config/config.h"

namespace zerorl::model {

// bf16 -> kBFloat16, fp32 -> kFloat, fp16 -> kHalf. kAuto is a config value that
// config::ResolvePrecision replaces before a run starts; reaching here with it is a bug
// (TORCH_CHECK fails with that hint).
c10::ScalarType ScalarTypeOf(config::DType dtype);

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_DTYPE_H_
