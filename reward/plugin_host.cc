#include "reward/plugin_host.h"

#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "reward/internal/plugin_wire.h"
#include "reward/plugin_abi.h"

namespace zerorl::reward {
namespace {

using plugin_wire::LoadReply;
using plugin_wire::LoadRequest;
using plugin_wire::ScoreReply;
using plugin_wire::ScoreRequest;

constexpr auto kForever = std::chrono::steady_clock::time_point::max();

struct Plugin {
  void* handle = nullptr;
  void* state = nullptr;
  zerorl_reward_score_fn score = nullptr;
  zerorl_reward_shutdown_fn shutdown = nullptr;
};

template <typename Fn>
Fn Symbol(void* handle, const char* name) {
  return reinterpret_cast<Fn>(::dlsym(handle, name));
}

LoadReply Load(const LoadRequest& request, Plugin* plugin) {
  LoadReply reply;
  plugin->handle = ::dlopen(request.library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (plugin->handle == nullptr) {
    const char* why = ::dlerror();
    reply.error = absl::StrCat("dlopen: ", why != nullptr ? why : "unknown error");
    return reply;
  }
  auto version = Symbol<zerorl_reward_abi_version_fn>(plugin->handle, "zerorl_reward_abi_version");
  plugin->score = Symbol<zerorl_reward_score_fn>(plugin->handle, "zerorl_reward_score");
  plugin->shutdown = Symbol<zerorl_reward_shutdown_fn>(plugin->handle, "zerorl_reward_shutdown");
  auto init = Symbol<zerorl_reward_init_fn>(plugin->handle, "zerorl_reward_init");
  if (version == nullptr || plugin->score == nullptr) {
    reply.error = absl::StrCat("does not export ",
                               version == nullptr ? "zerorl_reward_abi_version" : "zerorl_reward_score",
                               " (see reward/plugin_abi.h)");
    return reply;
  }
  reply.abi_version = version();
  if (reply.abi_version != ZERORL_REWARD_ABI_VERSION) {
    reply.error = absl::StrCat("speaks reward plugin ABI version ", reply.abi_version,
                               ", this zerorl speaks ", ZERORL_REWARD_ABI_VERSION,
                               "; rebuild it against this zerorl's reward/plugin_abi.h");
    return reply;
  }
  if (init != nullptr) {
    char error[ZERORL_REWARD_DETAIL_SIZE] = {0};
    int rc = init(request.args.c_str(), &plugin->state, error, sizeof(error));
    if (rc != 0) {
      error[sizeof(error) - 1] = '\0';
      reply.error = absl::StrCat("zerorl_reward_init failed (returned ", rc, "): ", error);
      return reply;
    }
  }
  reply.ok = true;
  return reply;
}

ScoreReply Score(const Plugin& plugin, const ScoreRequest& request) {
  zerorl_reward_input in;
  std::memset(&in, 0, sizeof(in));
  in.abi_version = ZERORL_REWARD_ABI_VERSION;
  in.struct_size = sizeof(in);
  in.prompt = request.prompt.c_str();
  in.prompt_size = request.prompt.size();
  in.completion = request.completion.c_str();
  in.completion_size = request.completion.size();
  in.answer = request.answer.c_str();
  in.answer_size = request.answer.size();
  in.metadata = request.metadata.c_str();
  in.metadata_size = request.metadata.size();
  in.num_tokens = request.num_tokens;
  zerorl_reward_output out;
  std::memset(&out, 0, sizeof(out));
  ScoreReply reply;
  reply.seq = request.seq;
  reply.status = plugin.score(plugin.state, &in, &out);
  reply.score = out.score;
  const void* nul = std::memchr(out.detail, '\0', sizeof(out.detail));
  reply.detail_terminated = nul != nullptr;
  size_t length = nul != nullptr ? static_cast<const char*>(nul) - out.detail : sizeof(out.detail);
  reply.detail.assign(out.detail, length);
  return reply;
}

// Exits the host when the process that started it is gone (it may hang in the plugin and
// never see the socket close).
void StartWatchdog() {
  const pid_t parent = ::getppid();
  std::thread([parent] {
    while (::getppid() == parent) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::_exit(3);
  }).detach();
}

}  // namespace

int RunPluginHost(int fd) {
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  StartWatchdog();
  std::string frame;
  LoadRequest load;
  if (plugin_wire::ReadFrame(fd, kForever, &frame) != plugin_wire::ReadResult::kOk ||
      !plugin_wire::Decode(frame, &load)) {
    return 1;
  }
  Plugin plugin;
  LoadReply loaded = Load(load, &plugin);
  if (!plugin_wire::WriteFrame(fd, plugin_wire::Encode(loaded)) || !loaded.ok) return 1;
  while (plugin_wire::ReadFrame(fd, kForever, &frame) == plugin_wire::ReadResult::kOk) {
    ScoreRequest request;
    if (!plugin_wire::Decode(frame, &request)) return 1;
    if (!plugin_wire::WriteFrame(fd, plugin_wire::Encode(Score(plugin, request)))) break;
  }
  if (plugin.shutdown != nullptr) plugin.shutdown(plugin.state);
  return 0;
}

}  // namespace zerorl::reward
