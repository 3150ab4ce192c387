#!/usr/bin/python3
"""An example zerorl reward server (the "remote" reward function), in Python with
Debian's python3-zmq.

It scores repetition, as open-r1's repetition penalty does: the share of repeated word
n-grams in the completion, as a penalty in [-1, 0] (0 = no n-gram repeats). Completions
shorter than one n-gram are not applicable.

Run it, then point a config at it:
    /usr/bin/python3 examples/reward_server_python/server.py --endpoint tcp://127.0.0.1:5560
    {"name": "remote", "label": "repetition", "endpoint": "tcp://127.0.0.1:5560",
     "weight": 0.1, "timeout_ms": 5000}

The protocol (reward/plugins.h): zerorl sends one JSON request per batch of completions,
    {"id": 7, "function": "repetition",
     "samples": [{"prompt": str, "completion": str, "answer": str,
                  "metadata": {...} or null, "num_tokens": int}, ...]}
and expects one reply with one entry per sample, in order:
    {"id": 7, "scores": [0.0, null, {"score": -0.25, "detail": "..."}, {"error": "..."}]}
A number is a score, null is "not applicable", an object may carry a detail, and
{"error": ...} marks that sample as failed. A REP socket is all a server needs.
"""
import argparse
import json
import sys

import zmq


def repetition_penalty(text, n):
    words = text.split()
    if len(words) < n:
        return None
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    repeated = 1.0 - len(set(grams)) / len(grams)
    return {"score": -repeated, "detail": "%d of %d %d-grams repeat" % (
        len(grams) - len(set(grams)), len(grams), n)}


def score(request, n):
    scores = []
    for sample in request["samples"]:
        try:
            scores.append(repetition_penalty(sample["completion"], n))
        except Exception as e:  # one bad sample must not fail the others
            scores.append({"error": "%s: %s" % (type(e).__name__, e)})
    return {"id": request.get("id"), "scores": scores}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5560")
    parser.add_argument("--ngram", type=int, default=3)
    args = parser.parse_args()
    context = zmq.Context()
    socket = context.socket(zmq.REP)
    socket.bind(args.endpoint)
    print("reward server on %s" % args.endpoint, file=sys.stderr, flush=True)
    while True:
        message = socket.recv()
        try:
            reply = score(json.loads(message), args.ngram)
        except (ValueError, KeyError, TypeError) as e:
            # Not a request zerorl sends: an empty answer makes zerorl mark the batch.
            reply = {"error": "bad request: %s" % e}
        socket.send(json.dumps(reply).encode())


if __name__ == "__main__":
    main()
