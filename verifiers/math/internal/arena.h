// Per-verification memory and time bounds for the math checker.
//
// Arena: a bump allocator that owns every node, token and big number made while one
// answer pair is checked; everything is freed at once when the Arena dies. It never
// refuses an allocation, but counts bytes; Budget turns "too many bytes" into a stop.
//
// Budget: the per-item deadline. Hot loops call Tick(); every 256 ticks it reads the
// steady clock, and once the deadline, the step limit or the memory limit is passed it
// stays exhausted, so every loop above it unwinds quickly (no exceptions are used).
//
// Neither type is shared between threads: one verification = one Arena + one Budget.
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_ARENA_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_ARENA_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>

#include <gmpxx.h>

namespace zerorl::math {

class Arena {
 public:
  Arena();
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* Allocate(size_t bytes, size_t align = alignof(std::max_align_t));

  // Constructs a trivially destructible T in the arena.
  template <class T, class... Args>
  T* New(Args&&... args) {
    static_assert(std::is_trivially_destructible_v<T>, "arena objects are never destroyed");
    return new (Allocate(sizeof(T), alignof(T))) T(std::forward<Args>(args)...);
  }
  // An uninitialised array of n trivially destructible T.
  template <class T>
  T* NewArray(size_t n) {
    static_assert(std::is_trivially_destructible_v<T>, "arena objects are never destroyed");
    return static_cast<T*>(Allocate(sizeof(T) * (n == 0 ? 1 : n), alignof(T)));
  }
  // A copy of `s` that lives as long as the arena.
  std::string_view CopyString(std::string_view s);
  // A GMP rational owned (and cleared) by the arena.
  mpq_class* NewBig(const mpq_class& value);

  size_t bytes_used() const { return bytes_used_; }

 private:
  static constexpr size_t kInlineBytes = 4096;
  static constexpr size_t kBlockBytes = 16384;
  alignas(std::max_align_t) char inline_block_[kInlineBytes];
  char* cursor_;
  size_t left_;
  size_t bytes_used_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<std::unique_ptr<mpq_class>> bigs_;
};

// Why a Budget stopped.
enum class BudgetStop : uint8_t { kNone, kDeadline, kSteps, kMemory };

class Budget {
 public:
  // deadline_ms <= 0 means no clock limit (steps and memory still apply).
  Budget(int64_t deadline_ms, int64_t max_steps, size_t max_memory_bytes, const Arena* arena);

  // Counts `cost` steps; false once the budget is spent (and from then on).
  bool Tick(int64_t cost = 1) {
    if (stop_ != BudgetStop::kNone) return false;
    steps_ += cost;
    if (steps_ >= next_check_) return Check();
    return true;
  }
  bool exhausted() const { return stop_ != BudgetStop::kNone; }
  BudgetStop stop() const { return stop_; }
  int64_t steps() const { return steps_; }
  // "deadline of 50 ms exceeded", "step limit exceeded", ...
  const char* StopReason() const;

 private:
  bool Check();

  std::chrono::steady_clock::time_point deadline_;
  bool has_deadline_;
  int64_t deadline_ms_;
  int64_t max_steps_;
  size_t max_memory_bytes_;
  const Arena* arena_;
  int64_t steps_ = 0;
  int64_t next_check_ = 256;
  BudgetStop stop_ = BudgetStop::kNone;
};

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_ARENA_H_
