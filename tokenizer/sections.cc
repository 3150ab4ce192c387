#include "tokenizer/internal/sections.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tokenizer/internal/pretokenizer.h"

namespace zerorl::tokenizer::internal {

// --- normalizer ------------------------------------------------------------------------
absl::Status SectionLoader::LoadNormalizer(const rapidjson::Value& n, const std::string& field) {
  RETURN_IF_ERROR(f_.ExpectObject(n, field));
  ASSIGN_OR_RETURN(std::string type, f_.String(n, "type", field + ".type"));
  static const std::pair<const char*, NormalForm> kForms[] = {{"NFC", NormalForm::kNFC},
                                                              {"NFD", NormalForm::kNFD},
                                                              {"NFKC", NormalForm::kNFKC},
                                                              {"NFKD", NormalForm::kNFKD}};
  for (const auto& [name, form] : kForms) {
    if (type == name) {
      impl_->normalizer.push_back(form);
      return absl::OkStatus();
    }
  }
  if (type != "Sequence") {
    return f_.Fail(field + ".type", absl::StrCat("unsupported normalizer \"", type,
                                                 "\" (supported: NFC, NFD, NFKC, NFKD, Sequence)"));
  }
  const rapidjson::Value* list = JsonFields::Find(n, "normalizers");
  if (list == nullptr) return f_.Fail(field + ".normalizers", "missing");
  RETURN_IF_ERROR(f_.ExpectArray(*list, field + ".normalizers"));
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    RETURN_IF_ERROR(LoadNormalizer((*list)[i], absl::StrCat(field, ".normalizers[", i, "]")));
  }
  return absl::OkStatus();
}

// --- pre-tokenizer ---------------------------------------------------------------------
absl::Status SectionLoader::LoadPreTokenizer(const rapidjson::Value& p, const std::string& field,
                                             bool top_level) {
  RETURN_IF_ERROR(f_.ExpectObject(p, field));
  ASSIGN_OR_RETURN(std::string type, f_.String(p, "type", field + ".type"));
  if (type == "Sequence") {
    const rapidjson::Value* list = JsonFields::Find(p, "pretokenizers");
    if (list == nullptr) return f_.Fail(field + ".pretokenizers", "missing");
    RETURN_IF_ERROR(f_.ExpectArray(*list, field + ".pretokenizers"));
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      RETURN_IF_ERROR(LoadPreTokenizer((*list)[i], absl::StrCat(field, ".pretokenizers[", i, "]"),
                                       /*top_level=*/false));
    }
    return absl::OkStatus();
  }
  if (type == "ByteLevel") return LoadByteLevel(p, field, top_level);
  if (type == "Split") return LoadSplit(p, field);
  if (type == "Digits") {
    ASSIGN_OR_RETURN(bool individual,
                     f_.Bool(p, "individual_digits", field + ".individual_digits", false));
    impl_->pre_tokenizer.AddStep(MakeDigitsSplit(individual));
    return absl::OkStatus();
  }
  return f_.Fail(field + ".type",
                 absl::StrCat("unsupported pre-tokenizer \"", type,
                              "\" (supported: ByteLevel, Split, Digits, Sequence)"));
}

absl::Status SectionLoader::LoadByteLevel(const rapidjson::Value& p, const std::string& field,
                                          bool top_level) {
  saw_byte_level_ = true;
  ASSIGN_OR_RETURN(bool add_prefix_space,
                   f_.Bool(p, "add_prefix_space", field + ".add_prefix_space", true));
  ASSIGN_OR_RETURN(bool use_regex, f_.Bool(p, "use_regex", field + ".use_regex", true));
  // transformers overrides a top-level ByteLevel's add_prefix_space from the config.
  if (top_level && prefix_space_override_) add_prefix_space = *prefix_space_override_;
  ASSIGN_OR_RETURN(std::unique_ptr<PreTokenizerStep> step,
                   MakeByteLevelStep(add_prefix_space, use_regex));
  if (step) impl_->pre_tokenizer.AddStep(std::move(step));
  return absl::OkStatus();
}

absl::Status SectionLoader::LoadSplit(const rapidjson::Value& p, const std::string& field) {
  static const std::pair<const char*, SplitBehavior> kBehaviors[] = {
      {"Removed", SplitBehavior::kRemoved},
      {"Isolated", SplitBehavior::kIsolated},
      {"MergedWithPrevious", SplitBehavior::kMergedWithPrevious},
      {"MergedWithNext", SplitBehavior::kMergedWithNext},
      {"Contiguous", SplitBehavior::kContiguous}};
  ASSIGN_OR_RETURN(std::string behavior_name, f_.String(p, "behavior", field + ".behavior"));
  const SplitBehavior* behavior = nullptr;
  for (const auto& [name, value] : kBehaviors) {
    if (behavior_name == name) behavior = &value;
  }
  if (behavior == nullptr) {
    return f_.Fail(field + ".behavior",
                   absl::StrCat("unknown \"", behavior_name,
                                "\" (expected Removed, Isolated, MergedWithPrevious, "
                                "MergedWithNext or Contiguous)"));
  }
  ASSIGN_OR_RETURN(bool invert, f_.Bool(p, "invert", field + ".invert", false));
  const rapidjson::Value* pattern = JsonFields::Find(p, "pattern");
  if (pattern == nullptr) return f_.Fail(field + ".pattern", "missing");
  RETURN_IF_ERROR(f_.ExpectObject(*pattern, field + ".pattern"));
  if (JsonFields::Find(*pattern, "String") != nullptr) {
    ASSIGN_OR_RETURN(std::string literal, f_.String(*pattern, "String", field + ".pattern.String"));
    impl_->pre_tokenizer.AddStep(MakeLiteralSplit(literal, *behavior, invert));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::string regex, f_.String(*pattern, "Regex", field + ".pattern.Regex"));
  absl::StatusOr<std::unique_ptr<PreTokenizerStep>> step = MakeRegexSplit(regex, *behavior, invert);
  if (!step.ok()) return f_.Fail(field + ".pattern.Regex", std::string(step.status().message()));
  impl_->pre_tokenizer.AddStep(std::move(*step));
  return absl::OkStatus();
}

// --- decoder ---------------------------------------------------------------------------
absl::Status SectionLoader::LoadDecoder(const rapidjson::Value* d, const std::string& field) {
  if (d == nullptr) return f_.Fail(field, "missing (expected ByteLevel)");
  RETURN_IF_ERROR(f_.ExpectObject(*d, field));
  ASSIGN_OR_RETURN(std::string type, f_.String(*d, "type", field + ".type"));
  if (type == "ByteLevel") return absl::OkStatus();
  if (type == "Sequence") {
    const rapidjson::Value* list = JsonFields::Find(*d, "decoders");
    if (list != nullptr && list->IsArray() && list->Size() == 1) {
      return LoadDecoder(&(*list)[0], field + ".decoders[0]");
    }
  }
  return f_.Fail(field + ".type",
                 absl::StrCat("unsupported decoder \"", type,
                              "\" (only ByteLevel, alone or in a one-item Sequence)"));
}

// --- post-processor (add_special_tokens) -----------------------------------------------
absl::Status SectionLoader::LoadPostProcessor(const rapidjson::Value& p, const std::string& field,
                                              std::vector<int32_t>* prefix,
                                              std::vector<int32_t>* suffix) {
  RETURN_IF_ERROR(f_.ExpectObject(p, field));
  ASSIGN_OR_RETURN(std::string type, f_.String(p, "type", field + ".type"));
  if (type == "ByteLevel") return absl::OkStatus();  // offsets only
  if (type == "TemplateProcessing") return LoadTemplate(p, field, prefix, suffix);
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    ASSIGN_OR_RETURN(int32_t cls, TokenPairId(p, "cls", field + ".cls"));
    ASSIGN_OR_RETURN(int32_t sep, TokenPairId(p, "sep", field + ".sep"));
    prefix->insert(prefix->begin(), cls);
    suffix->push_back(sep);
    return absl::OkStatus();
  }
  if (type == "Sequence") {
    const rapidjson::Value* list = JsonFields::Find(p, "processors");
    if (list == nullptr) return f_.Fail(field + ".processors", "missing");
    RETURN_IF_ERROR(f_.ExpectArray(*list, field + ".processors"));
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      RETURN_IF_ERROR(LoadPostProcessor((*list)[i], absl::StrCat(field, ".processors[", i, "]"),
                                        prefix, suffix));
    }
    return absl::OkStatus();
  }
  return f_.Fail(field + ".type", absl::StrCat("unsupported post-processor \"", type, "\""));
}

// ["<s>", 0]
absl::StatusOr<int32_t> SectionLoader::TokenPairId(const rapidjson::Value& p, const char* key,
                                                   const std::string& field) {
  const rapidjson::Value* pair = JsonFields::Find(p, key);
  if (pair == nullptr || !pair->IsArray() || pair->Size() != 2) {
    return f_.Fail(field, "expected [\"TOKEN\", ID]");
  }
  return f_.Id((*pair)[1], field + "[1]");
}

absl::Status SectionLoader::LoadTemplate(const rapidjson::Value& p, const std::string& field,
                                         std::vector<int32_t>* prefix,
                                         std::vector<int32_t>* suffix) {
  const rapidjson::Value* single = JsonFields::Find(p, "single");
  if (single == nullptr) return f_.Fail(field + ".single", "missing");
  RETURN_IF_ERROR(f_.ExpectArray(*single, field + ".single"));
  const rapidjson::Value* specials = JsonFields::Find(p, "special_tokens");
  std::vector<int32_t> before, after;
  bool seen_sequence = false;
  for (rapidjson::SizeType i = 0; i < single->Size(); ++i) {
    std::string item_field = absl::StrCat(field, ".single[", i, "]");
    const rapidjson::Value& item = (*single)[i];
    if (JsonFields::Find(item, "Sequence") != nullptr) {
      seen_sequence = true;
      continue;
    }
    const rapidjson::Value* special = JsonFields::Find(item, "SpecialToken");
    if (special == nullptr)
      return f_.Fail(item_field, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    ASSIGN_OR_RETURN(std::string name, f_.String(*special, "id", item_field + ".SpecialToken.id"));
    const rapidjson::Value* entry = specials ? JsonFields::Find(*specials, name.c_str()) : nullptr;
    const rapidjson::Value* ids = entry ? JsonFields::Find(*entry, "ids") : nullptr;
    if (ids == nullptr || !ids->IsArray()) {
      return f_.Fail(field + ".special_tokens", absl::StrCat("no ids for \"", name, "\""));
    }
    for (rapidjson::SizeType k = 0; k < ids->Size(); ++k) {
      ASSIGN_OR_RETURN(int32_t id, f_.Id((*ids)[k], absl::StrCat(field, ".special_tokens.", name,
                                                                 ".ids[", k, "]")));
      (seen_sequence ? after : before).push_back(id);
    }
  }
  prefix->insert(prefix->begin(), before.begin(), before.end());
  suffix->insert(suffix->end(), after.begin(), after.end());
  return absl::OkStatus();
}
}  // namespace zerorl::tokenizer::internal
