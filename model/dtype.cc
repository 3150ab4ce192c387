#include "model/dtype.h"

#include <c10/util/Exception.h>

namespace zerorl::model {

c10::ScalarType ScalarTypeOf(config::DType dtype) {
  switch (dtype) {
    case config::DType::kBFloat16: return c10::kBFloat16;
    case config::DType::kFloat32: return c10::kFloat;
    case config::DType::kFloat16: return c10::kHalf;
    case config::DType::kAuto: break;
  }
  TORCH_CHECK(false, "dtype \"auto\" was not resolved: call config::ResolvePrecision first");
}

}  // namespace zerorl::model
