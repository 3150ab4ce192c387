// Tokenizer encode speed, single-threaded: zerorl against Hugging Face's Rust `tokenizers`
// (its npm Node binding, run by bench/node/tokenizers_baseline.js) on the same texts in the
// same command. The texts are GSM8K train (question + answer) and MATH test (problem +
// solution) from the shared fixtures; the tokenizer is Qwen3's.
//
//   build/bench/tokenizer_bench [--tokenizer DIR] [--rounds N] [--no-baseline]
//
// Each round loads the tokenizer afresh (cold word cache) and encodes every text once
// without special tokens; the best round counts. The baseline needs node and
// `cd bench/node && npm install`; without them only zerorl's number is printed.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "tokenizer/tokenizer.h"

namespace {

struct Corpus {
  std::vector<std::string> texts;
  size_t bytes = 0;
};

struct Result {
  std::vector<double> seconds;
  size_t tokens = 0;
  int64_t checksum = 0;
  double best_mb_per_s = 0;
};

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// Appends the string fields `keys` of every line of a JSONL file.
bool ReadTexts(const std::string& path, const std::vector<const char*>& keys, Corpus* corpus) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "tokenizer_bench: cannot read " << path << "\n";
    return false;
  }
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    absl::StatusOr<rapidjson::Document> doc = zerorl::core::ParseJson(line);
    if (!doc.ok() || !doc->IsObject()) {
      std::cerr << "tokenizer_bench: " << path << ":" << line_number << ": not a JSON object\n";
      return false;
    }
    for (const char* key : keys) {
      auto it = doc->FindMember(key);
      if (it == doc->MemberEnd() || !it->value.IsString()) continue;
      corpus->texts.emplace_back(it->value.GetString(), it->value.GetStringLength());
      corpus->bytes += corpus->texts.back().size();
    }
  }
  return true;
}

void Fold(int32_t id, int64_t* checksum) { *checksum = (*checksum * 31 + id + 1) % 1000000007; }

Result RunZerorl(const std::string& tokenizer_path, const Corpus& corpus, int rounds) {
  Result result;
  for (int round = 0; round < rounds; ++round) {
    absl::StatusOr<zerorl::tokenizer::Tokenizer> tok =
        zerorl::tokenizer::Tokenizer::Load(tokenizer_path);
    if (!tok.ok()) {
      std::cerr << "tokenizer_bench: " << tok.status().message() << "\n";
      std::exit(2);
    }
    std::vector<int32_t> ids;
    result.tokens = 0;
    result.checksum = 0;
    auto start = std::chrono::steady_clock::now();
    for (const std::string& text : corpus.texts) {
      ids.clear();
      tok->EncodeTo(text, zerorl::tokenizer::EncodeOptions(), &ids);
      result.tokens += ids.size();
      for (int32_t id : ids) Fold(id, &result.checksum);
    }
    result.seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  double best = *std::min_element(result.seconds.begin(), result.seconds.end());
  result.best_mb_per_s = corpus.bytes / 1e6 / best;
  return result;
}

// The texts as JSON strings, one per line, for the node baseline.
std::string WriteTextsFile(const Corpus& corpus) {
  std::string path =
      EnvOr("TMPDIR", "/tmp") + "/zerorl_tokenizer_bench_" + std::to_string(getpid()) + ".jsonl";
  std::ofstream out(path);
  for (const std::string& text : corpus.texts) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    out << buffer.GetString() << "\n";
  }
  return path;
}

std::string ShellQuote(const std::string& s) {
  std::string quoted = "'";
  for (char c : s) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Runs the node baseline; false (with the reason printed) when it cannot run.
bool RunBaseline(const std::string& script, const std::string& tokenizer_json, const Corpus& corpus,
                 int rounds, Result* result) {
  std::string texts_path = WriteTextsFile(corpus);
  std::string command = "node " + ShellQuote(script) + " " + ShellQuote(tokenizer_json) + " " +
                        ShellQuote(texts_path) + " " + std::to_string(rounds);
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  if (pipe != nullptr) {
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  }
  int status = pipe != nullptr ? pclose(pipe) : -1;
  std::remove(texts_path.c_str());
  int code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code != 0) {
    std::cout << "baseline: not run ("
              << (code == 127 ? "node is not installed"
                  : code == 3 ? "npm package `tokenizers` missing: "
                                "cd bench/node && npm install"
                              : "node failed, exit " + std::to_string(code))
              << "); zerorl's number only\n";
    return false;
  }
  absl::StatusOr<rapidjson::Document> doc = zerorl::core::ParseJson(output);
  if (!doc.ok() || !doc->IsObject() || !doc->HasMember("mb_per_s")) {
    std::cout << "baseline: unreadable output: " << output << "\n";
    return false;
  }
  result->best_mb_per_s = (*doc)["mb_per_s"].GetDouble();
  for (const auto& s : (*doc)["seconds"].GetArray()) result->seconds.push_back(s.GetDouble());
  result->tokens = (*doc)["tokens"].GetUint64();
  result->checksum = (*doc)["checksum"].GetInt64();
  return true;
}

std::string Rounds(const std::vector<double>& seconds) {
  std::string s;
  char buffer[32];
  for (double t : seconds) {
    std::snprintf(buffer, sizeof(buffer), "%s%.3f", s.empty() ? "" : " ", t);
    s += buffer;
  }
  return s + " s";
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("CPU: %s\n", zerorl::core::HostCpu().Describe().c_str());
  std::string source_dir = EnvOr("ZERORL_SOURCE_DIR", ZERORL_DEFAULT_SOURCE_DIR);
  std::string data_dir = EnvOr("ZERORL_TEST_DATA", source_dir + "/../shared/data");
  std::string tokenizer = data_dir + "/tokenizers/qwen3";
  int rounds = 3;
  bool baseline = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--tokenizer" && i + 1 < argc) {
      tokenizer = argv[++i];
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--no-baseline") {
      baseline = false;
    } else {
      std::cerr << "usage: tokenizer_bench [--tokenizer DIR] [--rounds N] [--no-baseline]\n";
      return 2;
    }
  }
  Corpus corpus;
  if (!ReadTexts(data_dir + "/gsm8k/train.jsonl", {"question", "answer"}, &corpus) ||
      !ReadTexts(data_dir + "/math/test.jsonl", {"problem", "solution"}, &corpus)) {
    std::cerr << "tokenizer_bench: set ZERORL_TEST_DATA to the shared fixtures folder\n";
    return 2;
  }
  std::printf(
      "tokenizer_bench: %s on GSM8K train + MATH test: %zu texts, %.2f MB, 1 thread, "
      "best of %d rounds (cold cache each)\n",
      tokenizer.c_str(), corpus.texts.size(), corpus.bytes / 1e6, rounds);
  Result ours = RunZerorl(tokenizer, corpus, rounds);
  std::printf("zerorl          %8.2f MB/s  %zu tokens  rounds %s\n", ours.best_mb_per_s,
              ours.tokens, Rounds(ours.seconds).c_str());
  std::fflush(stdout);
  if (!baseline) return 0;
  Result theirs;
  bool is_file = tokenizer.size() >= 5 && tokenizer.compare(tokenizer.size() - 5, 5, ".json") == 0;
  std::string json = is_file ? tokenizer : tokenizer + "/tokenizer.json";
  if (!RunBaseline(source_dir + "/bench/node/tokenizers_baseline.js", json, corpus, rounds,
                   &theirs)) {
    return 0;
  }
  std::printf("HF tokenizers   %8.2f MB/s  %zu tokens  rounds %s  (npm `tokenizers`, node)\n",
              theirs.best_mb_per_s, theirs.tokens, Rounds(theirs.seconds).c_str());
  bool same = theirs.tokens == ours.tokens && theirs.checksum == ours.checksum;
  std::printf("ratio           %8.1fx      ids identical: %s\n",
              ours.best_mb_per_s / theirs.best_mb_per_s, same ? "yes" : "NO");
  return same ? 0 : 1;
}
