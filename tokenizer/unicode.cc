#include "tokenizer/internal/unicode.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

#include "utf8proc.h"

namespace zerorl::tokenizer::internal {
namespace {

constexpr char kReplacementChar[] = "\xEF\xBF\xBD";  // U+FFFD

bool IsAscii(std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

// GPT-2's bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the other 68
// bytes for U+0100.. in byte order.
struct ByteLevelTables {
  std::array<char32_t, 256> byte_to_char{};
  std::array<int16_t, 0x144> char_to_byte{};  // -1 outside the alphabet

  ByteLevelTables() {
    char_to_byte.fill(-1);
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      char32_t c = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next++);
      byte_to_char[b] = c;
      char_to_byte[c] = static_cast<int16_t>(b);
    }
  }
};

const ByteLevelTables& Tables() {
  static const ByteLevelTables* tables = new ByteLevelTables();
  return *tables;
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

struct CategoryDelta {
  char32_t first;
  char32_t last;
  const char* category;      // in Unicode 16.0
  const char* category_old;  // in Unicode 15.0
};
struct CodePointRange {
  char32_t first;
  char32_t last;
};
#include "tokenizer/internal/unicode_delta.inc"

bool IsMarkAfterUnicode9(char32_t c) {
  const CodePointRange* end = std::end(kMarksAfterUnicode9);
  const CodePointRange* it =
      std::lower_bound(std::begin(kMarksAfterUnicode9), end, c,
                       [](const CodePointRange& r, char32_t value) { return r.last < value; });
  return it != end && it->first <= c;
}

void NormalizeWithUtf8proc(NormalForm form, std::string_view text, std::string* out) {
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::kNFC:
      options |= UTF8PROC_COMPOSE;
      break;
    case NormalForm::kNFD:
      options |= UTF8PROC_DECOMPOSE;
      break;
    case NormalForm::kNFKC:
      options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
      break;
    case NormalForm::kNFKD:
      options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
      break;
  }
  utf8proc_uint8_t* result = nullptr;
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                    static_cast<utf8proc_ssize_t>(text.size()), &result,
                                    static_cast<utf8proc_option_t>(options));
  if (n < 0) {  // only for invalid UTF-8, which callers never pass; keep the text
    out->append(text.data(), text.size());
  } else {
    out->append(reinterpret_cast<const char*>(result), static_cast<size_t>(n));
  }
  std::free(result);
}

}  // namespace

Utf8Unit NextUtf8Unit(const unsigned char* bytes, size_t size) {
  unsigned char b = bytes[0];
  if (b < 0x80) return {1, true, false};
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the first continuation byte
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b == 0xE0) {
    need = 2, lo = 0xA0;
  } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
    need = 2;
  } else if (b == 0xED) {
    need = 2, hi = 0x9F;  // no surrogates
  } else if (b == 0xF0) {
    need = 3, lo = 0x90;
  } else if (b >= 0xF1 && b <= 0xF3) {
    need = 3;
  } else if (b == 0xF4) {
    need = 3, hi = 0x8F;  // nothing past U+10FFFF
  } else {
    return {1, false, false};
  }
  for (size_t k = 1; k <= need; ++k) {
    if (k >= size) return {k, false, true};
    if (bytes[k] < lo || bytes[k] > hi) return {k, false, false};
    lo = 0x80, hi = 0xBF;
  }
  return {need + 1, true, false};
}

bool IsValidUtf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0, n = bytes.size();
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    Utf8Unit unit = NextUtf8Unit(p + i, n - i);
    if (!unit.valid) return false;
    i += unit.length;
  }
  return true;
}

void AppendUtf8Lossy(std::string_view bytes, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0, n = bytes.size(), run_start = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    Utf8Unit unit = NextUtf8Unit(p + i, n - i);
    if (unit.valid) {
      i += unit.length;
      continue;
    }
    out->append(bytes.data() + run_start, i - run_start);
    out->append(kReplacementChar);
    i += unit.length;
    run_start = i;
  }
  out->append(bytes.data() + run_start, n - run_start);
}

size_t Utf8EmittablePrefix(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0, n = bytes.size();
  while (i < n) {
    Utf8Unit unit = NextUtf8Unit(p + i, n - i);
    if (unit.truncated) return i;
    i += unit.length;
  }
  return n;
}

int DecodeUtf8(const char* text, size_t size, char32_t* code_point) {
  if (static_cast<unsigned char>(text[0]) < 0x80) {
    *code_point = static_cast<unsigned char>(text[0]);
    return 1;
  }
  utf8proc_int32_t c = 0;
  utf8proc_ssize_t n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text),
                                        static_cast<utf8proc_ssize_t>(size), &c);
  if (n <= 0) {  // not reached for valid text; read one byte as U+FFFD
    *code_point = 0xFFFD;
    return 1;
  }
  *code_point = static_cast<char32_t>(c);
  return static_cast<int>(n);
}

size_t LastUtf8CharLength(std::string_view text) {
  size_t i = text.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
  return text.size() - i;
}

bool IsUnicodeWhitespace(char32_t c) {
  if (c < 0x80) return (c >= '\t' && c <= '\r') || c == ' ';
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

const char* GeneralCategory(char32_t c) {
  for (const CategoryDelta& d : kUnicode16Delta) {
    if (c >= d.first && c <= d.last) return d.category;
  }
  return utf8proc_category_string(static_cast<utf8proc_int32_t>(c));
}

std::string Unicode16ClassAdditions(std::string_view category) {
  std::string body;
  if (category.empty() || category.size() > 2) return body;
  auto append = [&body](char32_t first, char32_t last) {
    char buffer[48];
    std::snprintf(buffer, sizeof(buffer), "\\x{%X}-\\x{%X}", static_cast<unsigned>(first),
                  static_cast<unsigned>(last));
    body += buffer;
  };
  char32_t first = 0, last = 0;
  bool open = false;
  for (const CategoryDelta& d : kUnicode16Delta) {
    if (std::string_view(d.category).substr(0, category.size()) != category) continue;
    if (open && d.first == last + 1) {  // adjacent ranges of two sub-categories: one range
      last = d.last;
      continue;
    }
    if (open) append(first, last);
    first = d.first, last = d.last, open = true;
  }
  if (open) append(first, last);
  return body;
}

bool IsUnicodeNumeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return GeneralCategory(c)[0] == 'N';
}

bool IsUnicodeWordChar(char32_t c) {
  if (c < 0x80) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
  std::string_view cat = GeneralCategory(c);
  return cat[0] == 'L' || cat[0] == 'M' || cat == "Nd" || cat == "Nl" || cat == "Pc";
}

bool NormalizeUnicode(NormalForm form, std::string_view text, std::string* out) {
  if (IsAscii(text)) return false;
  out->clear();
  // Hugging Face normalizes with Unicode 9.0 tables: a mark assigned later is an unknown
  // character to it, a starter that neither reorders nor composes. Normalize around it.
  size_t done = 0;
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t c;
    int length = DecodeUtf8(text.data() + i, text.size() - i, &c);
    if (IsMarkAfterUnicode9(c)) {
      if (i > done) NormalizeWithUtf8proc(form, text.substr(done, i - done), out);
      out->append(text.data() + i, length);
      done = i + length;
    }
    i += length;
  }
  if (done < text.size()) NormalizeWithUtf8proc(form, text.substr(done), out);
  return true;
}

void AppendByteLevelSpelling(std::string_view bytes, std::string* out) {
  const ByteLevelTables& t = Tables();
  for (unsigned char b : bytes) AppendUtf8(t.byte_to_char[b], out);
}

bool ByteLevelSpellingToBytes(std::string_view spelling, std::string* bytes) {
  const ByteLevelTables& t = Tables();
  bytes->clear();
  size_t i = 0;
  while (i < spelling.size()) {
    Utf8Unit unit = NextUtf8Unit(reinterpret_cast<const unsigned char*>(spelling.data()) + i,
                                 spelling.size() - i);
    if (!unit.valid) return false;
    char32_t c;
    DecodeUtf8(spelling.data() + i, unit.length, &c);
    if (c >= t.char_to_byte.size() || t.char_to_byte[c] < 0) return false;
    bytes->push_back(static_cast<char>(t.char_to_byte[c]));
    i += unit.length;
  }
  return true;
}

}  // namespace zerorl::tokenizer::internal
