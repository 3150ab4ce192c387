// The plugin host the reward tests start (the zerorl binary has its own, `zerorl reward
// plugin-host`, which the sanitizer build does not link).
#include "reward/plugin_host.h"

int main() { return zerorl::reward::RunPluginHost(); }
