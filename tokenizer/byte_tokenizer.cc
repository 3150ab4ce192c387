#include "tokenizer/byte_tokenizer.h"

#include "core/json.h"
#include "core/status.h"
#include "rapidjson/document.h"

namespace zerorl::model {
namespace {

// GPT-2's reversible byte -> printable code point map used by every byte-level BPE.
std::vector<uint32_t> BytesToCodePoints() {
  std::vector<uint32_t> map(256, 0);
  std::vector<bool> direct(256, false);
  for (int b = '!'; b <= '~'; ++b) direct[b] = true;
  for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
  for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
  uint32_t next = 256;
  for (int b = 0; b < 256; ++b) map[b] = direct[b] ? static_cast<uint32_t>(b) : next++;
  return map;
}

std::string Utf8(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

rapidjson::Value Str(const std::string& s, rapidjson::Document::AllocatorType& a) {
  return rapidjson::Value(s, a);
}

rapidjson::Value AddedToken(int id, const std::string& content, bool special,
                            rapidjson::Document::AllocatorType& a) {
  rapidjson::Value t(rapidjson::kObjectType);
  t.AddMember("id", id, a);
  t.AddMember("content", Str(content, a), a);
  t.AddMember("single_word", false, a);
  t.AddMember("lstrip", false, a);
  t.AddMember("rstrip", false, a);
  t.AddMember("normalized", false, a);
  t.AddMember("special", special, a);
  return t;
}

rapidjson::Value ByteLevel(const char* type, rapidjson::Document::AllocatorType& a) {
  rapidjson::Value v(rapidjson::kObjectType);
  v.AddMember("type", rapidjson::Value(type, a), a);
  v.AddMember("add_prefix_space", false, a);
  v.AddMember("trim_offsets", true, a);
  v.AddMember("use_regex", true, a);
  return v;
}

}  // namespace

ByteTokenizerFiles MakeByteTokenizer(const std::vector<std::string>& extra_tokens) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  std::vector<std::string> added = {"<|endoftext|>"};
  added.insert(added.end(), extra_tokens.begin(), extra_tokens.end());

  rapidjson::Value added_tokens(rapidjson::kArrayType);
  for (size_t i = 0; i < added.size(); ++i) {
    added_tokens.PushBack(AddedToken(256 + static_cast<int>(i), added[i], i == 0, a), a);
  }
  rapidjson::Value vocab(rapidjson::kObjectType);
  std::vector<uint32_t> code_points = BytesToCodePoints();
  for (int b = 0; b < 256; ++b) vocab.AddMember(Str(Utf8(code_points[b]), a), rapidjson::Value(b), a);
  for (size_t i = 0; i < added.size(); ++i) {
    vocab.AddMember(Str(added[i], a), rapidjson::Value(256 + static_cast<int>(i)), a);
  }
  rapidjson::Value model(rapidjson::kObjectType);
  model.AddMember("type", "BPE", a);
  model.AddMember("dropout", rapidjson::Value(), a);
  model.AddMember("unk_token", rapidjson::Value(), a);
  model.AddMember("continuing_subword_prefix", rapidjson::Value(), a);
  model.AddMember("end_of_word_suffix", rapidjson::Value(), a);
  model.AddMember("fuse_unk", false, a);
  model.AddMember("byte_fallback", false, a);
  model.AddMember("ignore_merges", false, a);
  model.AddMember("vocab", vocab, a);
  model.AddMember("merges", rapidjson::Value(rapidjson::kArrayType), a);

  doc.AddMember("version", "1.0", a);
  doc.AddMember("truncation", rapidjson::Value(), a);
  doc.AddMember("padding", rapidjson::Value(), a);
  doc.AddMember("added_tokens", added_tokens, a);
  doc.AddMember("normalizer", rapidjson::Value(), a);
  doc.AddMember("pre_tokenizer", ByteLevel("ByteLevel", a), a);
  doc.AddMember("post_processor", ByteLevel("ByteLevel", a), a);
  doc.AddMember("decoder", ByteLevel("ByteLevel", a), a);
  doc.AddMember("model", model, a);

  rapidjson::Document config(rapidjson::kObjectType);
  auto& ca = config.GetAllocator();
  config.AddMember("tokenizer_class", "PreTrainedTokenizerFast", ca);
  config.AddMember("eos_token", "<|endoftext|>", ca);
  config.AddMember("pad_token", "<|endoftext|>", ca);
  config.AddMember("bos_token", rapidjson::Value(), ca);
  config.AddMember("add_bos_token", false, ca);
  config.AddMember("clean_up_tokenization_spaces", false, ca);
  config.AddMember("model_max_length", 4096, ca);

  ByteTokenizerFiles files;
  files.tokenizer_json = core::JsonToString(doc, /*pretty=*/true);
  files.tokenizer_config_json = core::JsonToString(config, /*pretty=*/true);
  files.vocab_size = 256 + static_cast<int>(added.size());
  return files;
}

absl::Status WriteByteTokenizer(const std::string& dir, const ByteTokenizerFiles& files) {
  RETURN_IF_ERROR(core::WriteFileAtomic(dir + "/tokenizer.json", files.tokenizer_json));
  return core::WriteFileAtomic(dir + "/tokenizer_config.json", files.tokenizer_config_json);
}

}  // namespace zerorl::model
