"""The JSON API reference page (/api/docs), rendered on the server from the app's OpenAPI document.

FastAPI's Swagger page loads its script and styles from a CDN, so on an intranet or any closed
network it stays blank; this page needs nothing but the platform itself. The machine-readable
document stays at /api/openapi.json."""

from __future__ import annotations

import re
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")
_RST_LITERAL = re.compile(r"``([^`]*)``")


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"])
    t = schema.get("type", "any")
    if t == "array":
        return f"array[{_type(schema.get('items', {}))}]"
    return t


def _body(op: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any] | None:
    """The request body: its content type and, for a named schema, its fields."""
    body = op.get("requestBody")
    if not body:
        return None
    ctype, media = next(iter(body.get("content", {}).items()), ("", {}))
    schema = media.get("schema", {})
    if "$ref" in schema:
        schema = spec.get("components", {}).get("schemas", {}).get(schema["$ref"].rsplit("/", 1)[-1], {})
    required = set(schema.get("required", []))
    fields = [{"name": k, "type": _type(v), "required": k in required} for k, v in schema.get("properties", {}).items()]
    return {"content_type": ctype, "fields": fields}


MODEL_API_LABEL = ("模型接口（OpenAI 兼容，平台参考基线）", "Model API (OpenAI-compatible: the platform's reference baseline)")


def reference(spec: dict[str, Any], labels: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """The ``/api/`` operations of ``spec`` grouped by feature (the path segment after /api/v1/), each
    with method, path, description, parameters, request body and response codes."""
    groups: dict[str, dict[str, Any]] = {}
    for path, item in spec.get("paths", {}).items():
        if path.startswith("/v1/"):  # the hosted model, for OpenAI clients (moli.market.hosted)
            feature, (zh, en) = "openai", MODEL_API_LABEL
        elif path.startswith("/api/"):
            parts = path.split("/")
            feature = parts[3] if len(parts) > 3 and parts[2] == "v1" and parts[3] in labels else "platform"
            zh, en = labels.get(feature, ("平台", "Platform"))
        else:
            continue
        group = groups.setdefault(feature, {"id": feature, "zh": zh, "en": en, "operations": []})
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            # the docstring, if any (FastAPI's summary is only the function name: "Api Safety")
            text = _RST_LITERAL.sub(r"\1", op.get("description") or "").strip()
            group["operations"].append({
                "method": method.upper(), "path": path, "description": text,
                "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                                "type": _type(p.get("schema", {}))} for p in op.get("parameters", [])],
                "body": _body(op, spec),
                "responses": sorted(op.get("responses", {})),
            })
    order = list(labels) + ["platform", "openai"]
    return sorted(groups.values(), key=lambda g: order.index(g["id"]) if g["id"] in order else len(order))
