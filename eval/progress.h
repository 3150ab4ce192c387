// A progress report for long evaluations: on a terminal one line redrawn in place
// ("gsm8k [#######.............] 35/100 problems  2.1/s  ETA 0:00:31"); otherwise (a log
// file, a pipe) a plain line every `interval_s` seconds and at the end, so logs stay
// readable.
//
//   Progress progress("gsm8k", problems.size(), &std::cerr, ::isatty(2));
//   for (...) { ...; progress.Update(done); }
//   progress.Finish();
#ifndef ZERORL_EVAL_PROGRESS_H_
#define ZERORL_EVAL_PROGRESS_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace zerorl::eval {

// "0:00:31", "1:02:03"; "?" for a negative or non-finite number of seconds.
std::string FormatDuration(double seconds);

class Progress {
 public:
  // `out` must outlive the Progress. `clock` returns seconds (monotonic); default: steady_clock.
  Progress(std::string label, int64_t total, std::ostream* out, bool terminal,
           double interval_s = 10.0, std::function<double()> clock = nullptr);

  // `done` of `total` items are finished. Draws when something should be shown.
  void Update(int64_t done);
  // Draws the final state (and ends the terminal line).
  void Finish();

  // The text of one report for `done` items after `elapsed_s`, without line ends.
  std::string Line(int64_t done, double elapsed_s) const;

 private:
  std::string label_;
  int64_t total_;
  std::ostream* out_;
  bool terminal_;
  double interval_s_;
  std::function<double()> clock_;
  double start_s_;
  double last_print_s_;
  int64_t done_ = 0;
  bool finished_ = false;
};

}  // namespace zerorl::eval

#endif  // ZERORL_EVAL_PROGRESS_H_
