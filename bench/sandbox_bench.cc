// The code sandbox against bare python3, side by side in one run:
//
//   build/bench/sandbox_bench [--runs N] [--rounds R]
//
// 1. latency: a trivial Python program run N times one after another, bare (fork + exec of
//    /usr/bin/python3 with stdout on a pipe) and through Sandbox::Run, which reuses a warm box
//    (a fresh /tmp and IPC namespace per run); the difference is the sandbox's cost per run.
//    Bare and sandboxed batches alternate in R rounds so that a change in the machine's load
//    hits both alike. Also: the same runs with a new box each (warm_boxes = 0), and an empty
//    box (namespaces, root, cgroup, teardown) with no program in it.
// 2. throughput: the same program N times with one worker per CPU, bare (one thread per CPU
//    spawning) and through SandboxPool. Target: pool runs/s >= 0.8 x cores / bare run time.
// 3. HumanEval: all 164 canonical solutions judged by the pool, against python3 running the
//    same check programs bare, one per CPU at a time.
#include <fcntl.h>
#include <sys/resource.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/cpu_features.h"
#include "core/json.h"
#include "verifiers/sandbox/internal/box.h"
#include "verifiers/sandbox/pool.h"
#include "verifiers/sandbox/sandbox.h"

extern char** environ;

namespace zerorl::sandbox {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kTrivialProgram[] = "print('hello')\n";

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Runs `argv` bare: posix_spawn, stdout and stderr into a pipe read to the end, waitpid.
bool RunBare(const std::vector<std::string>& argv) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return false;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  char buffer[65536];
  while (rc == 0 && read(out[0], buffer, sizeof(buffer)) > 0) {
  }
  close(out[0]);
  int status = 0;
  if (rc == 0) waitpid(pid, &status, 0);
  return rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  std::string path = absl::StrCat(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                                  "/zerorl-sandbox-bench-", getpid(), "-", name);
  std::ofstream(path) << text;
  return path;
}

// The 1-minute load average: wall times mean little on a machine others are using.
std::string ReadLoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "?" : one;
}

RunRequest TrivialRequest() {
  RunRequest request;
  request.language = "python";
  request.code = kTrivialProgram;
  return request;
}

// CPU time of this process and its waited-for children (a box's init waits for its
// programs, and we wait for init), in ms: unlike wall time, barely moved by other load. A
// warm box's init is only waited for when it ends, so batches through warm boxes end them.
double CpuMs() {
  struct rusage self, children;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  auto ms = [](const timeval& t) { return t.tv_sec * 1000.0 + t.tv_usec / 1000.0; };
  return ms(self.ru_utime) + ms(self.ru_stime) + ms(children.ru_utime) + ms(children.ru_stime);
}

struct Cost {
  double wall_ms = 0;
  double cpu_ms = 0;
};

struct Latency {
  Cost bare;
  Cost sandbox;
  Cost new_box;  // warm_boxes = 0: every run builds its box
  Cost empty_box;
};

// Adds the wall and CPU time of `batch` to `cost`.
void Measure(Cost* cost, const std::function<void()>& batch) {
  double cpu = CpuMs();
  Clock::time_point start = Clock::now();
  batch();
  cost->wall_ms += 1000 * Seconds(start);
  cost->cpu_ms += CpuMs() - cpu;
}

void RunTrivial(const Sandbox& sandbox, const RunRequest& request, int times) {
  for (int i = 0; i < times; ++i) {
    absl::StatusOr<RunResult> r = sandbox.Run(request);
    if (!r.ok() || r->status != RunStatus::kOk) std::fprintf(stderr, "sandbox run failed\n");
  }
}

Latency MeasureLatency(const Sandbox& sandbox, const Sandbox& cold, int runs, int rounds) {
  std::string program = WriteTemp("trivial.py", kTrivialProgram);
  std::vector<std::string> bare = {"/usr/bin/python3", "-I", "-B", program};
  RunRequest request = TrivialRequest();
  Latency latency;
  int per_round = std::max(1, runs / rounds);
  for (int round = 0; round < rounds; ++round) {
    Measure(&latency.bare, [&] {
      for (int i = 0; i < per_round; ++i) RunBare(bare);
    });
    Measure(&latency.sandbox, [&] {
      RunTrivial(sandbox, request, per_round);
      sandbox.shared().warm_boxes->Clear();  // its CPU time is ours once it is reaped
    });
    Measure(&latency.new_box, [&] { RunTrivial(cold, request, per_round); });
    Measure(&latency.empty_box, [&] {
      for (int i = 0; i < per_round; ++i) {
        absl::StatusOr<std::unique_ptr<Box>> box = Box::Start(sandbox.shared());
        if (box.ok()) (*box)->AwaitReady().IgnoreError();
      }
    });
  }
  unlink(program.c_str());
  int total = per_round * rounds;
  for (Cost* cost : {&latency.bare, &latency.sandbox, &latency.new_box, &latency.empty_box}) {
    cost->wall_ms /= total;
    cost->cpu_ms /= total;
  }
  return latency;
}

// Runs `jobs` with `threads` threads taking the next job until none is left; seconds.
double RunParallel(int threads, int jobs, const std::function<void(int)>& job) {
  std::atomic<int> next{0};
  Clock::time_point start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < jobs; i = next++) job(i);
    });
  }
  for (std::thread& worker : workers) worker.join();
  return Seconds(start);
}

struct HumanEvalTask {
  std::string program;  // prompt + canonical solution + test + check(entry_point)
  JudgeRequest request;
};

std::vector<HumanEvalTask> LoadHumanEval(const std::string& path) {
  std::vector<HumanEvalTask> tasks;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
    if (!doc.ok()) continue;
    HumanEvalTask task;
    std::string code = absl::StrCat((*doc)["prompt"].GetString(),
                                    (*doc)["canonical_solution"].GetString());
    std::string entry = (*doc)["entry_point"].GetString();
    task.program = absl::StrCat(code, "\n", (*doc)["test"].GetString(), "\ncheck(", entry, ")\n");
    task.request.language = "python";
    task.request.code = code;
    task.request.test_programs = {(*doc)["test"].GetString()};
    task.request.entry_point = entry;
    tasks.push_back(std::move(task));
  }
  return tasks;
}

int Main(int argc, char** argv) {
  std::printf("CPU: %s\n", zerorl::core::HostCpu().Describe().c_str());
  int runs = 200, rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
  }
  int cores = AvailableCpus();
  absl::StatusOr<std::unique_ptr<SandboxPool>> pool = SandboxPool::Create(SandboxOptions{}, cores);
  if (!pool.ok()) {
    std::fprintf(stderr, "sandbox_bench: %s\n", pool.status().ToString().c_str());
    return 1;
  }
  const Sandbox& sandbox = (*pool)->sandbox();
  SandboxOptions cold_options;
  cold_options.warm_boxes = 0;
  absl::StatusOr<std::unique_ptr<Sandbox>> cold = Sandbox::Create(cold_options);
  if (!cold.ok()) {
    std::fprintf(stderr, "sandbox_bench: %s\n", cold.status().ToString().c_str());
    return 1;
  }
  std::string load = ReadLoadAverage();
  std::printf("sandbox_bench: %d CPUs (load average %s), %s\n\n", cores, load.c_str(),
              sandbox.environment().ToString().c_str());

  Latency latency = MeasureLatency(sandbox, **cold, runs, rounds);
  std::printf("one run at a time (%d runs of print('hello'))     wall ms/run   CPU ms/run\n", runs);
  std::printf("  bare python3 -I -B                                  %8.2f     %8.2f\n",
              latency.bare.wall_ms, latency.bare.cpu_ms);
  std::printf("  sandboxed (a warm box: fresh /tmp and IPC namespace) %7.2f     %8.2f\n",
              latency.sandbox.wall_ms, latency.sandbox.cpu_ms);
  std::printf("  sandbox overhead (target <= 10 ms)                  %+8.2f     %+8.2f\n",
              latency.sandbox.wall_ms - latency.bare.wall_ms,
              latency.sandbox.cpu_ms - latency.bare.cpu_ms);
  std::printf("  sandboxed, a new box per run (warm_boxes = 0)       %8.2f     %8.2f\n",
              latency.new_box.wall_ms, latency.new_box.cpu_ms);
  std::printf("  empty box: namespaces, root, cgroup, exit           %8.2f     %8.2f\n\n",
              latency.empty_box.wall_ms, latency.empty_box.cpu_ms);

  std::string program = WriteTemp("parallel.py", kTrivialProgram);
  std::vector<std::string> bare_argv = {"/usr/bin/python3", "-I", "-B", program};
  double bare_s = RunParallel(cores, runs, [&](int) { RunBare(bare_argv); });
  RunRequest request = TrivialRequest();
  double pool_s = RunParallel(cores, runs, [&](int) { (*pool)->Run(request).IgnoreError(); });
  unlink(program.c_str());
  double target = 0.8 * cores * 1000 / latency.bare.wall_ms;
  std::printf("throughput, %d workers (%d runs)                      runs/s\n", cores, runs);
  std::printf("  bare python3, one per CPU                           %8.1f\n", runs / bare_s);
  std::printf("  sandbox pool                                        %8.1f   (%.2f x bare)\n",
              runs / pool_s, bare_s / pool_s);
  std::printf("  target 0.8 x %d CPUs / %.2f ms bare run              %8.1f   %s\n\n", cores,
              latency.bare.wall_ms, target, runs / pool_s >= target ? "met" : "not met");

  std::string humaneval =
      absl::StrCat(ZERORL_DEFAULT_SOURCE_DIR, "/../shared/data/humaneval/HumanEval.jsonl");
  std::vector<HumanEvalTask> tasks = LoadHumanEval(humaneval);
  if (tasks.empty()) {
    std::printf("HumanEval: %s not found, skipped\n", humaneval.c_str());
    return 0;
  }
  std::vector<std::string> files;
  for (size_t i = 0; i < tasks.size(); ++i) {
    files.push_back(WriteTemp(absl::StrCat("he", i, ".py"), tasks[i].program));
  }
  std::atomic<int> bare_passed{0}, pool_passed{0};
  double he_bare_s = RunParallel(cores, tasks.size(), [&](int i) {
    bare_passed += RunBare({"/usr/bin/python3", "-I", "-B", files[i]});
  });
  for (const std::string& file : files) unlink(file.c_str());
  std::vector<std::future<absl::StatusOr<JudgeResult>>> verdicts;
  Clock::time_point start = Clock::now();
  for (const HumanEvalTask& task : tasks) verdicts.push_back((*pool)->SubmitJudge(task.request));
  for (auto& verdict : verdicts) {
    absl::StatusOr<JudgeResult> r = verdict.get();
    pool_passed += r.ok() && r->passed;
  }
  double he_pool_s = Seconds(start);
  std::printf("HumanEval, %zu canonical solutions, %d workers        tasks/s   passed\n",
              tasks.size(), cores);
  std::printf("  bare python3 (the same check programs)              %8.1f   %d\n",
              tasks.size() / he_bare_s, bare_passed.load());
  std::printf("  sandbox pool (judge, completion proof)              %8.1f   %d   (%.2f x bare)\n",
              tasks.size() / he_pool_s, pool_passed.load(), he_bare_s / he_pool_s);
  return 0;
}

}  // namespace
}  // namespace zerorl::sandbox

int main(int argc, char** argv) { return zerorl::sandbox::Main(argc, argv); }
