#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"

#include "core/cpu_features.h"
#include "core/json.h"
#include "core/log.h"
#include "core/status.h"
#include "learner/checkpoint.h"
#include "learner/ranks.h"
#include "model/dtype.h"
#include "model/weights.h"
#include "train/ids.h"
#include "train/internal/trainer_impl.h"
#include "train/machine.h"
#include "wire/transport.h"

namespace zerorl::train {

std::atomic<bool> g_stop_requested{false};

namespace {

void OnSignal(int) {
  if (g_stop_requested.exchange(true)) {
    const char kMessage[] = "\nzerorl train: second interrupt, exiting now\n";
    ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
    (void)ignored;
    ::_exit(130);
  }
  const char kMessage[] =
      "\nzerorl train: stopping after this step (checkpoint + summary); Ctrl-C again to quit now\n";
  ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  (void)ignored;
}

}  // namespace

absl::StatusOr<TrainSummary> RunTraining(const config::Config& config, const TrainFlags& flags) {
  g_stop_requested.store(false);
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  Trainer trainer(config, flags);
  return trainer.Run();
}

absl::Status Trainer::Setup() {
  // Precision and threads first: config.json records the resolved precision.
  ASSIGN_OR_RETURN(machine_, ApplyMachineSetup(&config_, config::ProcessRole::kLearner));
  if (!flags_.quiet) std::cout << "zerorl train: " << machine_.Summary() << std::endl;
  if (!machine_.emulated_bf16_cost.empty()) ZLOG(WARNING) << machine_.emulated_bf16_cost;
  ASSIGN_OR_RETURN(paths_, PrepareRunDir(config_, flags_.resume));
  ASSIGN_OR_RETURN(initial_, PrepareInitialModel(config_, paths_));
  // The run folder's config.json says exactly what ran: the model folder filled in.
  config_.model.path = initial_.model_dir;
  config_.model.tokenizer = initial_.tokenizer_path;
  RETURN_IF_ERROR(core::WriteFileAtomic(paths_.config_json, config::ConfigToJson(config_) + "\n"));

  ASSIGN_OR_RETURN(tokenizer::Tokenizer tokenizer,
                   tokenizer::Tokenizer::Load(initial_.tokenizer_path));
  ASSIGN_OR_RETURN(PromptRenderer renderer,
                   PromptRenderer::Create(config_.data.template_name, std::move(tokenizer)));
  renderer_.emplace(std::move(renderer));
  ASSIGN_OR_RETURN(data_, datasets::OpenData(config_.data));
  if (data_.train.stats().bad_lines > 0) {
    ZLOG(WARNING) << "data.train: " << data_.train.stats().bad_lines << " malformed lines skipped";
  }
  evaluator_ = std::make_unique<Evaluator>(config_, &data_.eval, &*renderer_);
  RETURN_IF_ERROR(StartLearnerRanks());
  RETURN_IF_ERROR(BuildLearner());
  PrintLearnerMemory();

  datasets::DataCursor cursor;
  cursor.seed = config_.run.seed;
  if (flags_.resume) RETURN_IF_ERROR(Resume(&cursor));
  sampler_ = std::make_unique<datasets::PromptSampler>(data_.train, cursor, config_.data.shuffle);
  ASSIGN_OR_RETURN(next_batch_id_, FirstBatchId(start_step_));

  ASSIGN_OR_RETURN(metrics_,
                   metrics::MetricsSink::Open(paths_.metrics, metrics::MetricsSink::kAppend));
  RETURN_IF_ERROR(metrics_->EnableTensorBoard(paths_.dir + "/tensorboard"));
  ASSIGN_OR_RETURN(samples_,
                   metrics::MetricsSink::Open(paths_.samples, metrics::MetricsSink::kAppend));
  return absl::OkStatus();
}

absl::Status Trainer::Resume(datasets::DataCursor* cursor) {
  absl::StatusOr<std::string> last = learner::LatestCheckpoint(paths_.checkpoints);
  if (!last.ok()) {
    // Stopped during the cold start: continue it (ColdStartSft) and start GRPO afresh.
    absl::StatusOr<std::string> cold = learner::LatestCheckpoint(ColdStartDir());
    if (!cold.ok()) {
      return absl::NotFoundError("--resume: " + std::string(last.status().message()) +
                                 ", and no cold-start checkpoint in " + ColdStartDir());
    }
    cold_start_checkpoint_ = *cold;
    return absl::OkStatus();
  }
  resumed_ = true;
  ASSIGN_OR_RETURN(learner::ResumeState state, learner::LoadCheckpoint(*last, learner_.get()));
  start_step_ = state.step;
  if (state.world_size != learner_->ranks()) {
    ZLOG(INFO) << *last << " was written by " << state.world_size << " learner rank"
               << (state.world_size > 1 ? "s" : "") << "; continuing on " << learner_->ranks()
               << " with the optimizer state re-sharded";
  }
  if (state.dataset_cursor_json != "null") {
    ASSIGN_OR_RETURN(*cursor, datasets::CursorFromJson(state.dataset_cursor_json));
  }
  // The accuracy before GRPO, for the summary's before -> after.
  absl::StatusOr<std::string> summary = core::ReadFile(paths_.summary);
  absl::StatusOr<rapidjson::Document> doc =
      summary.ok() ? core::ParseJson(*summary)
                   : absl::StatusOr<rapidjson::Document>(summary.status());
  if (doc.ok() && doc->IsObject() && doc->HasMember("eval_before_by_dataset") &&
      (*doc)["eval_before_by_dataset"].IsObject()) {
    for (auto& m : (*doc)["eval_before_by_dataset"].GetObject()) {
      if (m.value.IsNumber()) eval_before_[m.name.GetString()] = m.value.GetDouble();
    }
  }
  ZLOG(INFO) << "resuming " << paths_.dir << " from " << *last << " (step " << start_step_
             << ", policy version " << learner_->policy_version() << ")";
  return absl::OkStatus();
}

learner::LearnerOptions Trainer::SftLearnerOptions() const {
  learner::LearnerOptions options = learner::LearnerOptionsFromConfig(config_);
  options.group = learner_ranks_;
  options.optimizer.lr = config_.learner.sft.lr;
  // learner.optimizer.schedule shapes GRPO's steps; supervised steps keep their lr (after the
  // same warmup), so the continue_sft control carries on at the rate the cold start ended with.
  options.optimizer.schedule = config::LrSchedule::kConstant;
  options.algorithm.beta = 0.0;
  return options;
}

learner::LearnerOptions Trainer::MainLearnerOptions() const {
  // The continue_sft control run trains like the cold start.
  if (config_.run.continue_sft) return SftLearnerOptions();
  learner::LearnerOptions options = learner::LearnerOptionsFromConfig(config_);
  options.group = learner_ranks_;
  return options;
}

absl::Status Trainer::StartLearnerRanks() {
  const int ranks = config_.cluster.learner_ranks;
  if (ranks <= 1) return absl::OkStatus();
  distributed::GroupOptions o;
  o.rank = 0;
  o.world_size = ranks;
  o.timeout = std::chrono::milliseconds(
      static_cast<int64_t>(config_.learner.collective_timeout_s * 1000));
  o.device = torch::Device(config_.model.device);
  const bool here = config_.cluster.learner_master.empty();
  // Ranks started by hand on other machines may take a while; spawned ones start in seconds.
  o.connect_timeout = here ? std::chrono::milliseconds(120000)
                           : std::max(o.timeout, std::chrono::milliseconds(600000));
  if (!here) config::SplitHostPort(config_.cluster.learner_master, &o.master_host, &o.master_port);
  const std::string binary = flags_.binary.empty() ? SelfExecutable() : flags_.binary;
  o.on_listening = [&](int port) -> absl::Status {
    const std::string master = absl::StrCat(here ? "127.0.0.1" : o.master_host, ":", port);
    if (!here) {
      std::cout << "Waiting for learner ranks 1.." << ranks - 1 << ". On each, run:\n  zerorl "
                << "learner --rank R --world-size " << ranks << " --master " << master
                << " --config CONFIG\n" << std::flush;
      return absl::OkStatus();
    }
    for (int r = 1; r < ranks; ++r) {
      const std::string id = absl::StrCat("learner-rank-", r);
      RETURN_IF_ERROR(rank_processes_.Start(
          id,
          {binary, "learner", "--rank", std::to_string(r), "--world-size", std::to_string(ranks),
           "--master", master, "--local-rank", std::to_string(r), "--config", paths_.config_json},
          paths_.logs + "/" + id + ".log"));
    }
    return absl::OkStatus();
  };
  ASSIGN_OR_RETURN(learner_ranks_, distributed::Group::Create(o));
  ZLOG(INFO) << ranks << " learner ranks joined at " << learner_ranks_->master()
             << (learner_ranks_->uses_nccl() ? " (gradients over NCCL)" : " (Gloo)");
  return absl::OkStatus();
}

void Trainer::PrintLearnerMemory() const {
  int64_t parameters = 0;
  for (const auto& p : policy_->parameters()) parameters += p.numel();
  const int ranks = learner_->ranks();
  for (int r = 0; r < ranks; ++r) {
    learner::LearnerMemory m = learner::EstimateLearnerMemory(
        parameters, learner_->options(), learner_->has_reference(), ranks, r);
    const std::string line =
        absl::StrCat("learner rank ", r, "/", ranks, " memory: ", m.Describe(),
                     learner_->options().shard_optimizer && ranks > 1 ? " (ZeRO-1)" : "");
    if (flags_.quiet) {
      ZLOG(INFO) << line;
    } else {
      std::cout << "zerorl train: " << line << "\n";
    }
  }
}

absl::Status Trainer::BuildLearner() {
  learner::LearnerOptions options = MainLearnerOptions();
  ASSIGN_OR_RETURN(policy_, model::LoadModel(initial_.model_dir, {torch::kFloat, options.device}));
  model::CausalLM reference{nullptr};
  if (options.algorithm.beta > 0.0) {
    ASSIGN_OR_RETURN(reference,
                     model::LoadModel(initial_.model_dir, {options.compute_dtype, options.device}));
  }
  ASSIGN_OR_RETURN(learner_, learner::Learner::Create(options, policy_, reference));
  return absl::OkStatus();
}

absl::Status Trainer::StartWorkers() {
  controller::ControllerOptions options;
  options.ledger_path = paths_.ledger;
  if (config_.cluster.spawn) {
    absl::StatusOr<std::string> ipc = wire::IpcEndpoint(paths_.dir, "controller");
    options.endpoint = ipc.ok() ? *ipc : "tcp://127.0.0.1:*";
  } else {
    options.endpoint = config_.cluster.endpoint;
  }
  ASSIGN_OR_RETURN(controller_, controller::Controller::Start(options));
  collector_ = std::make_unique<ResultCollector>(controller_.get(), [this] { OnIdle(); },
                                                 &g_stop_requested);
  ZLOG(INFO) << "controller listening on " << controller_->endpoint();
  if (config_.cluster.spawn) {
    std::string binary = flags_.binary.empty() ? SelfExecutable() : flags_.binary;
    auto spawn = [&](const char* kind, int i) {
      std::string id = std::string(kind) + "-" + std::to_string(i);
      return workers_.Start(id,
                            {binary, kind, "--connect", controller_->endpoint(), "--config",
                             paths_.config_json, "--id", id},
                            paths_.logs + "/" + id + ".log");
    };
    for (int i = 0; i < config_.rollout.workers; ++i) RETURN_IF_ERROR(spawn("rollout", i));
    for (int i = 0; i < config_.reward.workers; ++i) RETURN_IF_ERROR(spawn("reward", i));
  } else {
    std::cout << "Waiting for workers. On each worker machine run:\n  zerorl rollout --connect "
              << controller_->endpoint() << " --config CONFIG\n  zerorl reward --connect "
              << controller_->endpoint() << " --config CONFIG\n"
              << std::flush;
  }
  // Version 0 is published by Run once the cold start (if any) has made it.
  return absl::OkStatus();
}

absl::Status Trainer::Publish() {
  Clock::time_point start = Clock::now();
  auto weights = std::make_shared<model::TensorMap>(
      learner_->ExportWeights(model::ScalarTypeOf(config_.model.dtype)));
  std::vector<wire::NamedTensor> tensors;
  for (const auto& [name, tensor] : *weights) {
    wire::NamedTensor t;
    t.name = name;
    t.dtype = config_.model.dtype;
    t.shape.assign(tensor.sizes().begin(), tensor.sizes().end());
    t.data =
        wire::Frame::Borrow(tensor.data_ptr(), tensor.numel() * tensor.element_size(), weights);
    tensors.push_back(std::move(t));
  }
  RETURN_IF_ERROR(controller_->Publish(learner_->policy_version(), std::move(tensors)));
  published_ = weights;
  last_publish_s_ = std::chrono::duration<double>(Clock::now() - start).count();
  return absl::OkStatus();
}

absl::Status Trainer::AwaitFirstWorkers() {
  const int rollout = std::min(config_.rollout.workers, 1);
  const int reward = std::min(config_.reward.workers, 1);
  if (!config_.cluster.spawn) {
    return controller_->WaitForWorkers(rollout, reward, std::chrono::hours(24 * 365));
  }
  // Spawned workers: reap and restart them while waiting, and give up early on one that
  // keeps exiting without ever connecting (a binary that cannot start, a bad environment)
  // instead of waiting out the whole timeout.
  constexpr int kStartAttempts = 3;
  const Clock::time_point give_up = Clock::now() + std::chrono::minutes(5);
  for (;;) {
    absl::Status ready =
        controller_->WaitForWorkers(rollout, reward, std::chrono::milliseconds(500));
    if (ready.ok()) return ready;
    if (Clock::now() > give_up) {
      return absl::DeadlineExceededError("no worker connected within 5 minutes: " +
                                         std::string(ready.message()));
    }
    OnIdle();
    for (const WorkerProcess& w : workers_.workers()) {
      if (!w.ever_connected && w.restarts >= kStartAttempts) {
        return absl::FailedPreconditionError(
            w.id + " exited " + std::to_string(w.restarts) +
            " times without connecting to the controller; its log: " + w.log_path);
      }
    }
  }
}

void Trainer::OnIdle() {
  if (config_.cluster.spawn) {
    // A spawned worker the controller has written off (silent past its heartbeat liveness)
    // but whose process is still there is hung (stopped, deadlocked): kill it, so Poll()
    // starts a fresh one. A healthy worker that lost its connection says Hello again long
    // before kHungWorkerGrace.
    constexpr auto kHungWorkerGrace = std::chrono::seconds(10);
    controller::ControllerStats s = controller_->stats();
    Clock::time_point now = Clock::now();
    for (WorkerProcess& w : workers_.workers()) {
      if (s.connected.count(w.id)) {
        w.seen_connected = true;
        w.ever_connected = true;
        w.last_connected = now;
      } else if (w.pid > 0 && w.seen_connected && now - w.last_connected > kHungWorkerGrace) {
        ZLOG(WARNING) << w.id << " (pid " << w.pid << ") stopped answering; killing it";
        workers_.Kill(w.id);
        w.seen_connected = false;
      }
    }
    workers_.Poll();
  }
  if (Clock::now() - last_waiting_note_ > std::chrono::seconds(30)) {
    last_waiting_note_ = Clock::now();
    controller::ControllerStats s = controller_->stats();
    if (s.rollout_workers < config_.rollout.workers || s.reward_workers < config_.reward.workers) {
      ZLOG(INFO) << "waiting for workers: " << s.rollout_workers << "/" << config_.rollout.workers
                 << " rollout, " << s.reward_workers << "/" << config_.reward.workers
                 << " reward connected; " << s.waiting_rollout + s.waiting_reward
                 << " batches queued";
    }
  }
}

absl::StatusOr<learner::StepMetrics> Trainer::SupervisedStep(learner::Learner* learner) {
  if (!sft_sampler_) {
    datasets::DataCursor cursor;
    cursor.seed = config_.run.seed + 7919;  // a different order than GRPO's
    sft_sampler_ = std::make_unique<datasets::PromptSampler>(data_.train, cursor, /*shuffle=*/true);
  }
  ASSIGN_OR_RETURN(std::vector<datasets::Problem> problems,
                   sft_sampler_->NextBatch(config_.learner.sft.batch_size));
  std::vector<learner::SftExample> examples;
  for (const datasets::Problem& p : problems) {
    ASSIGN_OR_RETURN(std::vector<int32_t> completion, renderer_->SftCompletionIds(p));
    examples.push_back({renderer_->PromptIds(p), std::move(completion)});
  }
  ASSIGN_OR_RETURN(learner::TrainBatch batch,
                   learner::BuildSftBatch(examples, config_.learner.sft.max_length));
  return learner->SftStep(batch);
}

absl::Status Trainer::ColdStartSft() {
  const int steps = config_.run.cold_start_sft_steps;
  if (steps <= 0 || resumed_) return absl::OkStatus();
  learner::LearnerOptions options = SftLearnerOptions();
  options.total_steps = steps;
  ASSIGN_OR_RETURN(std::unique_ptr<learner::Learner> sft,
                   learner::Learner::Create(options, policy_, model::CausalLM{nullptr}));
  ASSIGN_OR_RETURN(const int restored, RestoreColdStart(sft.get()));
  int done = restored;
  Clock::time_point start = Clock::now();
  for (int step = restored + 1; step <= steps && !g_stop_requested.load(); ++step) {
    ASSIGN_OR_RETURN(learner::StepMetrics m, SupervisedStep(sft.get()));
    metrics::MetricsRow row;
    row.Add("phase", "sft").Add("sft_step", step);
    for (const auto& [name, value] : m) row.Add("sft/" + name, value);
    row.Add("time", metrics::UnixTimeSeconds());  // so the dashboard's wall-time axis shows SFT too
    RETURN_IF_ERROR(metrics_->Write(row));
    if (!flags_.quiet && (step % 25 == 0 || step == steps)) {
      double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      std::printf("cold-start SFT %d/%d | loss %.4f | %.0f s\n", step, steps,
                  m.count("loss") ? m.at("loss") : std::nan(""), elapsed);
      std::fflush(stdout);
    }
    done = step;
  }
  // Interrupted or finished: a checkpoint that --resume continues from (finished: GRPO
  // starts afresh from these weights if the run stops before its first checkpoint).
  if (done > restored) RETURN_IF_ERROR(SaveColdStart(*sft));
  if (done < steps) return absl::OkStatus();  // interrupted; Run stops
  if (config_.run.continue_sft) {
    // The control carries on with the same optimizer state: a fresh Adam's first, sign-like
    // updates would jolt every weight by the full lr. Steps and versions count from 0
    // again, as GRPO's do.
    sft->RestoreCounters(0, 0, sft->num_updates());
    learner_ = std::move(sft);
  }
  return absl::OkStatus();
}

std::string Trainer::ColdStartDir() const { return paths_.checkpoints + "/cold-start"; }

absl::StatusOr<int> Trainer::RestoreColdStart(learner::Learner* sft) {
  if (cold_start_checkpoint_.empty()) return 0;
  ASSIGN_OR_RETURN(learner::ResumeState state,
                   learner::LoadCheckpoint(cold_start_checkpoint_, sft));
  ASSIGN_OR_RETURN(datasets::DataCursor cursor,
                   datasets::CursorFromJson(state.dataset_cursor_json));
  sft_sampler_ = std::make_unique<datasets::PromptSampler>(data_.train, cursor, /*shuffle=*/true);
  ZLOG(INFO) << "continuing the cold start after SFT step " << state.step << " of "
             << config_.run.cold_start_sft_steps << " (" << cold_start_checkpoint_ << ")";
  return static_cast<int>(state.step);
}

absl::Status Trainer::SaveColdStart(learner::Learner& sft) {
  learner::CheckpointExtras extras;
  extras.copy_files_from = {initial_.tokenizer_path, initial_.model_dir};
  extras.dataset_cursor_json = datasets::CursorToJson(sft_sampler_->cursor());
  ASSIGN_OR_RETURN(std::string dir, learner::SaveCheckpoint(sft, ColdStartDir(), extras));
  RETURN_IF_ERROR(learner::RotateCheckpoints(ColdStartDir(), /*keep_last=*/1));
  ZLOG(INFO) << "cold-start checkpoint " << dir;
  return absl::OkStatus();
}

absl::Status Trainer::BuildLearnerAfterSft() {
  // R1's reference model is the cold-start model: copy the SFT weights into it.
  learner::LearnerOptions options = MainLearnerOptions();
  model::CausalLM reference{nullptr};
  if (options.algorithm.beta > 0.0) {
    reference = model::CausalLM(model::CausalLMOptions(policy_->config())
                                    .dtype(options.compute_dtype)
                                    .device(options.device));
    RETURN_IF_ERROR(
        model::LoadWeights(*reference, model::StateDict(*policy_), "cold-start policy"));
  }
  ASSIGN_OR_RETURN(learner_, learner::Learner::Create(options, policy_, reference));
  return absl::OkStatus();
}

absl::StatusOr<TrainSummary> Trainer::Run() {
  RETURN_IF_ERROR(Setup());
  if (!flags_.quiet) std::cout << "zerorl train: run folder " << paths_.dir << std::endl;
  // Workers start while the cold start trains: loading libtorch and the model overlaps.
  RETURN_IF_ERROR(StartWorkers());
  RETURN_IF_ERROR(ColdStartSft());
  if (g_stop_requested.load()) return StopDuringColdStart();
  if (config_.run.cold_start_sft_steps > 0 && !config_.run.continue_sft && !resumed_) {
    // The GRPO learner starts from the SFT weights with a fresh optimizer.
    RETURN_IF_ERROR(BuildLearnerAfterSft());
  }
  RETURN_IF_ERROR(Publish());
  TrainSummary summary;
  summary.run_dir = paths_.dir;
  absl::Status waited = AwaitFirstWorkers();
  if (!waited.ok()) {
    Finish(&summary);
    return absl::UnavailableError(std::string(waited.message()) + " (see the logs in " +
                                  paths_.logs + ")");
  }
  absl::Status status = absl::OkStatus();
  if (config_.run.eval_before && !resumed_ && !data_.eval.empty()) {
    metrics::MetricsRow row;
    row.Add("step", start_step_).Add("phase", "eval");
    status = Evaluate(start_step_, &row, &eval_before_);
    if (status.ok()) status = metrics_->Write(row);
  }
  grpo_started_ = Clock::now();
  int64_t step = start_step_ + 1;
  auto time_is_up = [&] {
    double elapsed = std::chrono::duration<double>(Clock::now() - grpo_started_).count();
    return config_.run.time_limit_s > 0 && elapsed >= config_.run.time_limit_s;
  };
  for (; status.ok() && step <= config_.run.steps && !g_stop_requested.load(); ++step) {
    if (time_is_up()) {
      ZLOG(INFO) << "run.time_limit_s (" << config_.run.time_limit_s << " s) reached after "
                 << step - 1 << " steps";
      break;
    }
    status = TrainStep(step);
  }
  summary.grpo_wall_s = std::chrono::duration<double>(Clock::now() - grpo_started_).count();
  summary.interrupted = g_stop_requested.load() || absl::IsCancelled(status);
  if (absl::IsCancelled(status)) status = absl::OkStatus();
  int64_t done = learner_->step();
  if (status.ok() && !data_.eval.empty() && !summary.interrupted) {
    bool evaluated_last = config_.run.eval_every > 0 && done % config_.run.eval_every == 0 &&
                          done > start_step_;
    if (!evaluated_last) {
      metrics::MetricsRow row;
      row.Add("step", done).Add("phase", "eval").Add("elapsed_s", summary.grpo_wall_s);
      status = Evaluate(done, &row, &eval_after_);
      if (status.ok()) status = metrics_->Write(row);
    }
  }
  if (status.ok() && done > start_step_) status = Checkpoint(done);
  summary.steps = done;
  summary.eval_before = eval_before_;
  summary.eval_after = eval_after_;
  Finish(&summary);
  if (!status.ok()) return status;
  return summary;
}

absl::StatusOr<TrainSummary> Trainer::StopDuringColdStart() {
  TrainSummary summary;
  summary.run_dir = paths_.dir;
  summary.interrupted = true;
  summary.eval_before = eval_before_;
  Finish(&summary);
  return summary;
}

void Trainer::Finish(TrainSummary* summary) {
  if (controller_) controller_->Shutdown(summary->interrupted ? "run interrupted" : "run finished");
  workers_.StopAll(std::chrono::seconds(5));
  if (learner_ranks_ && !learner_ranks_->failed()) {
    absl::Status stopped = learner::StopLearnerRanks(*learner_ranks_);
    if (!stopped.ok()) ZLOG(WARNING) << stopped;
  }
  rank_processes_.StopAll(std::chrono::seconds(5));
  metrics::MetricsRow row;
  row.Add("schema", 1).Add("run_dir", paths_.dir).Add("steps", summary->steps)
      .Add("grpo_wall_s", summary->grpo_wall_s).Add("interrupted", summary->interrupted);
  metrics::MetricsRow before, after;
  for (const auto& [name, value] : summary->eval_before) before.Add(name, value);
  for (const auto& [name, value] : summary->eval_after) after.Add(name, value);
  // The headline numbers: the first eval set's accuracy.
  if (!summary->eval_before.empty()) row.Add("eval_before", summary->eval_before.begin()->second);
  if (!summary->eval_after.empty()) row.Add("eval_after", summary->eval_after.begin()->second);
  row.Add("eval_before_by_dataset", before).Add("eval_after_by_dataset", after);
  if (controller_) {
    controller::ControllerStats s = controller_->stats();
    row.Add("workers_lost", s.workers_lost).Add("redispatched", s.redispatched)
        .Add("duplicates_dropped", s.duplicates);
  }
  row.Add("worker_restarts", static_cast<int64_t>(workers_.total_restarts()));
  metrics::MetricsRow machine;
  machine.Add("cpu", core::HostCpu().Describe())
      .Add("precision", machine_.precision.reason)
      .Add("model_dtype", config::DTypeName(machine_.precision.model_dtype))
      .Add("compute_dtype", config::DTypeName(machine_.precision.compute_dtype))
      .Add("intra_op_threads", static_cast<int64_t>(machine_.threads))
      .Add("learner_ranks", static_cast<int64_t>(config_.cluster.learner_ranks))
      .Add("usable_cpus", static_cast<int64_t>(machine_.usable_cpus));
  row.Add("machine", machine);
  absl::Status written = core::WriteFileAtomic(paths_.summary, row.ToJson() + "\n");
  if (!written.ok()) ZLOG(ERROR) << "summary.json: " << written;
}

}  // namespace zerorl::train
