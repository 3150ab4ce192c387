#include "tokenizer/tokenizer.h"

#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"
#include "tokenizer/internal/impl.h"

namespace zerorl::tokenizer {
namespace {

using internal::EncodeState;
using internal::TokenizerImpl;

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string SiblingPath(const std::string& file, const std::string& name) {
  size_t slash = file.rfind('/');
  return slash == std::string::npos ? name : file.substr(0, slash + 1) + name;
}

// The whole encode pipeline for one text: added tokens in the raw text, normalizer, added
// tokens in the normalized text, pre-tokenizer, BPE.
void EncodeWithState(const TokenizerImpl& t, std::string_view text, const EncodeOptions& options,
                     EncodeState* state, std::vector<int32_t>* ids) {
  if (options.add_special_tokens) {
    ids->insert(ids->end(), t.prefix_ids.begin(), t.prefix_ids.end());
  }
  std::string valid_text;
  if (!internal::IsValidUtf8(text)) {
    internal::AppendUtf8Lossy(text, &valid_text);
    text = valid_text;
  }
  auto on_token = [&](int32_t id) { ids->push_back(id); };
  auto encode_piece = [&](std::string_view piece) {
    t.bpe.Encode(piece, &state->cache, &state->scratch, ids);
  };
  auto pre_tokenize = [&](std::string_view plain) { t.pre_tokenizer.Run(plain, encode_piece); };
  auto normalize = [&](std::string_view raw) {
    std::string_view normalized = raw;
    std::string buffer, next;
    for (internal::NormalForm form : t.normalizer) {
      if (!internal::NormalizeUnicode(form, normalized, &next)) continue;
      buffer.swap(next);
      normalized = buffer;
    }
    t.added_normalized.Split(normalized, pre_tokenize, on_token);
  };
  t.added_raw.Split(text, normalize, on_token);
  if (options.add_special_tokens) {
    ids->insert(ids->end(), t.suffix_ids.begin(), t.suffix_ids.end());
  }
}

}  // namespace

Tokenizer::Tokenizer(std::shared_ptr<const TokenizerImpl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<Tokenizer> Tokenizer::Load(const std::string& path) {
  std::string json_path = path;
  if (IsDirectory(path)) {
    json_path = path + (path.empty() || path.back() == '/' ? "" : "/") + "tokenizer.json";
    if (!FileExists(json_path)) {
      return absl::NotFoundError(
          absl::StrCat(path,
                       ": no tokenizer.json in this folder (give a folder that holds "
                       "tokenizer.json, or the file itself)"));
    }
  } else if (!FileExists(path)) {
    return absl::NotFoundError(
        absl::StrCat(path,
                     ": no such file or folder (expected a tokenizer.json or a folder "
                     "holding one)"));
  }
  ASSIGN_OR_RETURN(std::string tokenizer_json, core::ReadFile(json_path));
  std::string config_path = SiblingPath(json_path, "tokenizer_config.json");
  std::string config_json;
  if (FileExists(config_path)) {
    ASSIGN_OR_RETURN(config_json, core::ReadFile(config_path));
  }
  ASSIGN_OR_RETURN(
      std::shared_ptr<TokenizerImpl> impl,
      internal::LoadTokenizerImpl(tokenizer_json, config_json, json_path, config_path));
  return Tokenizer(std::move(impl));
}

absl::StatusOr<Tokenizer> Tokenizer::FromJson(std::string_view tokenizer_json,
                                              std::string_view config_json,
                                              const std::string& source) {
  ASSIGN_OR_RETURN(std::shared_ptr<TokenizerImpl> impl,
                   internal::LoadTokenizerImpl(tokenizer_json, config_json, source,
                                               SiblingPath(source, "tokenizer_config.json")));
  return Tokenizer(std::move(impl));
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int32_t> ids;
  EncodeTo(text, options, &ids);
  return ids;
}

void Tokenizer::EncodeTo(std::string_view text, const EncodeOptions& options,
                         std::vector<int32_t>* ids) const {
  std::unique_lock<std::mutex> lock(impl_->state_mu, std::try_to_lock);
  if (lock.owns_lock()) {
    EncodeWithState(*impl_, text, options, &impl_->state, ids);
  } else {  // another thread holds the shared cache: encode without it
    EncodeState state(/*cache_entries=*/4096);
    EncodeWithState(*impl_, text, options, &state, ids);
  }
}

std::vector<std::vector<int32_t>> Tokenizer::EncodeBatch(absl::Span<const std::string> texts,
                                                         const EncodeOptions& options,
                                                         int num_threads) const {
  std::vector<std::vector<int32_t>> out(texts.size());
  size_t threads = std::min<size_t>(std::max(num_threads, 1), texts.size());
  if (threads <= 1) {
    for (size_t i = 0; i < texts.size(); ++i) EncodeTo(texts[i], options, &out[i]);
    return out;
  }
  std::vector<std::thread> workers;
  for (size_t w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      EncodeState state;
      for (size_t i = w; i < texts.size(); i += threads) {
        EncodeWithState(*impl_, texts[i], options, &state, &out[i]);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  return out;
}

absl::StatusOr<std::string> Tokenizer::Decode(absl::Span<const int32_t> ids,
                                              const DecodeOptions& options) const {
  std::string bytes;
  for (size_t i = 0; i < ids.size(); ++i) {
    int32_t id = ids[i];
    if (!impl_->IsValidId(id)) {
      return absl::OutOfRangeError(absl::StrCat(
          "ids[", i, "]: ", id, " is not a token id (vocab size ", impl_->vocab_size(), ")"));
    }
    if (options.skip_special_tokens && impl_->special[id]) continue;
    bytes.append(impl_->Bytes(id));
  }
  if (internal::IsValidUtf8(bytes)) return bytes;
  std::string text;
  internal::AppendUtf8Lossy(bytes, &text);
  return text;
}

std::string_view Tokenizer::TokenBytes(int32_t id) const {
  return impl_->IsValidId(id) ? impl_->Bytes(id) : std::string_view();
}

std::optional<int32_t> Tokenizer::TokenToId(std::string_view token) const {
  auto it = impl_->spelling_to_id.find(internal::ToAbsl(token));
  if (it == impl_->spelling_to_id.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Tokenizer::IdToToken(int32_t id) const {
  if (!impl_->IsValidId(id)) return std::nullopt;
  return impl_->spellings[id];
}

bool Tokenizer::IsValidId(int32_t id) const { return impl_->IsValidId(id); }
bool Tokenizer::IsSpecial(int32_t id) const { return impl_->IsValidId(id) && impl_->special[id]; }
int32_t Tokenizer::vocab_size() const { return impl_->vocab_size(); }
const SpecialTokenIds& Tokenizer::special_ids() const { return impl_->special_ids; }
absl::Span<const int32_t> Tokenizer::prefix_ids() const { return impl_->prefix_ids; }
absl::Span<const int32_t> Tokenizer::suffix_ids() const { return impl_->suffix_ids; }
const std::string& Tokenizer::source() const { return impl_->source; }

DecodeStream::DecodeStream(const Tokenizer& tokenizer, const DecodeOptions& options)
    : tokenizer_(tokenizer), options_(options) {}

absl::StatusOr<std::string> DecodeStream::Step(int32_t id) {
  const TokenizerImpl& t = *tokenizer_.impl_;
  if (!t.IsValidId(id)) {
    return absl::OutOfRangeError(
        absl::StrCat(id, " is not a token id (vocab size ", t.vocab_size(), ")"));
  }
  if (options_.skip_special_tokens && t.special[id]) return std::string();
  pending_.append(t.Bytes(id));
  size_t ready = internal::Utf8EmittablePrefix(pending_);
  std::string text;
  internal::AppendUtf8Lossy(std::string_view(pending_).substr(0, ready), &text);
  pending_.erase(0, ready);
  return text;
}

std::string DecodeStream::Finish() {
  std::string text;
  internal::AppendUtf8Lossy(pending_, &text);
  pending_.clear();
  return text;
}

}  // namespace zerorl::tokenizer
