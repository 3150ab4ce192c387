// Which problems a run sees, in which order: seeded shuffling per epoch, a held-out eval
// split, and a cursor that a checkpoint saves so that a resumed run sees exactly the
// problems the uninterrupted run would have seen.
//
//   PromptSampler sampler(data.train, DataCursor{0, 0, run.seed}, /*shuffle=*/true);
//   while (training) {
//     ASSIGN_OR_RETURN(std::vector<Problem> batch, sampler.NextBatch(32));
//     ...
//     checkpoint.dataset_cursor = CursorToJson(sampler.cursor());
//   }
//   // after a restart:
//   ASSIGN_OR_RETURN(DataCursor cursor, CursorFromJson(saved));
//   PromptSampler resumed(data.train, cursor, true);  // continues where it stopped
//
// Epoch e visits every problem once, in a permutation drawn from (seed, e) with the
// datasets' own generator (the same on every platform and standard library); a batch that
// runs past the end of an epoch continues into the next one.
#ifndef ZERORL_DATASETS_SAMPLER_H_
#define ZERORL_DATASETS_SAMPLER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "datasets/datasets.h"

namespace zerorl::datasets {

// Where a sampler is: the next problem is position `index` of epoch `epoch`'s order.
struct DataCursor {
  int64_t epoch = 0;
  int64_t index = 0;     // 0 <= index < num_rows
  int64_t seed = 1;      // the shuffle seed (run.seed)
  int64_t num_rows = 0;  // dataset size when saved; a resume over another size is refused;
                         // 0 = not known yet (filled in by the sampler)
};

// {"epoch":0,"index":5,"seed":1,"num_rows":7473}
std::string CursorToJson(const DataCursor& cursor);
// kInvalidArgument naming the field for a missing key, a wrong type or a negative value.
absl::StatusOr<DataCursor> CursorFromJson(std::string_view json);

class PromptSampler {
 public:
  // `dataset` must outlive the sampler and be non-empty (NextBatch refuses an empty one).
  // `shuffle` false: file order every epoch.
  PromptSampler(const Dataset& dataset, DataCursor start, bool shuffle);

  // The next `count` problems (count >= 1), crossing into the next epoch as needed; the
  // cursor moves past them. Errors: kFailedPrecondition for an empty dataset or a cursor
  // whose num_rows/index does not fit this dataset (a different file than at save time),
  // kInvalidArgument for count < 1, or a row read error from Dataset::Get (kDataLoss); the
  // cursor is left unchanged on error.
  absl::StatusOr<std::vector<Problem>> NextBatch(int count);
  // As NextBatch, but the dataset rows (indices into `dataset`) instead of the problems.
  absl::StatusOr<std::vector<size_t>> NextIndices(int count);

  const DataCursor& cursor() const { return cursor_; }

 private:
  const std::vector<size_t>& Order(int64_t epoch);

  const Dataset& dataset_;
  DataCursor cursor_;
  bool shuffle_;
  int64_t order_epoch_ = -1;   // the epoch order_ holds
  std::vector<size_t> order_;  // [dataset.size()] row order of order_epoch_
};

// The order of epoch `epoch` over `num_rows` rows: a permutation seeded by (seed, epoch),
// or 0..num_rows-1 when !shuffle.
std::vector<size_t> EpochOrder(size_t num_rows, int64_t seed, int64_t epoch, bool shuffle);

struct HoldoutSplit {
  Dataset train;     // the rows not held out, in their original order
  Dataset held_out;  // round(fraction * size) rows (at least 1), in original order
};

// Holds out a deterministic fraction (0 < fraction < 1) of `dataset`, chosen by `seed`.
// kInvalidArgument when that would leave either side empty.
absl::StatusOr<HoldoutSplit> SplitHoldout(const Dataset& dataset, double fraction, int64_t seed,
                                          std::string held_out_name);

}  // namespace zerorl::datasets

#endif  // ZERORL_DATASETS_SAMPLER_H_
