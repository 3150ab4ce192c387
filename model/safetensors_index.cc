// ReadSafetensors(): one file, a folder, or a sharded checkpoint's index.
#include <sys/stat.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/json.h"
#include "core/status.h"
#include "model/safetensors.h"

namespace zerorl::model {
namespace {

constexpr char kIndexName[] = "model.safetensors.index.json";
constexpr char kSingleName[] = "model.safetensors";

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

// A shard name must stay inside the checkpoint folder.
bool IsSafeShardName(const std::string& name) {
  if (name.empty() || name[0] == '/') return false;
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part == ".." || part.empty()) return false;
  }
  return true;
}

absl::Status BadIndex(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": malformed safetensors index: ", what));
}

// weight_map as tensor name -> shard file name.
absl::StatusOr<std::map<std::string, std::string>> ReadWeightMap(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, core::ReadFile(path));
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(text);
  if (!doc.ok()) return BadIndex(path, std::string(doc.status().message()));
  if (!doc->IsObject()) return BadIndex(path, "not a JSON object");
  auto it = doc->FindMember("weight_map");
  if (it == doc->MemberEnd() || !it->value.IsObject()) {
    return BadIndex(path, "\"weight_map\" missing or not an object");
  }
  std::map<std::string, std::string> weight_map;
  for (const auto& member : it->value.GetObject()) {
    std::string name = member.name.GetString();
    if (!member.value.IsString() || !IsSafeShardName(member.value.GetString())) {
      return BadIndex(path, "weight_map[\"" + name +
                                "\"] is not a file name inside the checkpoint folder");
    }
    if (!weight_map.emplace(name, member.value.GetString()).second) {
      return BadIndex(path, "tensor \"" + name + "\" listed twice");
    }
  }
  if (weight_map.empty()) return BadIndex(path, "\"weight_map\" is empty");
  return weight_map;
}

absl::StatusOr<SafetensorsCheckpoint> ReadSingle(const std::string& path) {
  ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::Open(path));
  SafetensorsCheckpoint checkpoint;
  checkpoint.tensors = file.Tensors();
  checkpoint.metadata = file.metadata();
  checkpoint.files.push_back(path);
  return checkpoint;
}

absl::StatusOr<SafetensorsCheckpoint> ReadSharded(const std::string& index_path) {
  ASSIGN_OR_RETURN(auto weight_map, ReadWeightMap(index_path));
  std::string dir = Dirname(index_path);
  std::set<std::string> shard_names;
  for (const auto& entry : weight_map) shard_names.insert(entry.second);
  SafetensorsCheckpoint checkpoint;
  for (const std::string& shard : shard_names) {
    std::string shard_path = dir + "/" + shard;
    absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(shard_path);
    if (!file.ok()) return core::Annotate(file.status(), "shard listed in " + index_path);
    for (const SafetensorsEntry& entry : file->entries()) {
      auto it = weight_map.find(entry.name);
      if (it == weight_map.end() || it->second != shard) {
        return BadIndex(index_path,
                        absl::StrCat("shard ", shard, " holds tensor \"", entry.name, "\", which ",
                                     it == weight_map.end() ? "the index does not list"
                                                            : "the index maps to " + it->second));
      }
    }
    if (checkpoint.files.empty()) checkpoint.metadata = file->metadata();
    checkpoint.files.push_back(shard_path);
    TensorMap tensors = file->Tensors();
    checkpoint.tensors.insert(tensors.begin(), tensors.end());
  }
  for (const auto& [name, shard] : weight_map) {
    if (checkpoint.tensors.count(name) == 0) {
      return BadIndex(index_path, absl::StrCat("tensor \"", name, "\" is listed in shard ", shard,
                                               " but that shard does not hold it"));
    }
  }
  return checkpoint;
}

}  // namespace

absl::StatusOr<SafetensorsCheckpoint> ReadSafetensors(const std::string& path) {
  if (IsDir(path)) {
    if (IsFile(path + "/" + kIndexName)) return ReadSharded(path + "/" + kIndexName);
    if (IsFile(path + "/" + kSingleName)) return ReadSingle(path + "/" + kSingleName);
    return absl::NotFoundError(absl::StrCat(path, ": no ", kSingleName, " or ", kIndexName,
                                            " in this folder"));
  }
  if (!IsFile(path)) return absl::NotFoundError(path + ": no such file or folder");
  if (absl::EndsWith(path, ".json")) return ReadSharded(path);
  return ReadSingle(path);
}

}  // namespace zerorl::model
