// The hostile-program suite: programs that try to escape, exhaust or outlast the box. Each
// must be contained, and the host is checked after each run: its mounts unchanged, no
// process of the box's host uid left, no file written where the program aimed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <future>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"
#include "tests/verifiers/sandbox/sandbox_testing.h"
#include "verifiers/sandbox/pool.h"

namespace zerorl::sandbox {
namespace {

using testing::FastLimits;
using ::testing::HasSubstr;
using testing::HostSnapshot;
using testing::MustRun;
using ::testing::Not;
using testing::PathExists;
using testing::ReadText;
using testing::RunPython;
using testing::SharedSandbox;
using ::zerorl::testing::IsOk;

RunResult RunCpp(const std::string& code, const Limits& limits = FastLimits()) {
  return MustRun(SharedSandbox(), "cpp", code, limits);
}

int64_t VmstatValue(const std::string& key) {
  std::string text = ReadText("/proc/vmstat");
  size_t at = text.find("\n" + key + " ");
  return at == std::string::npos ? 0 : std::stoll(text.substr(at + key.size() + 2));
}

TEST(SandboxHostileTest, ForkBombsEndAtTheTimeLimit) {
  HostSnapshot host;
  Limits limits = FastLimits();
  limits.wall_time_ms = 1500;
  RunResult py = RunPython("import os\nwhile True:\n    try:\n        os.fork()\n"
                           "    except OSError:\n        pass\n",
                           limits);
  EXPECT_EQ(py.status, RunStatus::kTimeLimit);
  RunResult cpp = RunCpp("#include <unistd.h>\nint main() { for (;;) fork(); }", limits);
  EXPECT_EQ(cpp.status, RunStatus::kTimeLimit);
  host.ExpectUnchanged();
}

TEST(SandboxHostileTest, MemoryBombsEndAsMemoryLimitInsideTheBox) {
  HostSnapshot host;
  int64_t swapped_before = VmstatValue("pswpout");
  Limits limits = FastLimits();
  limits.memory_mib = 96;
  RunResult py = RunPython("a = []\nwhile True:\n    a.append(bytearray(1 << 20))\n", limits);
  EXPECT_EQ(py.status, RunStatus::kMemoryLimit) << py.stderr_data;
  RunResult huge = RunPython("x = bytearray(1 << 40)\n", limits);  // refused up front
  EXPECT_EQ(huge.status, RunStatus::kMemoryLimit) << huge.stderr_data;
  RunResult cpp = RunCpp(
      "#include <string>\n#include <vector>\n"
      "int main() { std::vector<std::string> v; for (;;) v.emplace_back(1 << 20, 'x'); }",
      limits);
  EXPECT_EQ(cpp.status, RunStatus::kMemoryLimit) << cpp.stderr_data;
  EXPECT_EQ(VmstatValue("pswpout"), swapped_before) << "the host swapped";
  host.ExpectUnchanged();
}

TEST(SandboxHostileTest, InfiniteLoopAndSleepEndAtTheirLimits) {
  HostSnapshot host;
  Limits limits = FastLimits();
  limits.cpu_time_ms = 300;
  RunResult loop = RunPython("while True:\n    pass\n", limits);
  EXPECT_EQ(loop.status, RunStatus::kTimeLimit);
  limits = FastLimits();
  limits.wall_time_ms = 300;
  RunResult sleep = RunPython("import time\ntime.sleep(3600)\n", limits);
  EXPECT_EQ(sleep.status, RunStatus::kTimeLimit);
  EXPECT_LT(sleep.wall_ms, 2000);
  host.ExpectUnchanged();
}

TEST(SandboxHostileTest, DaemonizedChildDoesNotOutliveTheRun) {
  HostSnapshot host;
  RunResult r = RunPython(
      "import os, time\n"
      "if os.fork() == 0:\n"
      "    os.setsid()\n"
      "    if os.fork() == 0:\n"
      "        time.sleep(30)\n"
      "        open('/tmp/daemon-was-here', 'w').write('x')\n"
      "    os._exit(0)\n"
      "print('parent done')\n");
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.stdout_data, "parent done\n");
  EXPECT_LT(r.wall_ms, 2000);
  host.ExpectUnchanged();  // checked right away: the daemon is already gone
}

TEST(SandboxHostileTest, HostSecretsAreNotVisible) {
  HostSnapshot host;
  zerorl::testing::TempDir dir;
  std::string secret_path = dir.WriteFile("secret.txt", "zerorl-secret-7f3a");
  const char* home = std::getenv("HOME");
  RunResult r = RunPython(absl::StrCat(
      "import os\n"
      "for path in ('/etc/shadow', '/etc/gshadow', '", secret_path, "', '", home ? home : "/root",
      "/.bash_history', '/root/.ssh/id_rsa', '/proc/1/environ', '/proc/1/mem'):\n"
      "    try:\n"
      "        print(path, open(path, 'rb').read(100))\n"
      "    except OSError as e:\n"
      "        print(path, 'errno', e.errno)\n"
      "for path in ('/root', '/home', '", home ? home : "/root", "'):\n"
      "    print(path, os.path.exists(path))\n"));
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_THAT(r.stdout_data, Not(HasSubstr("zerorl-secret")));
  EXPECT_THAT(r.stdout_data, Not(HasSubstr("b'")));  // nothing was read
  EXPECT_THAT(r.stdout_data, HasSubstr("/etc/shadow errno 2\n"));
  EXPECT_THAT(r.stdout_data, HasSubstr("/proc/1/environ errno 13\n"));  // init is not dumpable
  EXPECT_THAT(r.stdout_data, HasSubstr("/root False\n"));
  host.ExpectUnchanged();
}

TEST(SandboxHostileTest, WritesOutsideTheWorkDirectoryFail) {
  HostSnapshot host;
  std::string hostname = ReadText("/proc/sys/kernel/hostname");
  const char* targets[] = {"/zerorl-hostile", "/etc/zerorl-hostile", "/usr/bin/zerorl-hostile",
                           "/usr/lib/zerorl-hostile", "/bin/zerorl-hostile"};
  std::string code = "import os\nfor path in (";
  for (const char* target : targets) absl::StrAppend(&code, "'", target, "', ");
  absl::StrAppend(&code,
                  "'/proc/sys/kernel/hostname', '/proc/sysrq-trigger', '/dev/zerorl-hostile'):\n"
                  "    try:\n"
                  "        open(path, 'w').write('owned')\n"
                  "        print(path, 'WROTE')\n"
                  "    except OSError as e:\n"
                  "        print(path, 'errno', e.errno)\n");
  RunResult r = RunPython(code);
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_THAT(r.stdout_data, Not(HasSubstr("WROTE")));
  for (const char* target : targets) EXPECT_FALSE(PathExists(target)) << target;
  EXPECT_EQ(ReadText("/proc/sys/kernel/hostname"), hostname);
  host.ExpectUnchanged();
}

TEST(SandboxHostileTest, FillingTheWorkDirectoryStopsAtItsSize) {
  HostSnapshot host;
  Limits limits = FastLimits();
  limits.work_dir_mib = 8;
  limits.file_size_mib = 64;
  RunResult r = RunPython(
      "import os\nwritten = 0\n"
      "try:\n"
      "    with open('/tmp/fill', 'wb') as f:\n"
      "        while True:\n"
      "            f.write(b'x' * (1 << 20))\n"
      "            f.flush()\n"
      "            written += 1 << 20\n"
      "except OSError as e:\n"
      "    print('errno', e.errno, written <= 8 << 20)\n",
      limits);
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "errno 28 True\n");  // ENOSPC
  host.ExpectUnchanged();
}

// A listener on the host's loopback that nothing from a box may reach.
class HostListener {
 public:
  HostListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t length = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~HostListener() { ::close(fd_); }
  int port() const { return port_; }
  bool GotConnection() const { return ::accept(fd_, nullptr, nullptr) >= 0; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::string SocketProbe(int host_port) {
  return absl::StrCat(
      "import socket\n"
      "def attempt(name, family, kind, address):\n"
      "    try:\n"
      "        s = socket.socket(family, kind)\n"
      "        s.settimeout(2)\n"
      "        if kind == socket.SOCK_STREAM:\n"
      "            s.connect(address)\n"
      "        else:\n"
      "            s.sendto(b'x', address)\n"
      "        print(name, 'CONNECTED')\n"
      "    except OSError as e:\n"
      "        print(name, 'errno', e.errno)\n"
      "attempt('tcp-host', socket.AF_INET, socket.SOCK_STREAM, ('127.0.0.1', ", host_port, "))\n"
      "attempt('tcp-out', socket.AF_INET, socket.SOCK_STREAM, ('8.8.8.8', 53))\n"
      "attempt('udp-out', socket.AF_INET, socket.SOCK_DGRAM, ('8.8.8.8', 53))\n"
      "attempt('tcp6-out', socket.AF_INET6, socket.SOCK_STREAM, ('2001:4860:4860::8888', 53))\n");
}

TEST(SandboxHostileTest, SocketsReachNeitherTheHostNorTheOutside) {
  HostSnapshot host;
  HostListener listener;
  RunResult closed = RunPython(SocketProbe(listener.port()));
  EXPECT_EQ(closed.status, RunStatus::kOk) << closed.stderr_data;
  EXPECT_EQ(closed.stdout_data,  // EPERM: IP sockets cannot even be made
            "tcp-host errno 1\ntcp-out errno 1\nudp-out errno 1\ntcp6-out errno 1\n");
  // With a loopback network the sockets exist, but the box's 127.0.0.1 is its own and no
  // route leads out.
  RunResult loopback = MustRun(SharedSandbox(/*loopback=*/true), "python",
                               SocketProbe(listener.port()));
  EXPECT_EQ(loopback.status, RunStatus::kOk) << loopback.stderr_data;
  EXPECT_EQ(loopback.stdout_data,  // ECONNREFUSED, ENETUNREACH
            "tcp-host errno 111\ntcp-out errno 101\nudp-out errno 101\ntcp6-out errno 101\n");
  EXPECT_FALSE(listener.GotConnection());
  host.ExpectUnchanged();
}

TEST(SandboxHostileTest, KillMinusOneReachesOnlyTheBox) {
  HostSnapshot host;
  RunResult r = RunPython(
      "import os, signal, time\n"
      "child = os.fork()\n"
      "if child == 0:\n"
      "    time.sleep(30)\n"
      "    os._exit(0)\n"
      "time.sleep(0.1)\n"
      "os.kill(-1, signal.SIGKILL)\n"
      "_, status = os.waitpid(child, 0)\n"
      "print('child killed by', os.WTERMSIG(status))\n");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "child killed by 9\n");
  host.ExpectUnchanged();
}

TEST(SandboxHostileTest, KillingTheParentAndInitIsIgnored) {
  HostSnapshot host;
  RunResult r = RunPython(absl::StrCat(
      "import os, signal, time\n"
      "print('ppid', os.getppid())\n"
      "for pid in (os.getppid(), 1, ", ::getpid(), ", ", ::getppid(), "):\n"
      "    try:\n"
      "        os.kill(pid, signal.SIGKILL)\n"
      "    except OSError as e:\n"
      "        pass\n"
      "time.sleep(0.2)\n"
      "print('alive')\n"));
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "ppid 1\nalive\n");
  host.ExpectUnchanged();
}

TEST(SandboxHostileTest, PtraceAndOtherKernelInterfacesAreRefused) {
  HostSnapshot host;
  RunResult r = RunCpp(R"CPP(
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
void Report(const char* name, long rc) { std::printf("%s %ld %d\n", name, rc, rc < 0 ? errno : 0); }
int main() {
  Report("ptrace_traceme", ptrace(PTRACE_TRACEME, 0, 0, 0));
  Report("ptrace_attach_init", ptrace(PTRACE_ATTACH, 1, 0, 0));
  Report("process_vm_readv", syscall(SYS_process_vm_readv, 1, 0, 0, 0, 0, 0));
  Report("mount", mount("none", "/tmp", "tmpfs", 0, nullptr));
  Report("umount", umount2("/proc", MNT_DETACH));
  Report("chroot", chroot("/tmp"));
  Report("pivot_root", syscall(SYS_pivot_root, "/tmp", "/tmp"));
  Report("unshare_user", unshare(CLONE_NEWUSER));
  Report("unshare_net", unshare(CLONE_NEWNET));
  Report("setns", setns(0, 0));
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  Report("clone_newuser", pid);
  Report("clone3", syscall(SYS_clone3, nullptr, 0));
  Report("bpf", syscall(SYS_bpf, 0, 0, 0));
  Report("perf_event_open", syscall(SYS_perf_event_open, 0, 0, -1, -1, 0));
  Report("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
  Report("add_key", syscall(SYS_add_key, "user", "k", "v", 1, -1));
  Report("io_uring_setup", syscall(SYS_io_uring_setup, 1, nullptr));
  Report("userfaultfd", syscall(SYS_userfaultfd, 0));
  Report("kexec_load", syscall(SYS_kexec_load, 0, 0, 0, 0));
  Report("init_module", syscall(SYS_init_module, 0, 0, ""));
  Report("open_by_handle_at", syscall(SYS_open_by_handle_at, 0, 0, 0));
  Report("socket_packet", socket(AF_PACKET, SOCK_RAW, 0));
  Report("socket_netlink", socket(AF_NETLINK, SOCK_RAW, 0));
  Report("setuid_root", setuid(0));
}
)CPP");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  for (const char* name :
       {"ptrace_traceme", "ptrace_attach_init", "process_vm_readv", "mount", "umount", "chroot",
        "pivot_root", "unshare_user", "unshare_net", "setns", "clone_newuser", "bpf",
        "perf_event_open", "keyctl", "add_key", "io_uring_setup", "userfaultfd", "kexec_load",
        "init_module", "open_by_handle_at", "socket_packet", "socket_netlink"}) {
    EXPECT_THAT(r.stdout_data, HasSubstr(absl::StrCat(name, " -1 1\n"))) << name;  // EPERM
  }
  EXPECT_THAT(r.stdout_data, HasSubstr("clone3 -1 38\n"));  // ENOSYS: libc falls back to clone
  EXPECT_THAT(r.stdout_data, HasSubstr("setuid_root -1 22\n"));  // EINVAL: root is not mapped
  host.ExpectUnchanged();
}

TEST(SandboxHostileTest, SystemCallsOfAnotherArchitectureKillTheProcess) {
  RunResult r = RunCpp(
      "#include <cstdio>\nint main() { int ret; asm volatile(\"int $0x80\" : \"=a\"(ret) : \"a\"(20));"
      " std::printf(\"%d\\n\", ret); }");
  EXPECT_EQ(r.status, RunStatus::kRuntimeError);
  EXPECT_EQ(r.signal, SIGSYS);
  EXPECT_EQ(r.stdout_data, "");
}

TEST(SandboxHostileTest, OneGigabyteOfOutputIsCutAtTheLimit) {
  HostSnapshot host;
  Limits limits = FastLimits();
  limits.stdout_limit_bytes = 1 << 20;
  RunResult r = RunPython(
      "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)\n",
      limits);
  EXPECT_EQ(r.status, RunStatus::kOutputLimit);
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_EQ(r.stdout_data.size(), 1u << 20);
  EXPECT_LT(r.wall_ms, 2500);
  host.ExpectUnchanged();
}

TEST(SandboxHostileTest, CompileBombsEndAsCompileErrors) {
  HostSnapshot host;
  Limits compile = FastLimits();
  compile.cpu_time_ms = 4000;
  compile.wall_time_ms = 6000;
  compile.memory_mib = 256;
  compile.max_processes = 16;
  const char* bombs[] = {
      // Template recursion past the instantiation depth.
      "template <int N> struct B { static constexpr long v = B<N - 1>::v + B<N - 2>::v; };\n"
      "template <> struct B<0> { static constexpr long v = 0; };\n"
      "template <> struct B<1> { static constexpr long v = 1; };\n"
      "int main() { return B<100000>::v; }\n",
      // An include that never ends.
      "#include \"/dev/zero\"\nint main() {}\n",
      // A file that includes itself.
      "#include __FILE__\nint main() {}\n",
      // 2^40 tokens of macro expansion.
      "#define a0 x\n#define a1 a0 a0\n#define a2 a1 a1\n#define a3 a2 a2\n#define a4 a3 a3\n"
      "#define a5 a4 a4\n#define a6 a5 a5\n#define a7 a6 a6\n#define a8 a7 a7\n#define a9 a8 a8\n"
      "#define b0 a9 a9\n#define b1 b0 b0\n#define b2 b1 b1\n#define b3 b2 b2\n#define b4 b3 b3\n"
      "#define b5 b4 b4\n#define b6 b5 b5\n#define b7 b6 b6\n#define b8 b7 b7\n#define b9 b8 b8\n"
      "#define c0 b9 b9\n#define c1 c0 c0\n#define c2 c1 c1\n#define c3 c2 c2\n#define c4 c3 c3\n"
      "#define c5 c4 c4\n#define c6 c5 c5\n#define c7 c6 c6\n#define c8 c7 c7\n#define c9 c8 c8\n"
      "int main() { c9 }\n",
  };
  for (const char* bomb : bombs) {
    RunRequest request;
    request.language = "cpp";
    request.code = bomb;
    request.limits = FastLimits();
    request.compile_limits = compile;
    absl::StatusOr<RunResult> r = SharedSandbox().Run(request);
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->status, RunStatus::kCompileError) << bomb;
    EXPECT_FALSE(r->stderr_data.empty()) << bomb;
  }
  host.ExpectUnchanged();
}

TEST(SandboxHostileTest, ClosingOrRedirectingStdoutAndStderrIsHarmless) {
  HostSnapshot host;
  RunResult py = RunPython(
      "import os, sys\n"
      "os.dup2(os.open('/dev/null', os.O_WRONLY), 1)\n"
      "print('hidden')\n"
      "os.close(2)\n"
      "os.close(0)\n"
      "sys.stdout.flush()\n");
  EXPECT_EQ(py.status, RunStatus::kOk) << py.stderr_data;
  EXPECT_EQ(py.stdout_data, "");
  RunResult cpp = RunCpp(
      "#include <cstdio>\n#include <unistd.h>\n"
      "int main() { std::printf(\"before\\n\"); std::fflush(stdout); close(1); close(2);"
      " std::printf(\"after\\n\"); return 0; }");
  EXPECT_EQ(cpp.status, RunStatus::kOk);
  EXPECT_EQ(cpp.stdout_data, "before\n");
  host.ExpectUnchanged();
}

TEST(SandboxHostileTest, SymlinkTricksStayInsideTheBox) {
  HostSnapshot host;
  RunResult r = RunPython(
      "import os\n"
      "os.chdir('/tmp')\n"
      "links = [('shadow', '/etc/shadow'), ('initroot', '/proc/1/root'), ('up', '../../../..'),\n"
      "         ('passwd', '/etc/passwd'), ('viaself', '/proc/self/root/etc/passwd'),\n"
      "         ('initfd', '/proc/1/fd/3')]\n"
      "for name, target in links:\n"
      "    os.symlink(target, name)\n"
      "    try:\n"
      "        if os.path.isdir(name):\n"
      "            print(name, sorted(os.listdir(name)))\n"
      "        else:\n"
      "            print(name, open(name).readline().strip())\n"
      "    except OSError as e:\n"
      "        print(name, 'errno', e.errno)\n"
      "try:\n"
      "    os.link('/etc/passwd', 'hard')\n"
      "    print('hard', 'LINKED')\n"
      "except OSError as e:\n"
      "    print('hard errno', e.errno)\n");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_THAT(r.stdout_data, HasSubstr("shadow errno 2\n"));
  EXPECT_THAT(r.stdout_data, HasSubstr("initroot errno 13\n"));
  EXPECT_THAT(r.stdout_data, HasSubstr("up ['bin', 'dev', 'etc', 'lib', 'lib32', 'lib64', "));
  EXPECT_THAT(r.stdout_data, HasSubstr("passwd root:x:0:0:root:/root:/usr/sbin/nologin\n"));
  EXPECT_THAT(r.stdout_data, HasSubstr("viaself root:x:0:0:root:/root:/usr/sbin/nologin\n"));
  EXPECT_THAT(r.stdout_data, HasSubstr("initfd errno 13\n"));
  EXPECT_THAT(r.stdout_data, HasSubstr("hard errno 18\n"));  // EXDEV: another file system
  host.ExpectUnchanged();
}

TEST(SandboxHostileTest, ConcurrentRunsDoNotSeeEachOther) {
  HostSnapshot host;
  absl::StatusOr<std::unique_ptr<SandboxPool>> pool = SandboxPool::Create(testing::TestOptions(), 2);
  ASSERT_THAT(pool, IsOk());
  RunRequest request;
  request.language = "python";
  request.limits = FastLimits();
  request.code =
      "import os, time\n"
      "mine = 'box-%d' % os.getpid()\n"
      "open('/tmp/' + mine, 'w').write('x')\n"
      "time.sleep(0.5)\n"
      "print(sorted(os.listdir('/tmp')) == [mine, 'main.py'],\n"
      "      sorted(int(p) for p in os.listdir('/proc') if p.isdigit()) == [1, os.getpid()])\n";
  std::future<absl::StatusOr<RunResult>> a = (*pool)->SubmitRun(request);
  std::future<absl::StatusOr<RunResult>> b = (*pool)->SubmitRun(request);
  for (auto* future : {&a, &b}) {
    absl::StatusOr<RunResult> r = future->get();
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->stdout_data, "True True\n");
  }
  host.ExpectUnchanged();
}

}  // namespace
}  // namespace zerorl::sandbox
