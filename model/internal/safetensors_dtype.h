// Private: the safetensors dtype table shared by the reader and the writer.
#ifndef ZERORL_MODEL_INTERNAL_SAFETENSORS_DTYPE_H_
#define ZERORL_MODEL_INTERNAL_SAFETENSORS_DTYPE_H_

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

namespace zerorl::model {

struct SafetensorsDtype {
  const char* name;         // "F32"
  torch::ScalarType type;   // torch::kFloat
  uint64_t size;            // bytes per element
};

// The entry named `name` ("BF16"), or nullptr for a dtype this build cannot hold.
const SafetensorsDtype* FindSafetensorsDtype(const std::string& name);
// The entry for a torch dtype, or nullptr.
const SafetensorsDtype* FindSafetensorsDtype(torch::ScalarType type);
// "F64, F32, ..." for error messages.
std::string KnownSafetensorsDtypes();
// "[151936, 64]".
std::string ShapeString(const std::vector<int64_t>& shape);

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_INTERNAL_SAFETENSORS_DTYPE_H_
