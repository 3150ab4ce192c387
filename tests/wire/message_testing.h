// Test helpers for the wire messages: one filled-in example of every type, field-by-field
// comparison (NaNs compare by bits), and header surgery for forging malformed messages.
#ifndef ZERORL_TESTS_WIRE_MESSAGE_TESTING_H_
#define ZERORL_TESTS_WIRE_MESSAGE_TESTING_H_

#include <functional>
#include <string>
#include <vector>

#include "wire/messages.h"
#include "rapidjson/document.h"

namespace zerorl::testing {

Hello ExampleHello();
Heartbeat ExampleHeartbeat();
PromptBatch ExamplePromptBatch();
Rollouts ExampleRollouts();          // with prompts attached and non-UTF-8 text
ScoredGroups ExampleScoredGroups();  // every mark, a NaN score
WeightUpdate ExampleWeightUpdate();  // three pieces, bf16 / fp32 / fp16
Metrics ExampleMetrics();            // NaN and infinities included
Shutdown ExampleShutdown();
// One of each type, in MessageType order.
std::vector<Message> ExampleMessages();

// "" when equal, else the first difference ("completions[1].logprobs[3]: 0.5 vs 0.25").
std::string Difference(const Message& a, const Message& b);

// Frames with the header replaced by `edit`ed JSON; frames 1.. are kept.
Frames EditHeader(const Frames& frames, const std::function<void(rapidjson::Document&)>& edit);
// Frames with the header replaced by `header` verbatim.
Frames WithHeader(const Frames& frames, const std::string& header);

}  // namespace zerorl::testing

#endif  // ZERORL_TESTS_WIRE_MESSAGE_TESTING_H_
