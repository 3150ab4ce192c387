// tokenizer.json + tokenizer_config.json -> TokenizerImpl. Each part of the file has one
// Load* function; every error names the file and the field.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/log.h"
#include "core/status.h"
#include "tokenizer/internal/impl.h"
#include "tokenizer/internal/sections.h"
#include "tokenizer/internal/tokenizer_config.h"
#include "tokenizer/internal/tokenizer_json.h"

namespace zerorl::tokenizer::internal {
namespace {

class Loader {
 public:
  Loader(std::string source, std::string config_source, const TokenizerConfigFile& config)
      : f_(std::move(source)),
        config_f_(std::move(config_source)),
        config_(config),
        impl_(std::make_shared<TokenizerImpl>()) {
    impl_->source = f_.source();
  }

  absl::StatusOr<std::shared_ptr<TokenizerImpl>> Run(const rapidjson::Value& doc) {
    RETURN_IF_ERROR(f_.ExpectObject(doc, "(top level)"));
    const rapidjson::Value* model = JsonFields::Find(doc, "model");
    if (model == nullptr) return f_.Fail("model", "missing (expected a BPE model object)");
    RETURN_IF_ERROR(LoadModel(*model));
    SectionLoader sections(f_, impl_.get(), config_.add_prefix_space);
    if (const rapidjson::Value* normalizer = JsonFields::Find(doc, "normalizer")) {
      RETURN_IF_ERROR(sections.LoadNormalizer(*normalizer, "normalizer"));
    }
    if (const rapidjson::Value* added = JsonFields::Find(doc, "added_tokens")) {
      RETURN_IF_ERROR(LoadAddedTokens(*added));
    }
    // transformers adds added_tokens_decoder entries to the Rust tokenizer in the same way.
    added_.insert(added_.end(), config_.added_tokens.begin(), config_.added_tokens.end());
    AssignAddedTokenIds();
    const rapidjson::Value* pre = JsonFields::Find(doc, "pre_tokenizer");
    if (pre == nullptr) return f_.Fail("pre_tokenizer", "missing; byte-level BPE needs ByteLevel");
    RETURN_IF_ERROR(sections.LoadPreTokenizer(*pre, "pre_tokenizer", /*top_level=*/true));
    if (!sections.saw_byte_level()) {
      return f_.Fail("pre_tokenizer", "has no ByteLevel step (only byte-level BPE is supported)");
    }
    RETURN_IF_ERROR(sections.LoadDecoder(JsonFields::Find(doc, "decoder"), "decoder"));
    BuildIdTables();
    RETURN_IF_ERROR(BuildAddedMatchers());
    RETURN_IF_ERROR(ResolveSpecialIds());
    if (config_.TemplateFromFlags()) {
      RETURN_IF_ERROR(TemplateFromConfigFlags());
    } else if (const rapidjson::Value* post = JsonFields::Find(doc, "post_processor")) {
      RETURN_IF_ERROR(sections.LoadPostProcessor(*post, "post_processor", &impl_->prefix_ids,
                                                 &impl_->suffix_ids));
    }
    return impl_;
  }

 private:
  // --- model: BPE vocab and merges -------------------------------------------------------
  absl::Status LoadModel(const rapidjson::Value& model) {
    RETURN_IF_ERROR(f_.ExpectObject(model, "model"));
    ASSIGN_OR_RETURN(std::string type, f_.String(model, "type", "model.type", "BPE"));
    if (type != "BPE")
      return f_.Fail("model.type", absl::StrCat("unsupported \"", type, "\" (only BPE)"));
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
      ASSIGN_OR_RETURN(std::string value, f_.String(model, key, absl::StrCat("model.", key), ""));
      if (!value.empty())
        return f_.Fail(absl::StrCat("model.", key), "not supported (byte-level BPE has none)");
    }
    if (const rapidjson::Value* dropout = JsonFields::Find(model, "dropout")) {
      if (!dropout->IsNumber() || dropout->GetDouble() != 0.0) {
        return f_.Fail("model.dropout", "BPE dropout is not supported (expected null)");
      }
    }
    const rapidjson::Value* vocab = JsonFields::Find(model, "vocab");
    if (vocab == nullptr) return f_.Fail("model.vocab", "missing (expected an object token -> id)");
    RETURN_IF_ERROR(LoadVocab(*vocab));
    const rapidjson::Value* merges = JsonFields::Find(model, "merges");
    if (merges == nullptr) return f_.Fail("model.merges", "missing (expected an array)");
    RETURN_IF_ERROR(LoadMerges(*merges));
    ASSIGN_OR_RETURN(bool ignore_merges,
                     f_.Bool(model, "ignore_merges", "model.ignore_merges", false));
    if (ignore_merges) {
      absl::flat_hash_map<std::string, int32_t> whole_words;
      std::string bytes;
      for (const auto& [spelling, id] : vocab_) {
        if (ByteLevelSpellingToBytes(spelling, &bytes)) whole_words.emplace(bytes, id);
      }
      impl_->bpe.SetIgnoreMerges(std::move(whole_words));
    }
    std::string spelling;
    for (int b = 0; b < 256; ++b) {
      spelling.clear();
      AppendByteLevelSpelling(std::string(1, static_cast<char>(b)), &spelling);
      auto it = vocab_.find(spelling);
      if (it != vocab_.end()) impl_->bpe.SetByteId(static_cast<unsigned char>(b), it->second);
    }
    return absl::OkStatus();
  }

  absl::Status LoadVocab(const rapidjson::Value& vocab) {
    RETURN_IF_ERROR(f_.ExpectObject(vocab, "model.vocab"));
    vocab_.reserve(vocab.MemberCount());
    for (auto it = vocab.MemberBegin(); it != vocab.MemberEnd(); ++it) {
      std::string spelling(it->name.GetString(), it->name.GetStringLength());
      ASSIGN_OR_RETURN(int32_t id,
                       f_.Id(it->value, absl::StrCat("model.vocab[\"", spelling, "\"]")));
      vocab_[spelling] = id;
    }
    return absl::OkStatus();
  }

  absl::Status LoadMerges(const rapidjson::Value& merges) {
    RETURN_IF_ERROR(f_.ExpectArray(merges, "model.merges"));
    for (rapidjson::SizeType rank = 0; rank < merges.Size(); ++rank) {
      const rapidjson::Value& merge = merges[rank];
      std::string field = absl::StrCat("model.merges[", rank, "]");
      std::string_view left, right;
      if (merge.IsString()) {
        std::string_view line(merge.GetString(), merge.GetStringLength());
        size_t space = line.find(' ');
        if (space == std::string_view::npos ||
            line.find(' ', space + 1) != std::string_view::npos) {
          return f_.Fail(field, absl::StrCat("expected \"LEFT RIGHT\" (one space), got \"",
                                             ToAbsl(line), "\""));
        }
        left = line.substr(0, space);
        right = line.substr(space + 1);
      } else if (merge.IsArray() && merge.Size() == 2 && merge[0].IsString() &&
                 merge[1].IsString()) {
        left = std::string_view(merge[0].GetString(), merge[0].GetStringLength());
        right = std::string_view(merge[1].GetString(), merge[1].GetStringLength());
      } else {
        return f_.Fail(field, absl::StrCat("expected \"LEFT RIGHT\" or [\"LEFT\", \"RIGHT\"], got ",
                                           JsonTypeName(merge)));
      }
      std::string joined = absl::StrCat(ToAbsl(left), ToAbsl(right));
      int32_t ids[3];
      const std::string_view parts[3] = {left, right, joined};
      for (int k = 0; k < 3; ++k) {
        auto it = vocab_.find(ToAbsl(parts[k]));
        if (it == vocab_.end()) {
          return f_.Fail(field, absl::StrCat("\"", ToAbsl(parts[k]), "\" is not in model.vocab"));
        }
        ids[k] = it->second;
      }
      impl_->bpe.AddMerge(ids[0], ids[1], static_cast<int32_t>(rank), ids[2]);
    }
    return absl::OkStatus();
  }

  // --- added tokens ----------------------------------------------------------------------
  absl::Status LoadAddedTokens(const rapidjson::Value& added) {
    RETURN_IF_ERROR(f_.ExpectArray(added, "added_tokens"));
    for (rapidjson::SizeType i = 0; i < added.Size(); ++i) {
      std::string field = absl::StrCat("added_tokens[", i, "]");
      const rapidjson::Value& entry = added[i];
      RETURN_IF_ERROR(f_.ExpectObject(entry, field));
      AddedToken token;
      const rapidjson::Value* id = JsonFields::Find(entry, "id");
      if (id == nullptr) return f_.Fail(field + ".id", "missing");
      ASSIGN_OR_RETURN(token.id, f_.Id(*id, field + ".id"));
      ASSIGN_OR_RETURN(token.content, f_.String(entry, "content", field + ".content"));
      if (token.content.empty()) return f_.Fail(field + ".content", "must not be empty");
      ASSIGN_OR_RETURN(token.single_word,
                       f_.Bool(entry, "single_word", field + ".single_word", false));
      ASSIGN_OR_RETURN(token.lstrip, f_.Bool(entry, "lstrip", field + ".lstrip", false));
      ASSIGN_OR_RETURN(token.rstrip, f_.Bool(entry, "rstrip", field + ".rstrip", false));
      ASSIGN_OR_RETURN(token.normalized, f_.Bool(entry, "normalized", field + ".normalized", true));
      ASSIGN_OR_RETURN(token.special, f_.Bool(entry, "special", field + ".special", false));
      added_.push_back(std::move(token));
    }
    return absl::OkStatus();
  }

  // Hugging Face does not take added tokens' ids from the file: in file order, a token whose
  // content already has an id keeps it (a vocabulary entry, or an earlier added token, whose
  // flags it then replaces), and any other takes the next id after the vocabulary. Files
  // Hugging Face writes agree with that; a hand-edited one that does not is read as Hugging
  // Face reads it, with a warning.
  void AssignAddedTokenIds() {
    const int32_t model_size = static_cast<int32_t>(vocab_.size());
    absl::flat_hash_map<std::string, int32_t> ids;  // content -> id
    std::vector<AddedToken> kept;                   // one per id, the latest definition
    int32_t max_id = -1;
    for (AddedToken token : added_) {
      bool same_as_kept = false;
      for (const AddedToken& k : kept) {
        same_as_kept =
            same_as_kept || (k.content == token.content && k.lstrip == token.lstrip &&
                             k.rstrip == token.rstrip && k.normalized == token.normalized &&
                             k.single_word == token.single_word && k.special == token.special);
      }
      if (same_as_kept) continue;
      int32_t id;
      if (auto it = ids.find(token.content); it != ids.end()) {
        id = it->second;
      } else if (auto v = vocab_.find(token.content); v != vocab_.end()) {
        id = v->second;
      } else {
        id = (max_id >= model_size || model_size == 0) ? max_id + 1 : model_size;
      }
      if (id != token.id) {
        ZLOG(WARNING) << f_.source() << ": added token \"" << token.content
                      << "\" is written with id " << token.id << " but takes id " << id
                      << ", as in Hugging Face";
      }
      token.id = id;
      ids[token.content] = id;
      max_id = std::max(max_id, id);
      auto same_id =
          std::find_if(kept.begin(), kept.end(), [id](const AddedToken& k) { return k.id == id; });
      if (same_id != kept.end()) {
        *same_id = token;
      } else {
        kept.push_back(token);
      }
    }
    added_ = std::move(kept);
  }

  absl::Status BuildAddedMatchers() {
    for (AddedToken token : added_) {
      if (!token.normalized) {
        impl_->added_raw.Add(token);
        continue;
      }
      std::string normalized = Normalized(token.content);  // matched in normalized text
      if (normalized.empty())
        return f_.Fail("added_tokens",
                       absl::StrCat("\"", token.content, "\" normalizes to nothing"));
      token.content = normalized;
      impl_->added_normalized.Add(token);
    }
    return absl::OkStatus();
  }

  std::string Normalized(const std::string& text) const {
    std::string normalized = text, next;
    for (NormalForm form : impl_->normalizer) {
      if (NormalizeUnicode(form, normalized, &next)) normalized.swap(next);
    }
    return normalized;
  }

  // LlamaTokenizerFast & co: BOS/EOS from add_bos_token / add_eos_token.
  absl::Status TemplateFromConfigFlags() {
    const SpecialTokenIds& s = impl_->special_ids;
    if (config_.AddBos()) {
      if (s.bos < 0) {
        return config_f_.Fail("add_bos_token",
                              "is true (or absent, which means true for this "
                              "tokenizer_class) but bos_token is not set");
      }
      impl_->prefix_ids = {s.bos};
    }
    if (config_.AddEos()) {
      if (s.eos < 0) return config_f_.Fail("add_eos_token", "is true but eos_token is not set");
      impl_->suffix_ids = {s.eos};
    }
    return absl::OkStatus();
  }

  // --- id tables -------------------------------------------------------------------------
  void BuildIdTables() {
    int32_t max_id = -1;
    for (const auto& [spelling, id] : vocab_) max_id = std::max(max_id, id);
    for (const AddedToken& token : added_) max_id = std::max(max_id, token.id);
    size_t size = static_cast<size_t>(max_id + 1);
    TokenizerImpl& t = *impl_;
    t.spellings.assign(size, std::string());
    t.valid.assign(size, 0);
    t.special.assign(size, 0);
    t.spelling_to_id.reserve(vocab_.size() + added_.size());
    for (auto& [spelling, id] : vocab_) {
      t.spellings[id] = spelling;
      t.valid[id] = 1;
      t.spelling_to_id[spelling] = id;
    }
    for (const AddedToken& token : added_) {  // added tokens win, as in Hugging Face
      // A normalized added token decodes as its normalized content (Hugging Face's
      // normalized_cache), e.g. "ﬁx" under NFKC as "fix".
      t.spellings[token.id] = token.normalized ? Normalized(token.content) : token.content;
      t.valid[token.id] = 1;
      t.special[token.id] = token.special;
      t.spelling_to_id[token.content] = token.id;
    }
    t.bytes_offsets.assign(size + 1, 0);
    std::string bytes;
    for (size_t id = 0; id < size; ++id) {
      t.bytes_offsets[id] = static_cast<uint32_t>(t.bytes_pool.size());
      // The ByteLevel decoder: a token whose characters are all in the alphabet stands for
      // those bytes; any other token (most added tokens) for its own UTF-8 text.
      if (ByteLevelSpellingToBytes(t.spellings[id], &bytes)) {
        t.bytes_pool += bytes;
      } else {
        t.bytes_pool += t.spellings[id];
      }
    }
    t.bytes_offsets[size] = static_cast<uint32_t>(t.bytes_pool.size());
  }

  absl::Status ResolveSpecialIds() {
    SpecialTokenIds& s = impl_->special_ids;
    struct Role {
      const std::optional<std::string>* content;
      int32_t* id;
      const char* key;
    };
    for (const Role& role : {Role{&config_.bos_token, &s.bos, "bos_token"},
                             Role{&config_.eos_token, &s.eos, "eos_token"},
                             Role{&config_.pad_token, &s.pad, "pad_token"}}) {
      if (!role.content->has_value()) continue;
      auto it = impl_->spelling_to_id.find(**role.content);
      if (it == impl_->spelling_to_id.end()) {
        return config_f_.Fail(
            role.key, absl::StrCat("\"", **role.content, "\" is not a token of ", f_.source()));
      }
      *role.id = it->second;
    }
    auto think_begin = impl_->spelling_to_id.find("<think>");
    if (think_begin != impl_->spelling_to_id.end()) s.think_begin = think_begin->second;
    auto think_end = impl_->spelling_to_id.find("</think>");
    if (think_end != impl_->spelling_to_id.end()) s.think_end = think_end->second;
    return absl::OkStatus();
  }

  JsonFields f_;
  JsonFields config_f_;  // tokenizer_config.json
  const TokenizerConfigFile& config_;
  std::shared_ptr<TokenizerImpl> impl_;
  absl::flat_hash_map<std::string, int32_t> vocab_;
  std::vector<AddedToken> added_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<TokenizerImpl>> LoadTokenizerImpl(std::string_view tokenizer_json,
                                                                 std::string_view config_json,
                                                                 const std::string& source,
                                                                 const std::string& config_source) {
  ASSIGN_OR_RETURN(TokenizerConfigFile config, ParseTokenizerConfig(config_json, config_source));
  ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJsonFile(tokenizer_json, source));
  return Loader(source, config_source, config).Run(doc);
}

}  // namespace zerorl::tokenizer::internal
