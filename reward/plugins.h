// Your own reward code, two ways. Both are reward functions like the built-in ones: they
// give each completion a score, "not applicable" or an error, are weighted in the total,
// and their failures never stop a run (the samples get an error mark, never a silent 0,
// and a counter says what happened).
//
// 1. A shared library with the C ABI of reward/plugin_abi.h:
//      {"name": "plugin", "label": "answer_match", "library": "/path/libanswer_match.so",
//       "args": "ignore_case", "timeout_ms": 2000, "weight": 1.0}
//    It runs in a plugin host child process (reward/plugin_host.h), one completion at a
//    time. A crash or a completion taking longer than timeout_ms kills that host and starts
//    a fresh one for the next completion; after 3 failures in a row the rest of the batch
//    is marked without trying. The library is loaded once when the pipeline is created, so
//    a missing library, a missing symbol, a failing init or another ABI version stops the
//    run before it starts, with the reason. Counters (reward/<label>/...): crashes,
//    timeouts, garbage (ABI contract broken), restarts, start_failures, skipped.
//    Example: examples/reward_plugin_c/.
//
// 2. A reward server over ZeroMQ, in any language:
//      {"name": "remote", "label": "repetition", "endpoint": "tcp://127.0.0.1:5560",
//       "max_batch": 64, "timeout_ms": 5000, "weight": 0.1}
//    zerorl connects a DEALER socket and sends, per batch of up to max_batch completions,
//    an empty delimiter frame and one JSON frame (so a plain REP server works; a ROUTER
//    server gets [identity, "", request] and answers [identity, "", reply]):
//      {"id": 7, "function": "<label>",
//       "samples": [{"prompt": str, "completion": str, "answer": str,
//                    "metadata": {problem} or null, "num_tokens": int}, ...]}
//    Texts are UTF-8 (bytes that are not become U+FFFD); metadata is the problem as
//    datasets/datasets.h writes it (id, kind, prompt, answer, tests, countdown, ...).
//    The reply is one JSON frame (after the delimiter) with one entry per sample, in order:
//      {"id": 7, "scores": [1.0, null, {"score": 0.5, "detail": "why"},
//                           {"not_applicable": "why"}, {"error": "why"}]}
//    "id" may be left out; a reply with another request's id is skipped as stale. A reply
//    later than timeout_ms, one that is not JSON, lacks "scores", or has the wrong number
//    of entries marks every sample of the request as an error and replaces the socket (a
//    fresh connection, as in the ZeroMQ guide's lazy pirate); an entry of the wrong type
//    marks its own sample. Counters: requests, timeouts, bad_replies, reconnects,
//    stale_replies. Example: examples/reward_server_python/server.py.
#ifndef ZERORL_REWARD_PLUGINS_H_
#define ZERORL_REWARD_PLUGINS_H_

#include "reward/plugin_abi.h"
#include "reward/plugin_host.h"

#endif  // ZERORL_REWARD_PLUGINS_H_
