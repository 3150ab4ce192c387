#include "verifiers/sandbox/internal/cgroup.h"

#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"
#include "tests/verifiers/sandbox/sandbox_testing.h"

namespace zerorl::sandbox {
namespace {

using testing::ReadText;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

constexpr char kHybridCgroup[] =
    "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n1:cpu,cpuacct:/x\n0::/\n";
constexpr char kHybridMountinfo[] =
    "22 1 0:20 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "26 22 0:24 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "27 22 0:25 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "28 22 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "30 22 0:28 / /sys/fs/cgroup/unified rw,relatime shared:5 - cgroup2 cgroup2 rw\n";

TEST(SandboxCgroupTest, FindsItsOwnV1AndV2Cgroups) {
  EXPECT_EQ(FindOwnCgroup(kHybridCgroup, kHybridMountinfo, "memory"),
            "/sys/fs/cgroup/memory/process_api/abc");
  EXPECT_EQ(FindOwnCgroup(kHybridCgroup, kHybridMountinfo, "pids"), "/sys/fs/cgroup/pids");
  EXPECT_EQ(FindOwnCgroup(kHybridCgroup, kHybridMountinfo, "cpu"), "/sys/fs/cgroup/cpu,cpuacct/x");
  EXPECT_EQ(FindOwnCgroup(kHybridCgroup, kHybridMountinfo, ""), "/sys/fs/cgroup/unified");
  EXPECT_EQ(FindOwnCgroup(kHybridCgroup, kHybridMountinfo, "blkio"), "");
}

TEST(SandboxCgroupTest, FindsAPureV2CgroupBelowABindMountedRoot) {
  // A container that sees its own cgroup at the root of a bind-mounted hierarchy.
  EXPECT_EQ(FindOwnCgroup("0::/user.slice/job/worker\n",
                          "40 1 0:30 /user.slice/job /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", ""),
            "/sys/fs/cgroup/worker");
  EXPECT_EQ(FindOwnCgroup("0::/elsewhere\n",
                          "40 1 0:30 /user.slice/job /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", ""),
            "");
}

TEST(SandboxCgroupTest, OffMeansRlimits) {
  SandboxOptions options;
  options.use_cgroups = false;
  absl::StatusOr<std::unique_ptr<CgroupManager>> manager = CgroupManager::Create(options);
  ASSERT_THAT(manager, IsOk());
  EXPECT_EQ((*manager)->memory_mode(), MemoryLimitMode::kRlimitAs);
  EXPECT_EQ((*manager)->process_mode(), ProcessLimitMode::kRlimitNproc);
  absl::StatusOr<std::unique_ptr<CgroupSlot>> slot = (*manager)->Acquire();
  ASSERT_THAT(slot, IsOk());
  EXPECT_EQ(*slot, nullptr);
}

TEST(SandboxCgroupTest, AnExplicitV2ParentMustDelegateMemoryAndPids) {
  zerorl::testing::TempDir dir;  // a directory that is no cgroup at all
  SandboxOptions options;
  options.cgroup_v2_parent = dir.path();
  absl::StatusOr<std::unique_ptr<CgroupManager>> manager = CgroupManager::Create(options);
  EXPECT_THAT(manager, StatusIs(absl::StatusCode::kInvalidArgument,
                                "cgroup_v2_parent " + dir.path() +
                                    ": its cgroup.subtree_control must enable memory and pids"));
}

// On a machine where this process may make cgroups (root here): slots carry the limits,
// are reused, and are removed with the manager.
TEST(SandboxCgroupTest, SlotsCarryLimitsAndAreRemoved) {
  absl::StatusOr<std::unique_ptr<CgroupManager>> manager = CgroupManager::Create(SandboxOptions{});
  ASSERT_THAT(manager, IsOk());
  if (!(*manager)->enabled()) GTEST_SKIP() << "no writable cgroup here: limits fall back to rlimits";
  absl::StatusOr<std::unique_ptr<CgroupSlot>> slot = (*manager)->Acquire();
  ASSERT_THAT(slot, IsOk());
  ASSERT_NE(*slot, nullptr);
  ASSERT_THAT((*slot)->SetLimits(64 << 20, 10), IsOk());
  ASSERT_THAT((*slot)->SetLimits(128 << 20, 20), IsOk());  // raising after lowering
  std::string memory_dir = (*slot)->memory_dir(), pids_dir = (*slot)->pids_dir();
  if ((*manager)->memory_mode() == MemoryLimitMode::kCgroupV1) {
    EXPECT_EQ(ReadText(memory_dir + "/memory.limit_in_bytes"), "134217728\n");
  } else if ((*manager)->memory_mode() == MemoryLimitMode::kCgroupV2) {
    EXPECT_EQ(ReadText(memory_dir + "/memory.max"), "134217728\n");
  }
  if (!pids_dir.empty()) {
    EXPECT_EQ(ReadText(pids_dir + "/pids.max"), "21\n");  // + init
  }
  EXPECT_THAT((*slot)->BeginStep(), IsOk());
  absl::StatusOr<bool> killed = (*slot)->OomKilledSinceBegin();
  ASSERT_THAT(killed, IsOk());
  EXPECT_FALSE(*killed);
  CgroupSlot* first = slot->get();
  (*manager)->Release(std::move(*slot));
  absl::StatusOr<std::unique_ptr<CgroupSlot>> again = (*manager)->Acquire();
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->get(), first);  // reused, not made again
  (*manager)->Release(std::move(*again));
  manager->reset();
  EXPECT_FALSE(testing::PathExists(memory_dir.empty() ? pids_dir : memory_dir));
}

}  // namespace
}  // namespace zerorl::sandbox
