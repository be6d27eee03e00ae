"""The platform's OpenAI-compatible API (``/v1``): the reference baseline as a chat-completions model.

Any OpenAI client can call it (``base_url="http://HOST:PORT/v1"``, model ``moli-retrieval-baseline``,
no key); the market's evaluations reach it in process through :func:`mounts`. Errors use OpenAI's
shape, ``{"error": {"message", "type", "param", "code"}}``, with the message in Chinese and English.
Non-streaming only. ``usage`` counts characters, not tokens: the baseline has no tokenizer.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from moli.core.db import session_scope
from moli.core.errors import InputError
from moli.core.jsonbody import error_responses, json_request, parse_json_body
from moli.market.schemas import HOSTED_MODELS, check_values

router = APIRouter()

BASE_URL = "http://moli.hosted/v1"  # the evaluations' name for this API; never resolved over the network
MAX_QUERY_CHARS = 2000  # a longer prompt is answered from its first 2,000 characters


def _error(status: int, zh: str, en: str, *, type_: str = "invalid_request_error", param: str | None = None,
           code: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": f"{zh} / {en}", "type": type_, "param": param, "code": code}},
                        status_code=status)


def _text_of(content: Any) -> str | None:
    """A message's text: a string, or the text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if parts and all(isinstance(t, str) for t in parts):
            return "\n".join(parts)
    return None


def _answer(prompt: str) -> tuple[str, str | None]:
    from moli.market import service

    with session_scope() as session:
        answer = service.reference_baseline(session).answer(prompt[:MAX_QUERY_CHARS])
    return answer.text, answer.source


@router.get("/v1/models")
def list_models() -> dict:
    """The models this platform serves (OpenAI ``/v1/models``)."""
    return {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "moli"}
                                       for m in HOSTED_MODELS]}


_OPENAI_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "properties": {
    "message": {"type": "string"}, "type": {"type": "string"}, "param": {"type": ["string", "null"]},
    "code": {"type": ["string", "null"]}}}}}
_CHAT_REQUEST = {"type": "object", "required": ["model", "messages"], "properties": {
    "model": {"type": "string", "enum": list(HOSTED_MODELS)},
    "messages": {"type": "array", "items": {"type": "object", "required": ["role", "content"], "properties": {
        "role": {"type": "string"}, "content": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]}}}},
    "stream": {"type": "boolean", "default": False}}}


@router.post("/v1/chat/completions", responses=error_responses(400, 404, schema=_OPENAI_ERROR),
             openapi_extra=json_request(_CHAT_REQUEST))
async def chat_completions(request: Request):
    """OpenAI chat completions, non-streaming: ``{"model": "moli-retrieval-baseline", "messages": [...]}`` →
    the sentence of the platform's public texts closest to the last user message (``moli.source`` names
    its document). No key."""
    try:  # also refuses nesting too deep to parse and strings with a lone surrogate (not encodable)
        body = parse_json_body(await request.body(), check=check_values)
    except InputError as exc:
        param = exc.field if exc.field and exc.field != "body" else None
        return _error(400, exc.zh, exc.en, param=param)
    model = body.get("model")
    if model not in HOSTED_MODELS:
        return _error(404, f"模型“{model}”不存在，可用：{', '.join(HOSTED_MODELS)}",
                      f"the model '{model}' does not exist; available: {', '.join(HOSTED_MODELS)}",
                      param="model", code="model_not_found")
    if body.get("stream"):
        return _error(400, "不支持流式输出（stream）", "streaming is not supported", param="stream")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        return _error(400, "messages 应为非空的消息列表", "messages must be a non-empty list of messages",
                      param="messages")
    users = [m for m in messages if m.get("role") == "user"]
    prompt = _text_of(users[-1].get("content")) if users else None
    if not prompt or not prompt.strip():
        return _error(400, "缺少用户消息的文本内容", "no text in a user message", param="messages")
    text, source = await run_in_threadpool(_answer, prompt)
    digest = hashlib.sha256(f"{model}\n{prompt}\n{text}".encode()).hexdigest()[:24]
    return {
        "id": f"chatcmpl-{digest}", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": len(prompt), "completion_tokens": len(text),
                  "total_tokens": len(prompt) + len(text)},
        "moli": {"source": source},  # which public document the sentence was taken from
    }


def mounts() -> dict[str, Any]:
    """httpx client mounts that send :data:`BASE_URL` to this router in process."""
    import httpx
    from fastapi import FastAPI

    app = FastAPI()
    app.include_router(router)
    return {BASE_URL.rsplit("/", 1)[0]: httpx.ASGITransport(app=app)}
