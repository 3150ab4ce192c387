#include "datasets/sampler.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"
#include "datasets/internal/rng.h"
#include "rapidjson/document.h"

namespace zerorl::datasets {

using internal::MixSeed;
using internal::Rng;

std::string CursorToJson(const DataCursor& cursor) {
  return absl::StrCat("{\"epoch\":", cursor.epoch, ",\"index\":", cursor.index,
                      ",\"seed\":", cursor.seed, ",\"num_rows\":", cursor.num_rows, "}");
}

absl::StatusOr<DataCursor> CursorFromJson(std::string_view json) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(json);
  if (!doc.ok()) return core::Annotate(doc.status(), "dataset cursor");
  if (!doc->IsObject()) return absl::InvalidArgumentError("dataset cursor: not a JSON object");
  DataCursor cursor;
  struct Field {
    const char* key;
    int64_t* value;
    bool allow_negative;
  };
  for (const Field& f : {Field{"epoch", &cursor.epoch, false}, Field{"index", &cursor.index, false},
                         Field{"seed", &cursor.seed, true},
                         Field{"num_rows", &cursor.num_rows, false}}) {
    auto it = doc->FindMember(f.key);
    if (it == doc->MemberEnd()) {
      return absl::InvalidArgumentError(absl::StrCat("dataset cursor: missing \"", f.key, "\""));
    }
    if (!it->value.IsInt64()) {
      return absl::InvalidArgumentError(
          absl::StrCat("dataset cursor: \"", f.key, "\" must be an integer"));
    }
    *f.value = it->value.GetInt64();
    if (!f.allow_negative && *f.value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("dataset cursor: \"", f.key, "\" must be >= 0, got ", *f.value));
    }
  }
  return cursor;
}

std::vector<size_t> EpochOrder(size_t num_rows, int64_t seed, int64_t epoch, bool shuffle) {
  std::vector<size_t> order(num_rows);
  for (size_t i = 0; i < num_rows; ++i) order[i] = i;
  if (shuffle) {
    Rng rng(MixSeed(static_cast<uint64_t>(seed), static_cast<uint64_t>(epoch)));
    rng.Shuffle(order);
  }
  return order;
}

PromptSampler::PromptSampler(const Dataset& dataset, DataCursor start, bool shuffle)
    : dataset_(dataset), cursor_(start), shuffle_(shuffle) {}

const std::vector<size_t>& PromptSampler::Order(int64_t epoch) {
  if (order_epoch_ != epoch) {
    order_ = EpochOrder(dataset_.size(), cursor_.seed, epoch, shuffle_);
    order_epoch_ = epoch;
  }
  return order_;
}

absl::StatusOr<std::vector<size_t>> PromptSampler::NextIndices(int count) {
  const int64_t n = static_cast<int64_t>(dataset_.size());
  if (n == 0) {
    return absl::FailedPreconditionError("dataset \"" + dataset_.name() + "\" has no problems");
  }
  if (count < 1) return absl::InvalidArgumentError(absl::StrCat("batch size ", count, " < 1"));
  if (cursor_.num_rows != 0 && cursor_.num_rows != n) {
    return absl::FailedPreconditionError(absl::StrCat(
        "dataset \"", dataset_.name(), "\" has ", n, " problems but the cursor was saved with ",
        cursor_.num_rows, "; resuming would not repeat the same sequence (was the file or its "
        "config changed?)"));
  }
  if (cursor_.index >= n) {
    return absl::FailedPreconditionError(
        absl::StrCat("dataset cursor index ", cursor_.index, " is past the ", n, " problems"));
  }
  DataCursor next = cursor_;
  next.num_rows = n;
  std::vector<size_t> out;
  out.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    out.push_back(Order(next.epoch)[static_cast<size_t>(next.index)]);
    if (++next.index == n) {
      next.index = 0;
      ++next.epoch;
    }
  }
  cursor_ = next;
  return out;
}

absl::StatusOr<std::vector<Problem>> PromptSampler::NextBatch(int count) {
  DataCursor before = cursor_;
  ASSIGN_OR_RETURN(std::vector<size_t> indices, NextIndices(count));
  std::vector<Problem> batch;
  batch.reserve(indices.size());
  for (size_t i : indices) {
    absl::StatusOr<Problem> problem = dataset_.Get(i);
    if (!problem.ok()) {
      cursor_ = before;
      return problem.status();
    }
    batch.push_back(*std::move(problem));
  }
  return batch;
}

absl::StatusOr<HoldoutSplit> SplitHoldout(const Dataset& dataset, double fraction, int64_t seed,
                                          std::string held_out_name) {
  size_t n = dataset.size();
  if (!(fraction > 0.0 && fraction < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat("holdout fraction ", fraction,
                                                   " is not in (0, 1)"));
  }
  size_t held = std::max<size_t>(1, static_cast<size_t>(std::llround(fraction * n)));
  if (held >= n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "holding out ", fraction, " of ", n, " problems would leave none to train on"));
  }
  // Its own stream (not the shuffle's), so the split does not move when run.seed does.
  std::vector<size_t> order = EpochOrder(n, static_cast<int64_t>(MixSeed(
                                                static_cast<uint64_t>(seed), 0x401D)),
                                         0, true);
  std::vector<size_t> held_rows(order.begin(), order.begin() + static_cast<ptrdiff_t>(held));
  std::vector<size_t> train_rows(order.begin() + static_cast<ptrdiff_t>(held), order.end());
  std::sort(held_rows.begin(), held_rows.end());
  std::sort(train_rows.begin(), train_rows.end());
  HoldoutSplit split;
  split.train = dataset.Subset(train_rows, dataset.name());
  split.held_out = dataset.Subset(held_rows, std::move(held_out_name));
  return split;
}

}  // namespace zerorl::datasets
