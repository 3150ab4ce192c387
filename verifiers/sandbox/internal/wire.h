// Internal to the sandbox: the box's plan as bytes. The parent encodes a ChildSetup once per
// Sandbox and a ChildJob per request; the box's init (a separate program: it cannot read the
// parent's memory) decodes them. Built into both, from this one file, so the two sides always
// agree; the checks are for damaged input, and nothing here uses absl (init stays small).
//
// Layout: a 4-byte magic ("ZBS1" for a setup, "ZBJ1" for a job; the digit is the format
// version), then the fields in a fixed order. Integers are little-endian, fixed width. Byte
// strings are a u32 length, the bytes and a '\0' (so decoded C strings point into the buffer);
// C strings (paths, argv) may hold no other '\0'. Arrays are a u32 count and the elements.
// Every read is bounds-checked and every enum and count range-checked: a malformed plan
// decodes to a ChildError {kReadSetup or kReadJob, the WireSection that failed, EBADMSG},
// never to a crash. The decoded structs point into the Decoded* object that made them.
#ifndef ZERORL_VERIFIERS_SANDBOX_INTERNAL_WIRE_H_
#define ZERORL_VERIFIERS_SANDBOX_INTERNAL_WIRE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "verifiers/sandbox/internal/child.h"

namespace zerorl::sandbox {

enum class WireSection : int32_t {
  kHeader = 0,
  kIdentity,
  kRoot,
  kRootEntries,
  kNetwork,
  kPrivileges,  // capabilities and the seccomp filter
  kEnvironment,
  kWorkDir,
  kFiles,
  kSteps,
  kEnd,  // bytes left over after the last field
};
const char* WireSectionName(int32_t section);  // "root entries"; "?" for an unknown value

std::string EncodeSetup(const ChildSetup& setup);
std::string EncodeJob(const ChildJob& job);

class DecodedSetup {
 public:
  DecodedSetup() = default;
  DecodedSetup(const DecodedSetup&) = delete;  // setup() points into this object
  DecodedSetup& operator=(const DecodedSetup&) = delete;
  // Takes the bytes; setup() is valid until this object is destroyed or decodes again.
  ChildError Decode(std::string bytes);
  const ChildSetup& setup() const { return setup_; }

 private:
  std::string bytes_;
  ChildSetup setup_ = {};
  std::vector<RootEntry> entries_;
  std::vector<sock_filter> seccomp_;
  std::vector<char*> envp_;
};

class DecodedJob {
 public:
  DecodedJob() = default;
  DecodedJob(const DecodedJob&) = delete;  // job() points into this object
  DecodedJob& operator=(const DecodedJob&) = delete;
  ChildError Decode(std::string bytes);
  const ChildJob& job() const { return job_; }

 private:
  std::string bytes_;
  ChildJob job_ = {};
  std::vector<ChildFile> files_;
  std::vector<ChildStep> steps_;
  std::vector<std::vector<char*>> argvs_;
};

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_INTERNAL_WIRE_H_
