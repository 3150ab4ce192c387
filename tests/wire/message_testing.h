// Test helpers for the wire messages: one filled-in example of every type, field-by-field
// comparison (NaNs compare by bits), and header surgery for forging malformed messages.
#ifndef ZERORL_TESTS_WIRE_MESSAGE_TESTING_H_
#define ZERORL_TESTS_WIRE_MESSAGE_TESTING_H_

#include <functional>
#include <string>
#include <vector>

#include "rapidjson/document.h"
#include "wire/messages.h"

namespace zerorl::testing {

wire::Hello ExampleHello();
wire::Heartbeat ExampleHeartbeat();
wire::PromptBatch ExamplePromptBatch();
wire::Rollouts ExampleRollouts();          // with prompts attached and non-UTF-8 text
wire::ScoredGroups ExampleScoredGroups();  // every mark, a NaN score
wire::WeightUpdate ExampleWeightUpdate();  // three pieces, bf16 / fp32 / fp16
wire::Metrics ExampleMetrics();            // NaN and infinities included
wire::Shutdown ExampleShutdown();
// One of each type, in MessageType order.
std::vector<wire::Message> ExampleMessages();

// "" when equal, else the first difference ("completions[1].logprobs[3]: 0.5 vs 0.25").
std::string Difference(const wire::Message& a, const wire::Message& b);

// Frames with the header replaced by `edit`ed JSON; frames 1.. are kept.
wire::Frames EditHeader(const wire::Frames& frames,
                        const std::function<void(rapidjson::Document&)>& edit);
// Frames with the header replaced by `header` verbatim.
wire::Frames WithHeader(const wire::Frames& frames, const std::string& header);

}  // namespace zerorl::testing

#endif  // ZERORL_TESTS_WIRE_MESSAGE_TESTING_H_
