"""A small deterministic server that speaks the OpenAI chat-completions protocol, for tests and
benchmarks. Run: ``python tests/market/answerer.py --port 8123 --key answers.jsonl``.

The path chooses the behaviour, the ``model`` field the answers:

* ``/ok/v1/chat/completions``      — answers at once;
* ``/hang/v1/chat/completions``    — sleeps 60 s (past any client timeout);
* ``/garbage/v1/chat/completions`` — 200 with a body that is not JSON;
* ``/flaky/v1/chat/completions``   — fails 10 % of requests with 503 (seeded), else answers;
* ``/slow/v1/chat/completions``    — answers after 20 ms (a model's latency).

Models: ``oracle`` answers the reference from the answer key (prompt → answer), ``half`` answers
correctly for prompts whose sha1 is even and "不知道" otherwise, ``echo`` repeats the prompt.
``GET /stats`` returns the request counts per mode (to count requests in benchmarks).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
from collections import Counter

ANSWERS: dict[str, str] = {}
STATS: Counter = Counter()
RNG = random.Random(1234)


def answer_for(model: str, prompt: str) -> str:
    # Multiple-choice prompts carry options after the question: look up the question line.
    key = prompt if prompt in ANSWERS else prompt.split("\n", 1)[0]
    truth = ANSWERS.get(key, "不知道")
    if model == "oracle":
        return truth
    if model == "half":
        return truth if int(hashlib.sha1(key.encode()).hexdigest(), 16) % 2 == 0 else "不知道"
    return prompt


async def _send(send, status: int, body: bytes, ctype: bytes = b"application/json") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/stats":
        await _send(send, 200, json.dumps(STATS).encode())
        return
    chunks = []
    while True:
        msg = await receive()
        chunks.append(msg.get("body", b""))
        if not msg.get("more_body"):
            break
    mode = path.strip("/").split("/", 1)[0]
    STATS[mode] += 1
    if not path.endswith("/chat/completions"):
        await _send(send, 404, b'{"error": "not found"}')
        return
    try:
        req = json.loads(b"".join(chunks))
        prompt = req["messages"][-1]["content"]
        model = req.get("model", "oracle")
    except (ValueError, KeyError, IndexError):
        await _send(send, 400, b'{"error": "bad request"}')
        return
    if mode == "hang":
        await asyncio.sleep(60)
    if mode == "slow":  # a model that takes 20 ms to answer
        await asyncio.sleep(0.02)
    if mode == "garbage":
        await _send(send, 200, b"<html>502 Bad Gateway?? not json", b"text/html")
        return
    if mode == "flaky" and RNG.random() < 0.10:
        STATS["flaky_failed"] += 1
        await _send(send, 503, b'{"error": "overloaded"}')
        return
    body = {"id": "cmpl-test", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer_for(model, prompt)}}],
            "usage": {"prompt_tokens": len(prompt), "completion_tokens": 1, "total_tokens": len(prompt) + 1}}
    await _send(send, 200, json.dumps(body, ensure_ascii=False).encode())


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", action="append", default=[], help="JSONL with prompt and reference")
    args = ap.parse_args(argv)
    for path in args.key:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    d = json.loads(line)
                    ANSWERS[d["prompt"]] = d.get("reference", "")
    print("ready", flush=True, file=sys.stderr)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False,
                lifespan="on", timeout_graceful_shutdown=1)


if __name__ == "__main__":
    main()
