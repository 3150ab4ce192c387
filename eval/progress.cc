#include "eval/progress.h"

#include <chrono>
#include <cmath>

#include "absl/strings/str_format.h"

namespace zerorl::eval {
namespace {

constexpr int kBarWidth = 24;

double SteadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  int64_t s = static_cast<int64_t>(std::llround(seconds));
  return absl::StrFormat("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
}

Progress::Progress(std::string label, int64_t total, std::ostream* out, bool terminal,
                   double interval_s, std::function<double()> clock)
    : label_(std::move(label)),
      total_(total),
      out_(out),
      terminal_(terminal),
      interval_s_(interval_s),
      clock_(clock ? std::move(clock) : SteadySeconds),
      start_s_(clock_()),
      last_print_s_(start_s_) {}

std::string Progress::Line(int64_t done, double elapsed_s) const {
  double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0.0;
  double eta = done >= total_ ? 0.0 : rate > 0 ? static_cast<double>(total_ - done) / rate : NAN;
  std::string line = label_;
  if (terminal_) {
    int filled = total_ > 0 ? static_cast<int>(kBarWidth * done / total_) : kBarWidth;
    line += " [" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "]";
  }
  int percent = total_ > 0 ? static_cast<int>(100 * done / total_) : 100;
  absl::StrAppendFormat(&line, " %d/%d problems (%d%%)  %.2f/s  elapsed %s  ETA %s", done, total_,
                        percent, rate, FormatDuration(elapsed_s), FormatDuration(eta));
  return line;
}

void Progress::Update(int64_t done) {
  done_ = done;
  double now = clock_();
  if (terminal_) {
    *out_ << "\r" << Line(done, now - start_s_) << "\x1b[K" << std::flush;
  } else if (now - last_print_s_ >= interval_s_ && done < total_) {
    *out_ << Line(done, now - start_s_) << "\n" << std::flush;
    last_print_s_ = now;
  }
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  double now = clock_();
  if (terminal_) {
    *out_ << "\r" << Line(done_, now - start_s_) << "\x1b[K\n" << std::flush;
  } else {
    *out_ << Line(done_, now - start_s_) << "\n" << std::flush;
  }
}

}  // namespace zerorl::eval
