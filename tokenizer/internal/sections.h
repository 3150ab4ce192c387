// The pipeline sections of tokenizer.json (private to model/): normalizer, pre_tokenizer,
// decoder and post_processor. Each Load* reads one section into the TokenizerImpl being
// built; errors name the file and the field ("pre_tokenizer.pretokenizers[1].pattern.Regex").
#ifndef ZERORL_TOKENIZER_INTERNAL_SECTIONS_H_
#define ZERORL_TOKENIZER_INTERNAL_SECTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rapidjson/document.h"
#include "tokenizer/internal/impl.h"
#include "tokenizer/internal/tokenizer_json.h"

namespace zerorl::tokenizer::internal {

class SectionLoader {
 public:
  // `f` names the file in errors; `impl` receives the sections and must outlive this.
  // `prefix_space_override` is tokenizer_config's add_prefix_space, which transformers
  // applies to a top-level ByteLevel pre-tokenizer.
  SectionLoader(const JsonFields& f, TokenizerImpl* impl, std::optional<bool> prefix_space_override)
      : f_(f), impl_(impl), prefix_space_override_(prefix_space_override) {}

  // NFC/NFD/NFKC/NFKD or a Sequence of them, appended to impl->normalizer.
  absl::Status LoadNormalizer(const rapidjson::Value& n, const std::string& field);
  // ByteLevel, Split, Digits or a Sequence of them, appended to impl->pre_tokenizer.
  absl::Status LoadPreTokenizer(const rapidjson::Value& p, const std::string& field,
                                bool top_level);
  // Only ByteLevel (alone or as a one-item Sequence) is accepted; `d` may be null (an error).
  absl::Status LoadDecoder(const rapidjson::Value* d, const std::string& field);
  // The ids add_special_tokens puts around a text, added to *prefix / *suffix.
  absl::Status LoadPostProcessor(const rapidjson::Value& p, const std::string& field,
                                 std::vector<int32_t>* prefix, std::vector<int32_t>* suffix);

  bool saw_byte_level() const { return saw_byte_level_; }

 private:
  absl::Status LoadByteLevel(const rapidjson::Value& p, const std::string& field, bool top_level);
  absl::Status LoadSplit(const rapidjson::Value& p, const std::string& field);
  absl::StatusOr<int32_t> TokenPairId(const rapidjson::Value& p, const char* key,
                                      const std::string& field);
  absl::Status LoadTemplate(const rapidjson::Value& p, const std::string& field,
                            std::vector<int32_t>* prefix, std::vector<int32_t>* suffix);

  const JsonFields& f_;
  TokenizerImpl* impl_;
  std::optional<bool> prefix_space_override_;
  bool saw_byte_level_ = false;
};

}  // namespace zerorl::tokenizer::internal

#endif  // ZERORL_TOKENIZER_INTERNAL_SECTIONS_H_
