#include "verifiers/sandbox/languages.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "verifiers/sandbox/internal/harness.h"

namespace zerorl::sandbox {
namespace {

Limits CompileLimits() {
  Limits limits;
  limits.wall_time_ms = 20000;
  limits.cpu_time_ms = 20000;
  limits.memory_mib = 1024;
  limits.max_processes = 16;       // g++ -> cc1plus, as, collect2, ld
  limits.file_size_mib = 64;       // the executable
  limits.stdout_limit_bytes = 64 << 10;
  limits.stderr_limit_bytes = 64 << 10;  // template errors are long; the start is enough
  return limits;
}

std::vector<Language> MakeLanguages() {
  std::vector<Language> languages;

  Language cpp;
  cpp.name = "cpp";
  cpp.aliases = {"c++", "cc", "cxx"};
  cpp.source_file = "main.cpp";
  cpp.compile_argv = {"/usr/bin/g++", "-std=c++17", "-O2", "-pipe", "-o", "/tmp/a.out",
                      "/tmp/main.cpp"};
  cpp.run_argv = {"/tmp/a.out"};
  cpp.compile_limits = CompileLimits();
  languages.push_back(cpp);

  // The single-file source launcher compiles in memory and runs (JDK 11+); the public class
  // may have any name. Serial GC, C1 only and no perf data keep startup short and threads
  // few; MaxRAM makes the heap fit the memory limit.
  Language java;
  java.name = "java";
  java.source_file = "Main.java";
  java.run_argv = {"/usr/bin/java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                   "-XX:-UsePerfData", "-XX:MaxRAM={memory_mib}m", "-Xss64m", "/tmp/Main.java"};
  java.host_paths = {"/etc/java-17-openjdk", "/etc/java-21-openjdk"};
  java.address_space_extra_mib = 4096;  // code cache and class space are reserved up front
  languages.push_back(java);

  // Debian's interpreter (not a user-level shim such as pyenv's): -I ignores PYTHON*
  // variables and user site-packages, -B writes no .pyc files.
  Language python;
  python.name = "python";
  python.aliases = {"python3", "py"};
  python.source_file = "main.py";
  python.run_argv = {"/usr/bin/python3", "-I", "-B", "/tmp/main.py"};
  python.harness_argv = {"/usr/bin/python3", "-I", "-B", "-c", PythonHarnessSource()};
  languages.push_back(python);
  return languages;
}

}  // namespace

const std::vector<Language>& Languages() {
  static const std::vector<Language>* languages = new std::vector<Language>(MakeLanguages());
  return *languages;
}

const Language* FindLanguage(std::string_view name) {
  for (const Language& language : Languages()) {
    if (language.name == name) return &language;
    for (const std::string& alias : language.aliases) {
      if (alias == name) return &language;
    }
  }
  return nullptr;
}

std::string LanguageNames() {
  std::vector<std::string> names;
  for (const Language& language : Languages()) names.push_back(language.name);
  return absl::StrJoin(names, ", ");
}

std::vector<std::string> ExpandArgv(const std::vector<std::string>& argv, const Limits& limits) {
  std::vector<std::string> expanded;
  expanded.reserve(argv.size());
  std::string memory = absl::StrCat(limits.memory_mib);
  for (const std::string& arg : argv) {
    expanded.push_back(absl::StrReplaceAll(arg, {{"{memory_mib}", memory}}));
  }
  return expanded;
}

}  // namespace zerorl::sandbox
