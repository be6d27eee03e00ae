"""个人信息检查页面与 JSON 接口 / PII check page and JSON API (thin: logic in ``service``)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from moli.core.errors import InputError
from moli.pii import KINDS, MODES, service
from moli.web.templating import render

router = APIRouter()
# 脱敏方式的中文名 / Chinese names of the redaction modes
MODE_LABELS = {"tag": "类型标签", "mask": "等长遮盖", "pseudonymize": "假名替换（保持格式）", "drop": "删除"}
SAMPLE = "联系人：王建国，电话：58788388-64516，手机 139 4567 1234，身份证号 110101199003074514，住址：上海市浦东新区世纪大道100号。"


@router.get("/pii")
def page(request: Request):
    return render(request, "pii/index.html", {"text": SAMPLE, "mode": "tag", "kinds": KINDS, "modes": MODES,
                                              "mode_labels": MODE_LABELS, "result": None, "error": None})


@router.post("/pii")
async def submit(request: Request):
    form = await request.form()
    text, mode = str(form.get("text", "")), str(form.get("mode", "tag"))
    ctx = {"text": text, "mode": mode, "kinds": KINDS, "modes": MODES, "mode_labels": MODE_LABELS, "result": None,
           "error": None}
    try:
        result = service.analyse(text, mode)
    except InputError as exc:
        return render(request, "pii/index.html", ctx | {"error": exc}, status_code=400)
    ctx["result"] = result
    ctx["pieces"] = service.highlight(text, result["findings"])
    return render(request, "pii/index.html", ctx)


@router.post("/api/v1/pii/detect")
def detect_api(body: dict):
    """``{"text": ..., "mode": "tag", "kinds": [...]}`` → findings with categories and the redacted text."""
    return service.analyse(body.get("text"), body.get("mode", "tag"), body.get("kinds"))
