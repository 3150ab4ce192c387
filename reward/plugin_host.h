// The plugin host: the small child process that loads a reward plugin (plugin_abi.h) so
// that nothing the plugin does (crash, hang, corrupt memory) can touch the process that
// scores. The zerorl binary runs it as `zerorl reward plugin-host` (hidden); the pipeline
// starts one per "plugin" function with the socket on kPluginHostFd, and a new one after a
// crash or a timeout.
//
// The host reads the library path and args, dlopen()s the library, checks its ABI
// version, calls zerorl_reward_init, answers the load request, then answers one score
// request at a time until the socket closes, calls zerorl_reward_shutdown and exits 0. It
// also exits when its parent process goes away (a watchdog thread), so a hung plugin
// never outlives its worker. Core dumps are off (a crashing plugin would leave one per
// completion).
#ifndef ZERORL_REWARD_PLUGIN_HOST_H_
#define ZERORL_REWARD_PLUGIN_HOST_H_

namespace zerorl::reward {

inline constexpr int kPluginHostFd = 3;

// Serves on `fd` until it closes; returns the process exit code (0 after a normal close,
// 1 when loading failed or the first message was not a load request).
int RunPluginHost(int fd = kPluginHostFd);

}  // namespace zerorl::reward

#endif  // ZERORL_REWARD_PLUGIN_HOST_H_
