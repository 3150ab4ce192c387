// The languages the sandbox runs, as a table: adding one is adding an entry here (and, if
// its toolchain lives outside /usr, its host paths, which every box then binds read-only).
//
// Command lines are fixed argv vectors (no shell). "{memory_mib}" in an argument is replaced
// by the run's memory limit (the JVM sizes its heap from it).
#ifndef ZERORL_VERIFIERS_SANDBOX_LANGUAGES_H_
#define ZERORL_VERIFIERS_SANDBOX_LANGUAGES_H_

#include <string>
#include <string_view>
#include <vector>

#include "verifiers/sandbox/sandbox.h"

namespace zerorl::sandbox {

struct Language {
  std::string name;                      // "python", "cpp", "java"
  std::vector<std::string> aliases;      // also accepted: "python3", "c++", ...
  std::string source_file;               // the program's file in /tmp
  std::vector<std::string> compile_argv;  // empty: nothing to compile
  std::vector<std::string> run_argv;
  // The assertion-test harness (verifiers/sandbox/internal/harness.h), or empty when the language has none.
  std::vector<std::string> harness_argv;
  std::vector<std::string> host_paths;   // extra read-only host paths the toolchain needs
  int64_t address_space_extra_mib = 0;   // RLIMIT_AS slack when no cgroup limits memory
  Limits compile_limits;                 // defaults for the compiler
};

// Every language, in a fixed order.
const std::vector<Language>& Languages();
// By name or alias; nullptr when unknown.
const Language* FindLanguage(std::string_view name);
// "cpp, java, python" for error messages.
std::string LanguageNames();
// `argv` with "{memory_mib}" replaced.
std::vector<std::string> ExpandArgv(const std::vector<std::string>& argv, const Limits& limits);

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_LANGUAGES_H_
