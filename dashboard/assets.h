// The page's static files (dashboard/assets/*), compiled in by embed_assets.cmake.
#ifndef ZERORL_DASHBOARD_ASSETS_H_
#define ZERORL_DASHBOARD_ASSETS_H_

#include <cstddef>
#include <string_view>

namespace zerorl::dashboard {

struct Asset {
  const char* name;  // file name, e.g. "app.js"
  const unsigned char* data;
  size_t size;
};

// Every embedded file; {nullptr, nullptr, 0} ends the list.
const Asset* EmbeddedAssets();

// The embedded file called `name`, or nullptr.
const Asset* FindAsset(std::string_view name);

}  // namespace zerorl::dashboard

#endif  // ZERORL_DASHBOARD_ASSETS_H_
