// UTF-8 and Unicode helpers for the tokenizer (private to model/): lossy UTF-8 as Rust's
// String::from_utf8_lossy does it, Unicode normalization forms through utf8proc, the
// White_Space property Oniguruma and Rust use for \s, and GPT-2's byte-level alphabet.
#ifndef ZERORL_TOKENIZER_INTERNAL_UNICODE_H_
#define ZERORL_TOKENIZER_INTERNAL_UNICODE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace zerorl::tokenizer::internal {

// Debian's Abseil has its own string_view type: hash-map lookups and StrCat take this one.
inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// What starts at the front of a byte string: one well-formed character (`valid`), or the
// maximal invalid subpart that one U+FFFD replaces (`!valid`). `truncated` is set when the
// bytes end inside a character that could still be completed.
struct Utf8Unit {
  size_t length = 0;
  bool valid = false;
  bool truncated = false;
};
Utf8Unit NextUtf8Unit(const unsigned char* bytes, size_t size);

bool IsValidUtf8(std::string_view bytes);
// Appends `bytes` to `*out` with every maximal invalid subpart replaced by U+FFFD.
void AppendUtf8Lossy(std::string_view bytes, std::string* out);
// Length of the longest prefix of `bytes` that does not end inside a character that more
// bytes could still complete (what a stream may emit now).
size_t Utf8EmittablePrefix(std::string_view bytes);

// Decodes the character at the front of valid UTF-8 text; returns its byte length.
int DecodeUtf8(const char* text, size_t size, char32_t* code_point);
// Byte length of the last character of non-empty valid UTF-8 text.
size_t LastUtf8CharLength(std::string_view text);

// The general category of `c` ("Lu", "Nd", "Cn", ...) in Unicode 16.0, the version of the
// Oniguruma inside Hugging Face's tokenizers: utf8proc's (15.0 in Debian 12) corrected by
// the generated table tokenizer/internal/unicode_delta.inc.
const char* GeneralCategory(char32_t c);
// RE2 class-body ranges ("\\x{A7CB}-\\x{A7CD}...") of the code points that `category` (a major
// class "L" or a category "Lu") gains from Unicode 15.0 to 16.0; "" for other names. RE2's
// own tables are Unicode 15.0 in Debian 12; adding these gives 16.0.
std::string Unicode16ClassAdditions(std::string_view category);

// Unicode White_Space (Oniguruma's and Rust's \s): \t-\r, space, U+0085, U+00A0, U+1680,
// U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool IsUnicodeWhitespace(char32_t c);
// Rust's char::is_numeric: general categories Nd, Nl, No.
bool IsUnicodeNumeric(char32_t c);
// Rust regex \w: letters, marks, decimal digits, connector punctuation, letter numbers.
bool IsUnicodeWordChar(char32_t c);

enum class NormalForm { kNFC, kNFD, kNFKC, kNFKD };
// Writes `text` (valid UTF-8) in normal form `form` to `*out` and returns true, or returns
// false without touching `*out` when `text` is ASCII (already in every form).
bool NormalizeUnicode(NormalForm form, std::string_view text, std::string* out);

// GPT-2's byte-level alphabet: every byte as one printable character ("Ġ" for ' ').
// Appends the spelling of `bytes`.
void AppendByteLevelSpelling(std::string_view bytes, std::string* out);
// The bytes a byte-level spelling stands for; false (and `*bytes` unspecified) when a
// character is outside the alphabet.
bool ByteLevelSpellingToBytes(std::string_view spelling, std::string* bytes);

}  // namespace zerorl::tokenizer::internal

#endif  // ZERORL_TOKENIZER_INTERNAL_UNICODE_H_
