// Ready run configs compiled into the binary from configs/*.json (see cli/CMakeLists.txt).
#ifndef ZERORL_CLI_EMBEDDED_CONFIGS_H_
#define ZERORL_CLI_EMBEDDED_CONFIGS_H_

#include <string>
#include <vector>

namespace zerorl::cli {

struct EmbeddedConfig {
  const char* name;  // file name without .json: "quickstart"
  const char* text;
};

const std::vector<EmbeddedConfig>& EmbeddedConfigs();

}  // namespace zerorl::cli

#endif  // ZERORL_CLI_EMBEDDED_CONFIGS_H_
