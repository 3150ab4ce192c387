// Leveled logging to stderr with wall-clock timestamps.
//
//   ZLOG(INFO) << "step " << step << " reward " << reward;
//   ZLOG(WARNING) << "dataset " << path << ":" << line << ": skipped: " << why;
//
// The threshold comes from ZERORL_LOG (debug|info|warning|error; default info) or
// SetLogLevel(). Each message is written with one write(2), so lines from several threads
// or processes sharing stderr do not interleave.
#ifndef ZERORL_CORE_LOG_H_
#define ZERORL_CORE_LOG_H_

#include <sstream>
#include <string>

namespace zerorl::core {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warning", "error"; returns false on anything else.
bool ParseLogLevel(const std::string& name, LogLevel* level);
// A short tag printed after the timestamp, e.g. "rollout-1"; default is empty.
void SetLogTag(const std::string& tag);

namespace internal {
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};
// Swallows the stream when the level is filtered out.
struct LogVoidify {
  void operator&(std::ostream&) {}
};
}  // namespace internal

}  // namespace zerorl::core

#define ZERORL_LOG_LEVEL_DEBUG ::zerorl::core::LogLevel::kDebug
#define ZERORL_LOG_LEVEL_INFO ::zerorl::core::LogLevel::kInfo
#define ZERORL_LOG_LEVEL_WARNING ::zerorl::core::LogLevel::kWarning
#define ZERORL_LOG_LEVEL_ERROR ::zerorl::core::LogLevel::kError

#define ZLOG(severity)                                                      \
  (ZERORL_LOG_LEVEL_##severity < ::zerorl::core::GetLogLevel())             \
      ? (void)0                                                             \
      : ::zerorl::core::internal::LogVoidify() &                            \
            ::zerorl::core::internal::LogMessage(ZERORL_LOG_LEVEL_##severity, \
                                           __FILE__, __LINE__).stream()

#endif  // ZERORL_CORE_LOG_H_
