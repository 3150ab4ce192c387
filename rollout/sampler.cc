#include "rollout/sampler.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "rollout/internal/row_kernels.h"
#include "rollout/rng.h"

namespace zerorl::rollout {
namespace {

using internal::ExpFill;
using internal::ExpSum;
using internal::FirstIndexOf;
using internal::kExpBlock;
using internal::LogitsRow;
using internal::RowMax;

// Top-p histogram: bucket = (bits(1.0f) - bits(e)) >> kBucketShift for e = p / p_max in
// (0, 1], i.e. 1/32 of an octave per bucket, most likely first.
constexpr int kBucketShift = 18;
constexpr int kBuckets = (0x3F800000 >> kBucketShift) + 1;

// Per-thread buffers, reused across calls.
struct Scratch {
  std::vector<float> exps;        // [V] exp((x - max) / T)
  std::vector<float> block_sums;  // [ceil(V / kExpBlock)]
  std::vector<double> bucket_mass;
  std::vector<int32_t> ids;
};

// (logit, id) with the better one first: higher logit, then lower id.
struct Ranked {
  float logit;
  int32_t id;
};
inline bool Better(const Ranked& a, const Ranked& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// The k best (logit, id) of the row, best first. O(V log k) worst case, O(V) typically: after
// the heap fills, most entries fail one comparison.
std::vector<Ranked> TopRanked(const LogitsRow& row, int64_t k) {
  std::vector<Ranked> heap;  // std heap with the worst kept entry at front()
  heap.reserve(k);
  for (int64_t i = 0; i < row.size; ++i) {
    float x = row.At(i);
    if (static_cast<int64_t>(heap.size()) < k) {
      heap.push_back({x, static_cast<int32_t>(i)});
      std::push_heap(heap.begin(), heap.end(), Better);
    } else if (x > heap.front().logit) {  // ids ascend, so an equal logit never wins
      std::pop_heap(heap.begin(), heap.end(), Better);
      heap.back() = {x, static_cast<int32_t>(i)};
      std::push_heap(heap.begin(), heap.end(), Better);
    }
  }
  std::sort(heap.begin(), heap.end(), Better);
  return heap;
}

inline int BucketOf(float e) {
  uint32_t bits;
  std::memcpy(&bits, &e, sizeof(bits));
  return static_cast<int>((0x3F800000u - std::min(bits, 0x3F800000u)) >> kBucketShift);
}

// Inverse CDF over all tokens: walks the block sums, then one block.
// The block sums come from ExpBlockSums; the values of the block the draw lands in are
// recomputed here (ExpRange: the same bits).
int64_t DrawPlain(const LogitsRow& row, const Scratch& s, float max, float inv_t, double total,
                  double u) {
  double target = u * total, cum = 0.0;
  int64_t blocks = static_cast<int64_t>(s.block_sums.size());
  int64_t block = 0;
  for (; block + 1 < blocks && cum + s.block_sums[block] <= target; ++block) {
    cum += s.block_sums[block];
  }
  int64_t begin = block * kExpBlock, end = std::min(row.size, begin + kExpBlock);
  float exps[kExpBlock];  // the bits ExpBlockSums added up
  internal::ExpRange(row, begin, end, max, inv_t, exps);
  int64_t last_positive = begin;
  for (int64_t i = begin; i < end; ++i) {
    float e = exps[i - begin];
    if (e <= 0.0f) continue;
    last_positive = i;
    cum += e;
    if (cum > target) return i;
  }
  return last_positive;  // rounding left the target just past the block
}

// Top-p over all tokens: the worst (logit, id) still inside the nucleus.
Ranked NucleusBoundary(const LogitsRow& row, Scratch& s, double total, double top_p) {
  s.bucket_mass.assign(kBuckets, 0.0);
  for (int64_t i = 0; i < row.size; ++i) s.bucket_mass[BucketOf(s.exps[i])] += s.exps[i];
  double target = top_p * total, cum = 0.0;
  int crossing = 0;
  for (; crossing + 1 < kBuckets && cum + s.bucket_mass[crossing] < target; ++crossing) {
    cum += s.bucket_mass[crossing];
  }
  std::vector<Ranked> members;
  for (int64_t i = 0; i < row.size; ++i) {
    if (BucketOf(s.exps[i]) == crossing) members.push_back({row.At(i), static_cast<int32_t>(i)});
  }
  std::sort(members.begin(), members.end(), Better);
  for (const Ranked& m : members) {
    cum += s.exps[m.id];
    if (cum >= target) return m;
  }
  return members.empty() ? Ranked{-std::numeric_limits<float>::infinity(), 0} : members.back();
}

// Inverse CDF over the tokens that rank at or above `boundary` and have e >= e_min.
int64_t DrawThresholded(const LogitsRow& row, const Scratch& s, Ranked boundary, float e_min,
                        double u) {
  auto kept = [&](int64_t i) {
    float x = row.At(i);
    bool in_rank = x > boundary.logit || (x == boundary.logit && i <= boundary.id);
    return in_rank && s.exps[i] >= e_min && s.exps[i] > 0.0f;
  };
  double mass = 0.0;
  for (int64_t i = 0; i < row.size; ++i) {
    if (kept(i)) mass += s.exps[i];
  }
  double target = u * mass, cum = 0.0;
  int64_t last = -1;
  for (int64_t i = 0; i < row.size; ++i) {
    if (!kept(i)) continue;
    last = i;
    cum += s.exps[i];
    if (cum > target) return i;
  }
  return last;
}

// Top-k (then top-p over it, then min-p) on an explicit candidate list.
int64_t DrawTopK(const LogitsRow& row, const Scratch& s, const SamplingParams& p, double u) {
  std::vector<Ranked> ranked = TopRanked(row, p.top_k);
  if (p.top_p < 1.0) {
    double mass = 0.0;
    for (const Ranked& r : ranked) mass += s.exps[r.id];
    double cum = 0.0;
    size_t keep = 0;
    while (keep < ranked.size()) {
      cum += s.exps[ranked[keep++].id];
      if (cum >= p.top_p * mass) break;
    }
    ranked.resize(keep);
  }
  double mass = 0.0;
  for (const Ranked& r : ranked) {
    if (s.exps[r.id] >= p.min_p) mass += s.exps[r.id];
  }
  double target = u * mass, cum = 0.0;
  int64_t last = ranked.front().id;
  for (const Ranked& r : ranked) {
    if (s.exps[r.id] < p.min_p) continue;
    last = r.id;
    cum += s.exps[r.id];
    if (cum > target) return r.id;
  }
  return last;
}

absl::Status NotFinite(int64_t row) {
  return absl::InternalError(absl::StrCat(
      "logits row ", row, " is not finite (NaN or no finite maximum): the model diverged or "
      "its weights are broken"));
}

absl::Status SampleRow(const LogitsRow& row, const SampleRequest& request, Scratch& s,
                       SampledToken* out) {
  if (request.top_logits > 0) {
    out->top_logits.clear();
    for (const Ranked& r : TopRanked(row, std::min<int64_t>(request.top_logits, row.size))) {
      out->top_logits.emplace_back(r.id, r.logit);
    }
  }
  float max = RowMax(row);
  if (!std::isfinite(max)) return NotFinite(request.row);
  const SamplingParams& p = request.params;
  if (p.temperature <= 0.0) {
    double total = ExpSum(row, max, 1.0f);
    if (!std::isfinite(total)) return NotFinite(request.row);
    out->id = static_cast<int32_t>(FirstIndexOf(row, max));
    out->logprob = static_cast<float>(-std::log(total));
    return absl::OkStatus();
  }
  float inv_t = static_cast<float>(1.0 / p.temperature);
  bool top_k = p.top_k > 0 && p.top_k < row.size;
  bool plain = !top_k && p.top_p >= 1.0 && p.min_p <= 0.0;
  s.block_sums.resize((row.size + kExpBlock - 1) / kExpBlock);
  double total;
  if (plain) {
    total = ExpBlockSums(row, max, inv_t, s.block_sums.data());
  } else {
    s.exps.resize(row.size);
    total = ExpFill(row, max, inv_t, s.exps.data(), s.block_sums.data());
  }
  if (!std::isfinite(total)) return NotFinite(request.row);
  double u = UniformDouble(request.seed, request.stream, request.step);
  int64_t id;
  if (plain) {
    id = DrawPlain(row, s, max, inv_t, total, u);
  } else if (top_k) {
    id = DrawTopK(row, s, p, u);
  } else {  // top-p and/or min-p
    Ranked everything{-std::numeric_limits<float>::infinity(), 0};
    Ranked boundary = p.top_p < 1.0 ? NucleusBoundary(row, s, total, p.top_p) : everything;
    id = DrawThresholded(row, s, boundary, static_cast<float>(p.min_p), u);
  }
  out->id = static_cast<int32_t>(id);
  float z = (row.At(id) - max) * inv_t;
  out->logprob = static_cast<float>(static_cast<double>(z) - std::log(total));
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSamplingParams(const SamplingParams& p) {
  if (!(p.temperature >= 0.0) || !std::isfinite(p.temperature)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling temperature must be >= 0 and finite (0 = greedy), got ",
                     p.temperature));
  }
  if (p.top_k < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling top_k must be >= 0 (0 = off), got ", p.top_k));
  }
  if (!(p.top_p > 0.0 && p.top_p <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling top_p must be in (0, 1] (1 = off), got ", p.top_p));
  }
  if (!(p.min_p >= 0.0 && p.min_p < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling min_p must be in [0, 1) (0 = off), got ", p.min_p));
  }
  return absl::OkStatus();
}

absl::Status SampleTokens(const at::Tensor& logits, absl::Span<const SampleRequest> requests,
                          std::vector<SampledToken>* out) {
  if (!logits.defined() || logits.dim() != 2 || logits.size(1) == 0) {
    return absl::InvalidArgumentError("SampleTokens: logits must be [N, V] with V > 0");
  }
  at::Tensor rows = logits;
  if (!rows.device().is_cpu()) rows = rows.to(at::kCPU);
  if (rows.scalar_type() != at::kFloat && rows.scalar_type() != at::kBFloat16) {
    rows = rows.to(at::kFloat);
  }
  rows = rows.contiguous();
  for (size_t r = 0; r < requests.size(); ++r) {
    if (requests[r].row < 0 || requests[r].row >= rows.size(0)) {
      return absl::InvalidArgumentError(absl::StrCat("SampleTokens: request ", r, " reads row ",
                                                     requests[r].row, " of ", rows.size(0)));
    }
    absl::Status valid = ValidateSamplingParams(requests[r].params);
    if (!valid.ok()) return valid;
  }
  out->assign(requests.size(), SampledToken{});
  int64_t vocab = rows.size(1);
  bool bf16 = rows.scalar_type() == at::kBFloat16;
  const char* base = static_cast<const char*>(rows.data_ptr());
  size_t row_bytes = static_cast<size_t>(vocab) * rows.element_size();
  std::vector<absl::Status> status(requests.size());
  at::parallel_for(0, static_cast<int64_t>(requests.size()), 1, [&](int64_t begin, int64_t end) {
    thread_local Scratch scratch;
    for (int64_t r = begin; r < end; ++r) {
      const void* data = base + requests[r].row * row_bytes;
      LogitsRow row;
      row.size = vocab;
      if (bf16) {
        row.bf16 = static_cast<const uint16_t*>(data);
      } else {
        row.f32 = static_cast<const float*>(data);
      }
      status[r] = SampleRow(row, requests[r], scratch, &(*out)[r]);
    }
  });
  for (const absl::Status& s : status) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace zerorl::rollout
