#include "verifiers/math/internal/arena.h"

#include <cstring>

namespace zerorl::math {

Arena::Arena() : cursor_(inline_block_), left_(kInlineBytes) {}

Arena::~Arena() = default;

void* Arena::Allocate(size_t bytes, size_t align) {
  size_t pad = (align - reinterpret_cast<uintptr_t>(cursor_) % align) % align;
  if (pad + bytes > left_) {
    size_t size = bytes + align > kBlockBytes ? bytes + align : kBlockBytes;
    blocks_.emplace_back(new char[size]);
    cursor_ = blocks_.back().get();
    left_ = size;
    pad = (align - reinterpret_cast<uintptr_t>(cursor_) % align) % align;
  }
  char* out = cursor_ + pad;
  cursor_ += pad + bytes;
  left_ -= pad + bytes;
  bytes_used_ += pad + bytes;
  return out;
}

std::string_view Arena::CopyString(std::string_view s) {
  char* p = static_cast<char*>(Allocate(s.size() + 1, 1));
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return std::string_view(p, s.size());
}

mpq_class* Arena::NewBig(const mpq_class& value) {
  bigs_.push_back(std::make_unique<mpq_class>(value));
  // Count the limbs so that Budget's memory limit sees big numbers too.
  bytes_used_ += sizeof(mpq_class) + 8 * (mpz_size(value.get_num_mpz_t()) +
                                          mpz_size(value.get_den_mpz_t()));
  return bigs_.back().get();
}

Budget::Budget(int64_t deadline_ms, int64_t max_steps, size_t max_memory_bytes,
               const Arena* arena)
    : has_deadline_(deadline_ms > 0),
      deadline_ms_(deadline_ms),
      max_steps_(max_steps),
      max_memory_bytes_(max_memory_bytes),
      arena_(arena) {
  if (has_deadline_) {
    deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  }
}

bool Budget::Check() {
  next_check_ = steps_ + 256;
  if (max_steps_ > 0 && steps_ > max_steps_) {
    stop_ = BudgetStop::kSteps;
  } else if (arena_ != nullptr && arena_->bytes_used() > max_memory_bytes_) {
    stop_ = BudgetStop::kMemory;
  } else if (has_deadline_ && std::chrono::steady_clock::now() > deadline_) {
    stop_ = BudgetStop::kDeadline;
  }
  return stop_ == BudgetStop::kNone;
}

const char* Budget::StopReason() const {
  switch (stop_) {
    case BudgetStop::kNone: return "within budget";
    case BudgetStop::kDeadline: return "per-item deadline exceeded";
    case BudgetStop::kSteps: return "step limit exceeded";
    case BudgetStop::kMemory: return "memory limit exceeded";
  }
  return "budget exhausted";
}

}  // namespace zerorl::math
