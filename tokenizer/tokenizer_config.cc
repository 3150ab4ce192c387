#include "tokenizer/internal/tokenizer_config.h"

#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tokenizer/internal/tokenizer_json.h"
#include "tokenizer/internal/unicode.h"

namespace zerorl::tokenizer::internal {
namespace {

// transformers classes whose __init__ rebuilds the post-processor from add_bos_token /
// add_eos_token (update_post_processor), with BOS on by default. The slow names load as
// their fast classes.
constexpr std::string_view kTemplateFromFlagsClasses[] = {"LlamaTokenizer", "CodeLlamaTokenizer",
                                                          "GemmaTokenizer", "CohereTokenizer"};

std::string StripFast(std::string_view name) {
  if (absl::EndsWith(ToAbsl(name), "Fast")) name.remove_suffix(4);
  return std::string(name);
}

// bos_token and friends: a string, null, or an AddedToken object {"content": ...}.
absl::StatusOr<std::optional<std::string>> TokenContent(const JsonFields& f,
                                                        const rapidjson::Value& doc,
                                                        const char* key) {
  const rapidjson::Value* value = JsonFields::Find(doc, key);
  if (value == nullptr) return std::optional<std::string>();
  if (value->IsString()) return std::optional<std::string>(value->GetString());
  if (value->IsObject()) {
    ASSIGN_OR_RETURN(std::string content,
                     f.String(*value, "content", absl::StrCat(key, ".content")));
    return std::optional<std::string>(content);
  }
  return f.Fail(key, absl::StrCat("expected a string, an object with \"content\", or null; got ",
                                  JsonTypeName(*value)));
}

absl::StatusOr<std::optional<bool>> OptionalBool(const JsonFields& f, const rapidjson::Value& doc,
                                                 const char* key) {
  if (JsonFields::Find(doc, key) == nullptr) return std::optional<bool>();
  ASSIGN_OR_RETURN(bool value, f.Bool(doc, key, key));
  return std::optional<bool>(value);
}

absl::Status ParseAddedTokensDecoder(const JsonFields& f, const rapidjson::Value& decoder,
                                     std::vector<AddedToken>* out) {
  RETURN_IF_ERROR(f.ExpectObject(decoder, "added_tokens_decoder"));
  for (auto it = decoder.MemberBegin(); it != decoder.MemberEnd(); ++it) {
    std::string key = it->name.GetString();
    std::string field = absl::StrCat("added_tokens_decoder.", key);
    char* end = nullptr;
    long id = std::strtol(key.c_str(), &end, 10);
    if (key.empty() || *end != '\0' || id < 0 || id > INT32_MAX) {
      return f.Fail(field, "the key must be a token id");
    }
    RETURN_IF_ERROR(f.ExpectObject(it->value, field));
    AddedToken token;
    token.id = static_cast<int32_t>(id);
    ASSIGN_OR_RETURN(token.content, f.String(it->value, "content", field + ".content"));
    if (token.content.empty()) return f.Fail(field + ".content", "must not be empty");
    ASSIGN_OR_RETURN(token.single_word,
                     f.Bool(it->value, "single_word", field + ".single_word", false));
    ASSIGN_OR_RETURN(token.lstrip, f.Bool(it->value, "lstrip", field + ".lstrip", false));
    ASSIGN_OR_RETURN(token.rstrip, f.Bool(it->value, "rstrip", field + ".rstrip", false));
    ASSIGN_OR_RETURN(token.special, f.Bool(it->value, "special", field + ".special", false));
    ASSIGN_OR_RETURN(token.normalized,
                     f.Bool(it->value, "normalized", field + ".normalized", !token.special));
    out->push_back(token);
  }
  return absl::OkStatus();
}

}  // namespace

bool TokenizerConfigFile::TemplateFromFlags() const {
  std::string name = StripFast(tokenizer_class);
  for (std::string_view c : kTemplateFromFlagsClasses) {
    if (name == c) return true;
  }
  return false;
}

bool TokenizerConfigFile::AddBos() const { return add_bos_token.value_or(true); }
bool TokenizerConfigFile::AddEos() const { return add_eos_token.value_or(false); }

absl::StatusOr<TokenizerConfigFile> ParseTokenizerConfig(std::string_view text,
                                                         const std::string& source) {
  TokenizerConfigFile config;
  if (text.empty()) return config;
  ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJsonFile(text, source));
  JsonFields f(source);
  RETURN_IF_ERROR(f.ExpectObject(doc, "(top level)"));
  config.present = true;
  ASSIGN_OR_RETURN(config.tokenizer_class,
                   f.String(doc, "tokenizer_class", "tokenizer_class", std::string()));
  ASSIGN_OR_RETURN(config.bos_token, TokenContent(f, doc, "bos_token"));
  ASSIGN_OR_RETURN(config.eos_token, TokenContent(f, doc, "eos_token"));
  ASSIGN_OR_RETURN(config.pad_token, TokenContent(f, doc, "pad_token"));
  ASSIGN_OR_RETURN(config.add_bos_token, OptionalBool(f, doc, "add_bos_token"));
  ASSIGN_OR_RETURN(config.add_eos_token, OptionalBool(f, doc, "add_eos_token"));
  ASSIGN_OR_RETURN(config.add_prefix_space, OptionalBool(f, doc, "add_prefix_space"));
  if (const rapidjson::Value* decoder = JsonFields::Find(doc, "added_tokens_decoder")) {
    RETURN_IF_ERROR(ParseAddedTokensDecoder(f, *decoder, &config.added_tokens));
  }
  return config;
}

}  // namespace zerorl::tokenizer::internal
