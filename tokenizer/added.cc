#include "tokenizer/internal/added.h"

#include <algorithm>
#include <cstring>

#include "tokenizer/internal/unicode.h"

namespace zerorl::tokenizer::internal {
namespace {

char32_t LastChar(std::string_view text) {
  size_t length = LastUtf8CharLength(text);
  char32_t c;
  DecodeUtf8(text.data() + text.size() - length, length, &c);
  return c;
}

char32_t FirstChar(std::string_view text) {
  char32_t c;
  DecodeUtf8(text.data(), text.size(), &c);
  return c;
}

// Where the whitespace at the end of `text` starts (text.size() when there is none).
size_t TrailingSpaceStart(std::string_view text) {
  size_t end = text.size();
  while (end > 0) {
    size_t length = LastUtf8CharLength(text.substr(0, end));
    char32_t c;
    DecodeUtf8(text.data() + end - length, length, &c);
    if (!IsUnicodeWhitespace(c)) break;
    end -= length;
  }
  return end;
}

// Length of the whitespace at the start of `text`.
size_t LeadingSpaceLength(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    char32_t c;
    int length = DecodeUtf8(text.data() + i, text.size() - i, &c);
    if (!IsUnicodeWhitespace(c)) break;
    i += length;
  }
  return i;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher() : nodes_(1) {}

void AddedTokenMatcher::Add(const AddedToken& token) {
  int32_t node = 0;
  for (unsigned char b : token.content) {
    auto& children = nodes_[node].children;
    auto it = std::find_if(children.begin(), children.end(),
                           [b](const auto& child) { return child.first == b; });
    if (it != children.end()) {
      node = it->second;
      continue;
    }
    int32_t child = static_cast<int32_t>(nodes_.size());
    nodes_[node].children.emplace_back(b, child);  // before push_back: it may reallocate
    nodes_.emplace_back();
    node = child;
  }
  unsigned char first = static_cast<unsigned char>(token.content[0]);
  if (!first_byte_[first]) {
    first_byte_[first] = true;
    ++num_first_bytes_;
    only_first_byte_ = first;
  }
  if (nodes_[node].token >= 0) {
    tokens_[nodes_[node].token] = token;
  } else {
    nodes_[node].token = static_cast<int32_t>(tokens_.size());
    tokens_.push_back(token);
  }
}

int32_t AddedTokenMatcher::LongestAt(std::string_view text, size_t at, size_t* length) const {
  int32_t node = 0, best = -1;
  for (size_t i = at; i < text.size(); ++i) {
    unsigned char b = static_cast<unsigned char>(text[i]);
    const auto& children = nodes_[node].children;
    auto it = std::find_if(children.begin(), children.end(),
                           [b](const auto& child) { return child.first == b; });
    if (it == children.end()) break;
    node = it->second;
    if (nodes_[node].token >= 0) {
      best = nodes_[node].token;
      *length = i + 1 - at;
    }
  }
  return best;
}

void AddedTokenMatcher::Split(std::string_view text,
                              absl::FunctionRef<void(std::string_view)> on_text,
                              absl::FunctionRef<void(int32_t)> on_token) const {
  size_t done = 0;  // text before this is emitted
  size_t i = 0;     // where the search for the next match goes on
  while (i < text.size()) {
    if (num_first_bytes_ == 1) {  // all start alike ('<' in Qwen, Llama, DeepSeek): memchr
      const void* next = std::memchr(text.data() + i, only_first_byte_, text.size() - i);
      if (next == nullptr) break;
      i = static_cast<const char*>(next) - text.data();
    } else if (!first_byte_[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    size_t length = 0;
    int32_t index = LongestAt(text, i, &length);
    if (index < 0) {
      ++i;
      continue;
    }
    const AddedToken& token = tokens_[index];
    size_t start = i, stop = i + length;
    i = stop;  // matches never overlap, even when one is then discarded
    if (token.single_word) {
      bool space_before = start == 0 || !IsUnicodeWordChar(LastChar(text.substr(0, start)));
      bool space_after = stop == text.size() || !IsUnicodeWordChar(FirstChar(text.substr(stop)));
      if (!space_before || !space_after) continue;
    }
    if (token.lstrip) start = std::max(TrailingSpaceStart(text.substr(0, start)), done);
    if (token.rstrip) stop += LeadingSpaceLength(text.substr(stop));
    if (start < done) continue;  // inside whitespace an earlier rstrip took
    if (start > done) on_text(text.substr(done, start - done));
    on_token(token.id);
    done = stop;
  }
  if (done < text.size()) on_text(text.substr(done));
}

}  // namespace zerorl::tokenizer::internal
