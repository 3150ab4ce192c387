// The plan's bytes between the parent and the box's init: round trips, and damaged input
// decoding to an error naming the section, never to a crash (the sanitizer build runs these).
#include "verifiers/sandbox/internal/wire.h"

#include <sys/resource.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace zerorl::sandbox {
namespace {

struct SetupFixture {
  RootEntry entries[2] = {
      {RootEntryKind::kDirectory, "/tmp/etc", nullptr, nullptr, 0, false, 0},
      {RootEntryKind::kFile, "/tmp/etc/hosts", "", "127.0.0.1 localhost\n", 20, false, 0},
  };
  sock_filter filter[2] = {{0x20, 0, 0, 4}, {0x06, 0, 0, 0x7fff0000}};
  char path_var[16] = "PATH=/bin";
  char* envp[2] = {path_var, nullptr};
  ChildSetup setup = {1000, 1001, true, "/tmp", "size=1m", entries, 2, "/tmp/proc", "/tmp",
                      true, "sandbox", 40, filter, 2, envp};
};

struct JobFixture {
  ChildFile files[1] = {{"/tmp/main.py", "print(1)\n", 9, 0644}};
  char arg0[32] = "/usr/bin/python3";
  char arg1[32] = "main.py";
  char* argv[3] = {arg0, arg1, nullptr};
  ChildStep steps[1] = {};
  ChildJob job = {"size=64m", files, 1, steps, 1};
  JobFixture() {
    ChildStep& s = steps[0];
    s.path = arg0;
    s.argv = argv;
    s.stdin_data = "a\0b";
    s.stdin_size = 3;
    s.payload = "nonce";
    s.payload_size = 5;
    s.marker = true;
    s.raise_oom_score = true;
    s.rlimits[0] = {RLIMIT_CPU, 3};
    s.rlimits[1] = {RLIMIT_NOFILE, 256};
    s.num_rlimits = 2;
    s.wall_time_ms = 3000;
    s.cpu_time_ms = 2000;
  }
};

TEST(SandboxWireTest, SetupRoundTrips) {
  SetupFixture in;
  DecodedSetup decoded;
  ASSERT_TRUE(decoded.Decode(EncodeSetup(in.setup)).ok());
  const ChildSetup& out = decoded.setup();
  EXPECT_EQ(out.uid, 1000u);
  EXPECT_EQ(out.gid, 1001u);
  EXPECT_TRUE(out.drop_supplementary_groups);
  EXPECT_STREQ(out.staging_dir, "/tmp");
  EXPECT_STREQ(out.root_tmpfs_options, "size=1m");
  ASSERT_EQ(out.num_root_entries, 2u);
  EXPECT_EQ(out.root_entries[1].kind, RootEntryKind::kFile);
  EXPECT_STREQ(out.root_entries[1].path, "/tmp/etc/hosts");
  EXPECT_EQ(std::string(out.root_entries[1].data, out.root_entries[1].data_size),
            "127.0.0.1 localhost\n");
  EXPECT_STREQ(out.root_entries[0].source, "");  // a null source decodes as ""
  EXPECT_STREQ(out.proc_path, "/tmp/proc");
  EXPECT_TRUE(out.loopback);
  EXPECT_STREQ(out.hostname, "sandbox");
  EXPECT_EQ(out.cap_last_cap, 40);
  ASSERT_EQ(out.seccomp_length, 2u);
  EXPECT_EQ(out.seccomp[1].k, 0x7fff0000u);
  EXPECT_STREQ(out.envp[0], "PATH=/bin");
  EXPECT_EQ(out.envp[1], nullptr);
}

TEST(SandboxWireTest, JobRoundTripsWithBinaryData) {
  JobFixture in;
  DecodedJob decoded;
  ASSERT_TRUE(decoded.Decode(EncodeJob(in.job)).ok());
  const ChildJob& out = decoded.job();
  EXPECT_STREQ(out.work_tmpfs_options, "size=64m");
  ASSERT_EQ(out.num_files, 1u);
  EXPECT_STREQ(out.files[0].path, "/tmp/main.py");
  EXPECT_EQ(out.files[0].mode, 0644u);
  ASSERT_EQ(out.num_steps, 1u);
  const ChildStep& s = out.steps[0];
  EXPECT_STREQ(s.path, "/usr/bin/python3");
  EXPECT_STREQ(s.argv[1], "main.py");
  EXPECT_EQ(s.argv[2], nullptr);
  EXPECT_EQ(std::string(s.stdin_data, s.stdin_size), std::string("a\0b", 3));
  EXPECT_EQ(std::string(s.payload, s.payload_size), "nonce");
  EXPECT_TRUE(s.marker);
  ASSERT_EQ(s.num_rlimits, 2);
  EXPECT_EQ(s.rlimits[1].resource, RLIMIT_NOFILE);
  EXPECT_EQ(s.rlimits[1].value, 256u);
  EXPECT_EQ(s.wall_time_ms, 3000);
  EXPECT_EQ(s.cpu_time_ms, 2000);
}

TEST(SandboxWireTest, AStepWithoutPayloadDecodesToNoPayload) {
  JobFixture in;
  in.steps[0].payload = nullptr;
  DecodedJob decoded;
  ASSERT_TRUE(decoded.Decode(EncodeJob(in.job)).ok());
  EXPECT_EQ(decoded.job().steps[0].payload, nullptr);
}

TEST(SandboxWireTest, EveryTruncationIsAnErrorNamingTheSection) {
  SetupFixture setup;
  std::string bytes = EncodeSetup(setup.setup);
  for (size_t size = 0; size < bytes.size(); ++size) {
    DecodedSetup decoded;
    ChildError error = decoded.Decode(bytes.substr(0, size));
    ASSERT_EQ(error.step, SetupStep::kReadSetup) << size;
    EXPECT_EQ(error.error, EBADMSG);
    EXPECT_STRNE(WireSectionName(error.index), "?");
  }
  JobFixture job;
  bytes = EncodeJob(job.job);
  for (size_t size = 0; size < bytes.size(); ++size) {
    DecodedJob decoded;
    ChildError error = decoded.Decode(bytes.substr(0, size));
    ASSERT_EQ(error.step, SetupStep::kReadJob) << size;
  }
}

TEST(SandboxWireTest, DamagedBytesNeverCrash) {
  JobFixture job;
  std::string bytes = EncodeJob(job.job);
  for (size_t at = 0; at < bytes.size(); ++at) {
    for (unsigned char value : {0x00, 0x7f, 0xff}) {
      std::string damaged = bytes;
      damaged[at] = static_cast<char>(value);
      DecodedJob decoded;
      ChildError error = decoded.Decode(damaged);
      if (!error.ok()) {
        EXPECT_EQ(error.step, SetupStep::kReadJob);
      }
    }
  }
}

TEST(SandboxWireTest, MalformedPlansNameWhatIsWrong) {
  DecodedSetup setup;
  ChildError error = setup.Decode("ZBJ1 a job, not a setup");
  EXPECT_EQ(error.index, static_cast<int32_t>(WireSection::kHeader));
  EXPECT_STREQ(WireSectionName(error.index), "header");

  SetupFixture with_extra;
  error = setup.Decode(EncodeSetup(with_extra.setup) + "x");
  EXPECT_EQ(error.index, static_cast<int32_t>(WireSection::kEnd));

  JobFixture relative;
  relative.arg0[0] = 'u';  // "usr/bin/python3": steps need absolute paths
  DecodedJob job;
  error = job.Decode(EncodeJob(relative.job));
  EXPECT_EQ(error.step, SetupStep::kReadJob);
  EXPECT_STREQ(WireSectionName(error.index), "steps");

  JobFixture no_time;
  no_time.steps[0].wall_time_ms = 0;
  EXPECT_EQ(job.Decode(EncodeJob(no_time.job)).index, static_cast<int32_t>(WireSection::kSteps));
}

TEST(SandboxWireTest, ANulInsideAPathIsRefused) {
  JobFixture in;
  std::string bytes = EncodeJob(in.job);
  size_t at = bytes.find("/tmp/main.py");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 4] = '\0';  // "/tmp\0main.py": the length says 12, strlen says 4
  DecodedJob decoded;
  ChildError error = decoded.Decode(bytes);
  EXPECT_EQ(error.step, SetupStep::kReadJob);
  EXPECT_STREQ(WireSectionName(error.index), "work files");
}

}  // namespace
}  // namespace zerorl::sandbox
