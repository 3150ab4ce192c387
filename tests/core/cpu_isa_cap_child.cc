// The process CpuIsaCapTest starts: appends a line to argv[1] each time it starts (so the test
// sees a restart), applies the ZERORL_CPU_ISA cap as zerorl's main does, then prints the
// variables the libraries read.
#include <cstdio>
#include <cstdlib>

#include "core/cpu_features.h"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (FILE* starts = std::fopen(argv[1], "a")) {
    std::fputs("start\n", starts);
    std::fclose(starts);
  }
  zerorl::core::ApplyCpuIsaCapToLibraries(argv);
  for (const char* name : {"ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "OPENBLAS_CORETYPE"}) {
    const char* value = std::getenv(name);
    std::printf("%s=%s\n", name, value != nullptr ? value : "(unset)");
  }
  return 0;
}
