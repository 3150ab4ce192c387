// code_tests: the problem's tests run against the completion's code in the sandbox.
#include <future>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "reward/internal/text.h"
#include "reward/reward_function.h"
#include "verifiers/sandbox/languages.h"
#include "verifiers/sandbox/pool.h"

namespace zerorl::reward {
namespace {

using sandbox::JudgeRequest;
using sandbox::JudgeResult;
using sandbox::SandboxPool;

constexpr size_t kMaxDetail = 200;

bool Defines(const std::string& code, const std::string& function) {
  return code.find("def " + function + "(") != std::string::npos ||
         code.find("def " + function + " (") != std::string::npos;
}

// The code to run: the last fenced block of the answer (inside <answer> when there is one),
// else the completion itself, which then continues the prompt (HumanEval's completion
// style). Code that calls for a function it does not define gets the prompt (the
// signature and docstring) in front.
std::string CodeToRun(const datasets::Problem& problem, const std::string& completion) {
  std::string_view answer = completion;
  if (auto tagged = text::LastTagContent(completion, "<answer>", "</answer>")) {
    answer = *tagged;
  }
  std::optional<std::string> fenced = text::LastFencedCode(answer);
  if (!fenced) fenced = text::LastFencedCode(completion);
  std::string code = fenced ? *fenced : completion;
  const std::string& entry = problem.tests->entry_point;
  if (!entry.empty() && !Defines(code, entry) && Defines(problem.prompt, entry)) {
    code = problem.prompt + (fenced ? "\n" : "") + code;
  }
  return code;
}

class CodeTestsReward : public RewardFunction {
 public:
  CodeTestsReward(const config::CodeTestsOptions& options, std::unique_ptr<SandboxPool> pool)
      : options_(options), pool_(std::move(pool)) {
    limits_.wall_time_ms = options.wall_time_ms;
    limits_.cpu_time_ms = options.cpu_time_ms;
    limits_.memory_mib = options.memory_mib;
  }

  void Score(const ScoringContext& context, std::vector<wire::FunctionScore>* out) override {
    // Everything goes to the pool first, so the sandboxes run in parallel.
    std::vector<std::optional<std::future<absl::StatusOr<JudgeResult>>>> pending(context.size());
    for (size_t i = 0; i < context.size(); ++i) {
      const datasets::Problem* problem = context.problem_of(i);
      if (problem == nullptr || !problem->tests) {
        (*out)[i] = reward::NotApplicable("no tests");
        continue;
      }
      const zerorl::datasets::CodeTests& t = *problem->tests;
      JudgeRequest request;
      request.language = options_.language;
      request.code = CodeToRun(*problem, context.sample(i).completion);
      request.limits = limits_;
      if (!t.program.empty()) {
        request.test_programs = {t.program};
        request.entry_point = t.entry_point;
      } else {
        for (const std::string& a : t.asserts) {
          request.test_programs.push_back(t.setup.empty() ? a : t.setup + "\n" + a);
        }
      }
      if (request.test_programs.empty()) {
        (*out)[i] = reward::NotApplicable("the problem's tests are empty");
        continue;
      }
      pending[i] = pool_->SubmitJudge(std::move(request));
    }
    for (size_t i = 0; i < context.size(); ++i) {
      if (!pending[i]) continue;
      absl::StatusOr<JudgeResult> result = pending[i]->get();
      if (!result.ok()) {
        ++sandbox_errors_;
        (*out)[i] = reward::Error(
            text::Shorten("sandbox: " + std::string(result.status().message()), kMaxDetail));
        continue;
      }
      (*out)[i] = FromResult(*result);
    }
  }

  void AddCounters(const std::string& prefix, std::map<std::string, double>* out) const override {
    (*out)[prefix + "sandbox_errors"] = static_cast<double>(sandbox_errors_);
  }

 private:
  wire::FunctionScore FromResult(const JudgeResult& r) const {
    size_t passed = 0;
    std::string first_failure;
    for (size_t k = 0; k < r.results.size(); ++k) {
      if (r.results[k].status == sandbox::TestStatus::kPassed) {
        ++passed;
      } else if (first_failure.empty()) {
        first_failure = absl::StrCat("; test ", k + 1, ": ", TestStatusName(r.results[k].status),
                                     r.results[k].detail.empty() ? "" : ": ", r.results[k].detail);
      }
    }
    std::string detail = text::Shorten(
        absl::StrCat(passed, "/", r.results.size(), " tests passed", first_failure), kMaxDetail);
    double score = options_.scoring == config::CodeScoring::kAllOrNothing ? (r.passed ? 1.0 : 0.0)
                                                                   : r.pass_fraction;
    return Ok(score, detail);
  }

  config::CodeTestsOptions options_;
  sandbox::Limits limits_;
  std::unique_ptr<SandboxPool> pool_;
  int64_t sandbox_errors_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RewardFunction>> MakeCodeTests(
    const config::CodeTestsOptions& options, int sandbox_workers, const std::string& key) {
  if (sandbox::FindLanguage(options.language) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(key, ".language: unknown language \"",
                                                   options.language, "\"; one of: ",
                                                   sandbox::LanguageNames()));
  }
  absl::StatusOr<std::unique_ptr<SandboxPool>> pool =
      SandboxPool::Create(sandbox::SandboxOptions{}, sandbox_workers);
  if (!pool.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(key, ": code_tests needs the code sandbox, which this machine refused: ",
                     pool.status().message()));
  }
  return std::make_unique<CodeTestsReward>(options, *std::move(pool));
}

}  // namespace zerorl::reward
