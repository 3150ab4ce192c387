#include "reward/internal/text.h"

namespace zerorl::reward::text {
namespace {

constexpr std::string_view kThinkOpen = "<think>";
constexpr std::string_view kThinkClose = "</think>";
constexpr std::string_view kAnswerOpen = "<answer>";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

bool PromptOpensThink(std::string_view prompt) {
  size_t end = prompt.size();
  while (end > 0 && IsSpace(prompt[end - 1])) --end;
  return end >= kThinkOpen.size() &&
         prompt.substr(end - kThinkOpen.size(), kThinkOpen.size()) == kThinkOpen;
}

std::string AsWritten(std::string_view prompt, std::string_view completion) {
  if (!PromptOpensThink(prompt)) return std::string(completion);
  std::string text(kThinkOpen);
  text.append(completion);
  return text;
}

std::optional<std::string_view> LastTagContent(std::string_view text, std::string_view open,
                                               std::string_view close) {
  size_t end = text.size();
  while (true) {
    size_t at = text.rfind(open, end);
    if (at == std::string_view::npos) return std::nullopt;
    size_t begin = at + open.size();
    size_t stop = text.find(close, begin);
    if (stop != std::string_view::npos) return text.substr(begin, stop - begin);
    if (at == 0) return std::nullopt;
    end = at - 1;  // this one is never closed: try the one before
  }
}

std::string_view Reasoning(std::string_view text) {
  size_t open = text.find(kThinkOpen);
  if (open == std::string_view::npos) return text.substr(0, text.find(kAnswerOpen));
  size_t begin = open + kThinkOpen.size();
  size_t close = text.find(kThinkClose, begin);
  return text.substr(begin, close == std::string_view::npos ? std::string_view::npos
                                                            : close - begin);
}

std::optional<std::string> LastFencedCode(std::string_view text) {
  // Fences pair up from the start: the odd ones open, the even ones close.
  size_t last_open = std::string_view::npos, last_close = std::string_view::npos;
  bool open = false;
  for (size_t at = text.find("```"); at != std::string_view::npos; at = text.find("```", at + 3)) {
    if (!open) {
      last_open = at;
      last_close = std::string_view::npos;
    } else {
      last_close = at;
    }
    open = !open;
  }
  if (last_open == std::string_view::npos) return std::nullopt;
  size_t body = text.find('\n', last_open);  // skip the info string ("python")
  if (body == std::string_view::npos) return std::nullopt;
  ++body;
  size_t end = last_close == std::string_view::npos ? text.size() : last_close;
  if (end < body) return std::nullopt;
  return std::string(text.substr(body, end - body));
}

size_t CountOccurrences(std::string_view text, std::string_view needle) {
  if (needle.empty()) return 0;
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

std::string Shorten(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

}  // namespace zerorl::reward::text
