from pydantic import BaseModel, Field, ValidationError

from moli.core.validation import zh_reason


class _M(BaseModel):
    n: int = Field(ge=1)
    s: str = Field(max_length=3)
    flag: bool


def test_pydantic_errors_read_in_chinese():
    try:
        _M.model_validate({"n": 0, "s": "abcd", "flag": "maybe", "x": 1})
    except ValidationError as exc:
        reasons = {e["loc"][0]: zh_reason(e) for e in exc.errors()}
    assert reasons == {"n": "须 ≥ 1", "s": "最多 3 个字符", "flag": "应为 true 或 false"}
    assert zh_reason({"type": "missing"}) == "缺少必填项"
