// The progress report with a fake clock: terminal redraws, plain periodic lines, the ETA.
#include "eval/progress.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zerorl::eval {
namespace {

using ::testing::HasSubstr;

TEST(ProgressTest, FormatDuration) {
  EXPECT_EQ(FormatDuration(0), "0:00:00");
  EXPECT_EQ(FormatDuration(31.4), "0:00:31");
  EXPECT_EQ(FormatDuration(3723), "1:02:03");
  EXPECT_EQ(FormatDuration(-1), "?");
  EXPECT_EQ(FormatDuration(NAN), "?");
}

TEST(ProgressTest, TerminalRedrawsOneLineWithBarAndEta) {
  double now = 100.0;
  std::ostringstream out;
  Progress p("gsm8k", 100, &out, /*terminal=*/true, 10.0, [&] { return now; });
  now = 110.0;
  p.Update(25);  // 2.5/s, 75 left -> 30 s
  EXPECT_EQ(out.str(),
            "\rgsm8k [######..................] 25/100 problems (25%)  2.50/s  elapsed 0:00:10  "
            "ETA 0:00:30\x1b[K");
  now = 140.0;
  p.Update(100);
  p.Finish();
  EXPECT_THAT(out.str(), HasSubstr("\rgsm8k [########################] 100/100 problems (100%)  2.50/s  "
                                   "elapsed 0:00:40  ETA 0:00:00\x1b[K\n"));
}

TEST(ProgressTest, PlainLinesOnlyEveryIntervalAndAtTheEnd) {
  double now = 0.0;
  std::ostringstream out;
  Progress p("math500", 10, &out, /*terminal=*/false, 10.0, [&] { return now; });
  now = 5.0;
  p.Update(1);
  EXPECT_EQ(out.str(), "");  // too soon
  now = 10.0;
  p.Update(2);
  EXPECT_EQ(out.str(), "math500 2/10 problems (20%)  0.20/s  elapsed 0:00:10  ETA 0:00:40\n");
  now = 12.0;
  p.Update(3);
  now = 20.0;
  p.Update(10);
  p.Finish();
  p.Finish();  // once only
  EXPECT_EQ(out.str(),
            "math500 2/10 problems (20%)  0.20/s  elapsed 0:00:10  ETA 0:00:40\n"
            "math500 10/10 problems (100%)  0.50/s  elapsed 0:00:20  ETA 0:00:00\n");
}

TEST(ProgressTest, UnknownRateHasNoEta) {
  Progress p("x", 5, nullptr, false, 10.0, [] { return 0.0; });
  EXPECT_EQ(p.Line(0, 0.0), "x 0/5 problems (0%)  0.00/s  elapsed 0:00:00  ETA ?");
}

}  // namespace
}  // namespace zerorl::eval
