#include "verifiers/sandbox/internal/wire.h"

#include <cstring>

namespace zerorl::sandbox {
namespace {

constexpr char kSetupMagic[4] = {'Z', 'B', 'S', '1'};
constexpr char kJobMagic[4] = {'Z', 'B', 'J', '1'};
// Bounds that no real plan comes near; they keep a damaged count from asking for the moon.
constexpr uint32_t kMaxEntries = 1 << 16;
constexpr uint32_t kMaxArgs = 1 << 16;
constexpr uint32_t kMaxFilterLength = BPF_MAXINSNS;

// ---- encoding ----

class Writer {
 public:
  void Magic(const char (&magic)[4]) { out_.append(magic, 4); }
  void U32(uint32_t v) { Raw(&v, sizeof(v)); }
  void U64(uint64_t v) { Raw(&v, sizeof(v)); }
  void Bool(bool v) { U32(v ? 1 : 0); }
  void Bytes(const char* data, size_t size) {
    U32(static_cast<uint32_t>(size));
    if (size > 0) out_.append(data, size);
    out_.push_back('\0');
  }
  void String(const char* text) { Bytes(text, text == nullptr ? 0 : std::strlen(text)); }
  void Raw(const void* data, size_t size) { out_.append(static_cast<const char*>(data), size); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// ---- decoding ----

class Reader {
 public:
  Reader(const std::string& bytes, WireSection* section)
      : data_(bytes.data()), size_(bytes.size()), section_(section) {}

  bool Magic(const char (&magic)[4]) {
    const char* at = Take(4);
    return at != nullptr && std::memcmp(at, magic, 4) == 0;
  }
  bool U32(uint32_t* v) { return Copy(v, sizeof(*v)); }
  bool U64(uint64_t* v) { return Copy(v, sizeof(*v)); }
  bool I64(int64_t* v) { return Copy(v, sizeof(*v)); }
  bool Bool(bool* v) {
    uint32_t raw = 0;
    if (!U32(&raw) || raw > 1) return false;
    *v = raw == 1;
    return true;
  }
  // A count of at most `limit` elements of at least `min_bytes` each.
  bool Count(uint32_t* count, uint32_t limit, size_t min_bytes) {
    return U32(count) && *count <= limit && *count * min_bytes <= size_ - offset_;
  }
  // Bytes (may hold '\0'); `*data` points into the buffer and is '\0'-terminated.
  bool Bytes(const char** data, size_t* size) {
    uint32_t length = 0;
    if (!U32(&length) || length >= size_ - offset_) return false;
    const char* at = Take(length + 1u);
    if (at == nullptr || at[length] != '\0') return false;
    *data = at;
    *size = length;
    return true;
  }
  // A C string: no '\0' inside.
  bool String(const char** text) {
    size_t size = 0;
    return Bytes(text, &size) && std::strlen(*text) == size;
  }
  bool Section(WireSection section) {
    *section_ = section;
    return true;
  }
  bool AtEnd() { return Section(WireSection::kEnd) && offset_ == size_; }
  bool Copy(void* out, size_t size) {
    const char* at = Take(size);
    if (at != nullptr) std::memcpy(out, at, size);
    return at != nullptr;
  }

 private:
  const char* Take(size_t size) {
    if (size > size_ - offset_) return nullptr;
    const char* at = data_ + offset_;
    offset_ += size;
    return at;
  }

  const char* data_;
  size_t size_;
  size_t offset_ = 0;
  WireSection* section_;
};

ChildError Malformed(SetupStep step, WireSection section) {
  return {step, static_cast<int32_t>(section), EBADMSG};
}

bool ReadRootEntry(Reader* in, RootEntry* e) {
  uint32_t kind = 0;
  uint64_t flags = 0;
  size_t source_size = 0;
  if (!in->U32(&kind) || kind >= static_cast<uint32_t>(RootEntryKind::kCount)) return false;
  e->kind = static_cast<RootEntryKind>(kind);
  if (!in->String(&e->path) || e->path[0] != '/' || !in->Bytes(&e->source, &source_size) ||
      !in->Bytes(&e->data, &e->data_size) || !in->Bool(&e->source_is_directory) ||
      !in->U64(&flags)) {
    return false;
  }
  e->keep_mount_flags = static_cast<unsigned long>(flags);
  return true;
}

bool ReadStep(Reader* in, ChildStep* step, std::vector<char*>* argv) {
  uint32_t num_args = 0, has_payload = 0, num_rlimits = 0;
  if (!in->Count(&num_args, kMaxArgs, 5) || num_args == 0) return false;
  for (uint32_t i = 0; i < num_args; ++i) {
    const char* arg = nullptr;
    if (!in->String(&arg)) return false;
    argv->push_back(const_cast<char*>(arg));
  }
  argv->push_back(nullptr);
  step->path = (*argv)[0];
  step->argv = argv->data();
  if (step->path[0] != '/') return false;
  if (!in->Bytes(&step->stdin_data, &step->stdin_size) || !in->U32(&has_payload) ||
      has_payload > 1 || !in->Bytes(&step->payload, &step->payload_size) ||
      !in->Bool(&step->marker) || !in->Bool(&step->raise_oom_score) ||
      !in->I64(&step->wall_time_ms) || !in->I64(&step->cpu_time_ms) ||
      step->wall_time_ms <= 0 || step->cpu_time_ms <= 0 ||
      !in->Count(&num_rlimits, kMaxRlimits, 12)) {
    return false;
  }
  if (has_payload == 0) step->payload = nullptr;
  step->num_rlimits = static_cast<int>(num_rlimits);
  for (uint32_t i = 0; i < num_rlimits; ++i) {
    uint32_t resource = 0;
    uint64_t value = 0;
    if (!in->U32(&resource) || resource >= RLIM_NLIMITS || !in->U64(&value)) return false;
    step->rlimits[i] = {static_cast<int>(resource), static_cast<rlim_t>(value)};
  }
  return true;
}

}  // namespace

const char* WireSectionName(int32_t section) {
  static const char* const kNames[] = {"header", "identity", "root", "root entries",
                                       "network", "privileges", "environment",
                                       "work directory", "work files", "steps", "end"};
  if (section < 0 || section > static_cast<int32_t>(WireSection::kEnd)) return "?";
  return kNames[section];
}

std::string EncodeSetup(const ChildSetup& s) {
  Writer out;
  out.Magic(kSetupMagic);
  out.U32(s.uid);
  out.U32(s.gid);
  out.Bool(s.drop_supplementary_groups);
  out.String(s.staging_dir);
  out.String(s.root_tmpfs_options);
  out.String(s.proc_path);
  out.String(s.work_dir_in_box);
  out.U32(static_cast<uint32_t>(s.num_root_entries));
  for (size_t i = 0; i < s.num_root_entries; ++i) {
    const RootEntry& e = s.root_entries[i];
    out.U32(static_cast<uint32_t>(e.kind));
    out.String(e.path);
    out.String(e.source);
    out.Bytes(e.data, e.data == nullptr ? 0 : e.data_size);
    out.Bool(e.source_is_directory);
    out.U64(e.keep_mount_flags);
  }
  out.Bool(s.loopback);
  out.String(s.hostname);
  out.U32(static_cast<uint32_t>(s.cap_last_cap));
  out.U32(static_cast<uint32_t>(s.seccomp_length));
  out.Raw(s.seccomp, s.seccomp_length * sizeof(sock_filter));
  uint32_t num_env = 0;
  while (s.envp != nullptr && s.envp[num_env] != nullptr) ++num_env;
  out.U32(num_env);
  for (uint32_t i = 0; i < num_env; ++i) out.String(s.envp[i]);
  return out.Take();
}

std::string EncodeJob(const ChildJob& job) {
  Writer out;
  out.Magic(kJobMagic);
  out.String(job.work_tmpfs_options);
  out.U32(static_cast<uint32_t>(job.num_files));
  for (size_t i = 0; i < job.num_files; ++i) {
    const ChildFile& f = job.files[i];
    out.String(f.path);
    out.Bytes(f.data, f.size);
    out.U32(f.mode);
  }
  out.U32(static_cast<uint32_t>(job.num_steps));
  for (size_t i = 0; i < job.num_steps; ++i) {
    const ChildStep& step = job.steps[i];
    uint32_t num_args = 0;
    while (step.argv[num_args] != nullptr) ++num_args;
    out.U32(num_args);
    for (uint32_t a = 0; a < num_args; ++a) out.String(step.argv[a]);
    out.Bytes(step.stdin_data, step.stdin_size);
    out.U32(step.payload != nullptr ? 1 : 0);
    out.Bytes(step.payload, step.payload != nullptr ? step.payload_size : 0);
    out.Bool(step.marker);
    out.Bool(step.raise_oom_score);
    out.U64(static_cast<uint64_t>(step.wall_time_ms));
    out.U64(static_cast<uint64_t>(step.cpu_time_ms));
    out.U32(static_cast<uint32_t>(step.num_rlimits));
    for (int r = 0; r < step.num_rlimits; ++r) {
      out.U32(static_cast<uint32_t>(step.rlimits[r].resource));
      out.U64(step.rlimits[r].value);
    }
  }
  return out.Take();
}

ChildError DecodedSetup::Decode(std::string bytes) {
  bytes_ = std::move(bytes);
  setup_ = {};
  entries_.clear();
  seccomp_.clear();
  envp_.clear();
  WireSection section = WireSection::kHeader;
  Reader in(bytes_, &section);
  ChildSetup& s = setup_;
  uint32_t cap_last_cap = 0, count = 0;
  bool ok = in.Magic(kSetupMagic) && in.Section(WireSection::kIdentity) && in.U32(&s.uid) &&
            in.U32(&s.gid) && in.Bool(&s.drop_supplementary_groups) &&
            in.Section(WireSection::kRoot) && in.String(&s.staging_dir) &&
            in.String(&s.root_tmpfs_options) && in.String(&s.proc_path) &&
            in.String(&s.work_dir_in_box) && s.work_dir_in_box[0] == '/' &&
            in.Section(WireSection::kRootEntries) && in.Count(&count, kMaxEntries, 29);
  for (uint32_t i = 0; ok && i < count; ++i) {
    entries_.emplace_back();
    ok = ReadRootEntry(&in, &entries_.back());
  }
  ok = ok && in.Section(WireSection::kNetwork) && in.Bool(&s.loopback) &&
       in.String(&s.hostname) && in.Section(WireSection::kPrivileges) && in.U32(&cap_last_cap) &&
       cap_last_cap < 64 && in.Count(&count, kMaxFilterLength, sizeof(sock_filter)) &&
       count > 0;
  if (ok) {
    seccomp_.resize(count);  // copied out: the buffer gives no alignment
    ok = in.Copy(seccomp_.data(), count * sizeof(sock_filter));
  }
  ok = ok && in.Section(WireSection::kEnvironment) && in.Count(&count, kMaxArgs, 5);
  for (uint32_t i = 0; ok && i < count; ++i) {
    const char* variable = nullptr;
    ok = in.String(&variable);
    envp_.push_back(const_cast<char*>(variable));
  }
  if (!ok || !in.AtEnd()) return Malformed(SetupStep::kReadSetup, section);
  envp_.push_back(nullptr);
  s.root_entries = entries_.data();
  s.num_root_entries = entries_.size();
  s.cap_last_cap = static_cast<int>(cap_last_cap);
  s.seccomp = seccomp_.data();
  s.seccomp_length = seccomp_.size();
  s.envp = envp_.data();
  return {};
}

ChildError DecodedJob::Decode(std::string bytes) {
  bytes_ = std::move(bytes);
  job_ = {};
  files_.clear();
  steps_.clear();
  argvs_.clear();
  WireSection section = WireSection::kHeader;
  Reader in(bytes_, &section);
  uint32_t count = 0;
  bool ok = in.Magic(kJobMagic) && in.Section(WireSection::kWorkDir) &&
            in.String(&job_.work_tmpfs_options) && in.Section(WireSection::kFiles) &&
            in.Count(&count, kMaxEntries, 14);
  for (uint32_t i = 0; ok && i < count; ++i) {
    ChildFile& f = files_.emplace_back();
    uint32_t mode = 0;
    ok = in.String(&f.path) && f.path[0] == '/' && in.Bytes(&f.data, &f.size) &&
         in.U32(&mode) && mode <= 07777;
    f.mode = static_cast<mode_t>(mode);
  }
  ok = ok && in.Section(WireSection::kSteps) && in.Count(&count, kMaxEntries, 40);
  if (ok) argvs_.reserve(count);
  for (uint32_t i = 0; ok && i < count; ++i) {
    ok = ReadStep(&in, &steps_.emplace_back(), &argvs_.emplace_back());
  }
  if (!ok || !in.AtEnd()) return Malformed(SetupStep::kReadJob, section);
  job_.files = files_.data();
  job_.num_files = files_.size();
  job_.steps = steps_.data();
  job_.num_steps = steps_.size();
  return {};
}

const char* SetupStepName(SetupStep step) {
  switch (step) {
    case SetupStep::kNone: return "none";
    case SetupStep::kExecInit: return "starting the box's init";
    case SetupStep::kReadSetup: return "reading the box's setup";
    case SetupStep::kAwaitGo: return "waiting for the parent";
    case SetupStep::kSetGroups: return "setgroups";
    case SetupStep::kSetGid: return "setresgid";
    case SetupStep::kSetUid: return "setresuid";
    case SetupStep::kKeepCaps: return "keeping capabilities across setresuid";
    case SetupStep::kMakeMountsPrivate: return "making mounts private";
    case SetupStep::kMountRootTmpfs: return "mounting the root tmpfs";
    case SetupStep::kRootEntry: return "building the root";
    case SetupStep::kMountProc: return "mounting /proc";
    case SetupStep::kLoopback: return "bringing up loopback";
    case SetupStep::kHostname: return "sethostname";
    case SetupStep::kPivotRoot: return "pivot_root";
    case SetupStep::kRemountRootReadOnly: return "remounting / read-only";
    case SetupStep::kProtectInit: return "making init undumpable";
    case SetupStep::kParentDeathSignal: return "setting the parent-death signal";
    case SetupStep::kReceiveJob: return "receiving a job";
    case SetupStep::kReadJob: return "reading a job";
    case SetupStep::kNewIpcNamespace: return "entering a new IPC namespace";
    case SetupStep::kMountWorkTmpfs: return "mounting the /tmp tmpfs";
    case SetupStep::kWriteWorkFile: return "writing a work file";
    case SetupStep::kCount: break;
  }
  return "unknown step";
}

}  // namespace zerorl::sandbox
