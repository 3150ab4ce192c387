// Internal to reward/: finding the parts of a completion that reward functions judge.
#ifndef ZERORL_REWARD_INTERNAL_TEXT_H_
#define ZERORL_REWARD_INTERNAL_TEXT_H_

#include <optional>
#include <string>
#include <string_view>

namespace zerorl::reward::text {

// True when `prompt` ends with "<think>" (whitespace after it allowed): the template opened
// the reasoning, so the completion starts inside it (deepseek_r1).
bool PromptOpensThink(std::string_view prompt);

// The completion as if it carried the template's "<think>" itself (unchanged otherwise).
std::string AsWritten(std::string_view prompt, std::string_view completion);

// The text between the last `open` and the first `close` after it; nullopt when there is
// no such closed pair.
std::optional<std::string_view> LastTagContent(std::string_view text, std::string_view open,
                                               std::string_view close);

// The reasoning: from after the first "<think>" to the next "</think>" (or the end);
// without "<think>", the text before the first "<answer>" (or all of it).
std::string_view Reasoning(std::string_view text);

// The body of the last fenced block ("```python\n...\n```", "```\n...```") in `text`;
// nullopt when there is none. An unclosed last fence runs to the end of the text.
std::optional<std::string> LastFencedCode(std::string_view text);

// Occurrences of `needle` (non-overlapping) in `text`.
size_t CountOccurrences(std::string_view text, std::string_view needle);

// `text` cut to at most `max_bytes` (on a UTF-8 boundary) with "..." appended when cut.
std::string Shorten(std::string_view text, size_t max_bytes);

}  // namespace zerorl::reward::text

#endif  // ZERORL_REWARD_INTERNAL_TEXT_H_
