// Math verifier speed, single-threaded, on two workloads from the shared fixtures:
//   (a) Math-Verify's own test cases (verifier/math_verify_cases.jsonl, each with its
//       options): LaTeX, sets, intervals, relations, long completions;
//   (b) GSM8K test answers against completions built from the same file: the reference
//       solution with its "#### N" line replaced by "The answer is $\boxed{N}$.".
//
//   build/bench/math_verify_bench [--data DIR] [--seconds S]
//
// Side by side, in the same process: the same verifier with its plain-number fast path
// off (MathOptions::fast_number_path = false: every answer through the tokenizer, parser
// and general comparer). The Math-Verify reference numbers are the ones measured on this
// machine for the issue (36/s on (a), 950/s on (b)); Python's Math-Verify cannot be run
// here (PyPI is unreachable), so they are quoted, not re-measured.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/json.h"
#include "verifiers/math/verifier.h"

namespace {

constexpr double kMathVerifyCasesPerSecond = 36;   // Math-Verify on (a), measured for the issue
constexpr double kMathVerifyGsm8kPerSecond = 950;  // Math-Verify on (b), measured for the issue

struct Item {
  std::string gold, completion;
  zerorl::math::MathOptions options;
  bool expected = true;
};

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

bool ReadLines(const std::string& path, std::vector<rapidjson::Document>* out) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "math_verify_bench: cannot read " << path << "\n";
    return false;
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    absl::StatusOr<rapidjson::Document> doc = zerorl::core::ParseJson(line);
    if (!doc.ok() || !doc->IsObject()) {
      std::cerr << "math_verify_bench: " << path << ":" << number << ": not a JSON object\n";
      return false;
    }
    out->push_back(std::move(*doc));
  }
  return true;
}

std::string Field(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength()) : "";
}

bool LoadCases(const std::string& dir, std::vector<Item>* items) {
  std::vector<rapidjson::Document> docs;
  if (!ReadLines(dir + "/verifier/math_verify_cases.jsonl", &docs)) return false;
  for (const auto& d : docs) {
    Item item;
    item.gold = Field(d, "gold");
    item.completion = Field(d, "pred");
    item.expected = d.HasMember("expected") && d["expected"].IsBool() && d["expected"].GetBool();
    if (d.HasMember("options")) {
      absl::Status s = zerorl::math::MathOptionsFromJson(d["options"], &item.options);
      if (!s.ok()) {
        std::cerr << "math_verify_bench: " << s.message() << "\n";
        return false;
      }
    }
    items->push_back(std::move(item));
  }
  return true;
}

bool LoadGsm8k(const std::string& dir, std::vector<Item>* items) {
  std::vector<rapidjson::Document> docs;
  if (!ReadLines(dir + "/gsm8k/test.jsonl", &docs)) return false;
  for (const auto& d : docs) {
    std::string solution = Field(d, "answer");
    absl::StatusOr<std::string> gold = zerorl::math::ExtractGoldAnswer(solution);
    if (!gold.ok()) continue;
    Item item;
    item.gold = *gold;
    item.completion = solution.substr(0, solution.rfind("####")) + "The answer is $\\boxed{" + *gold + "}$.";
    items->push_back(std::move(item));
  }
  return true;
}

struct Run {
  double per_second = 0;
  int correct = 0, agree = 0;
};

// Verdicts per second over whole passes of `items`, for at least `seconds`.
Run Measure(const std::vector<Item>& items, bool fast, double seconds) {
  Run run;
  size_t verdicts = 0;
  auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  int passes = 0;
  do {
    for (const Item& item : items) {
      zerorl::math::MathOptions options = item.options;
      options.fast_number_path = fast;
      zerorl::math::MathVerdict v = zerorl::math::VerifyMath(item.gold, item.completion, options);
      bool correct = v.verdict == zerorl::math::MathVerdictKind::kCorrect;
      if (passes == 0) {
        run.correct += correct;
        run.agree += correct == item.expected;
      }
      ++verdicts;
    }
    ++passes;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  run.per_second = verdicts / elapsed;
  return run;
}

void Report(const char* name, const std::vector<Item>& items, double reference, double seconds) {
  Run general = Measure(items, false, seconds);
  Run fast = Measure(items, true, seconds);
  std::printf("%-34s %6zu pairs  agree %zu/%zu\n", name, items.size(), static_cast<size_t>(fast.agree), items.size());
  std::printf("  %-32s %12.0f verdicts/s\n", "Math-Verify (quoted, not run)", reference);
  std::printf("  %-32s %12.0f verdicts/s  %7.1fx Math-Verify\n", "zerorl, general path", general.per_second,
              general.per_second / reference);
  std::printf("  %-32s %12.0f verdicts/s  %7.1fx Math-Verify  %5.2fx general path\n", "zerorl", fast.per_second,
              fast.per_second / reference, fast.per_second / general.per_second);
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("CPU: %s\n", zerorl::core::HostCpu().Describe().c_str());
  std::string data = EnvOr("ZERORL_TEST_DATA", std::string(ZERORL_DEFAULT_SOURCE_DIR) + "/../shared/data");
  double seconds = 2.0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--data" && i + 1 < argc) {
      data = argv[++i];
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::cerr << "usage: math_verify_bench [--data DIR] [--seconds S]\n";
      return 2;
    }
  }
  std::vector<Item> cases, gsm8k;
  if (!LoadCases(data, &cases) || !LoadGsm8k(data, &gsm8k)) return 1;
  std::printf("math verifier, single-threaded, %.1f s per measurement (data: %s)\n\n", seconds, data.c_str());
  Report("(a) math_verify_cases.jsonl", cases, kMathVerifyCasesPerSecond, seconds);
  Report("(b) GSM8K test vs \\boxed{} answers", gsm8k, kMathVerifyGsm8kPerSecond, seconds);
  return 0;
}
