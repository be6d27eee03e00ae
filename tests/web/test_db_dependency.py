"""get_db commits before the response is sent and rolls back when the view raises."""

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from moli.core.db import ensure_database, new_session
from moli.core.errors import InputError
from moli.core.models import Organisation
from moli.web.app import create_app
from moli.web.deps import get_db


def _app():
    router = APIRouter()

    @router.post("/api/v1/test-write/{name}")
    def write(name: str, db: Session = Depends(get_db)):
        db.add(Organisation(name=name, kind="enterprise"))

        def body():  # runs while the response is being sent
            s = new_session()
            try:
                seen = s.scalar(select(Organisation.id).where(Organisation.name == name)) is not None
            finally:
                s.close()
            yield b"visible" if seen else b"invisible"

        return StreamingResponse(body())

    @router.post("/api/v1/test-fail/{name}")
    def fail(name: str, db: Session = Depends(get_db)):
        db.add(Organisation(name=name, kind="enterprise"))
        db.flush()
        raise InputError("故意失败", "deliberate failure", field="name")

    app = create_app()
    app.include_router(router)
    return app


def test_commit_before_response_and_rollback_on_error(moli_home, db_url):
    ensure_database()
    with TestClient(_app()) as c:
        assert c.post("/api/v1/test-write/甲").text == "visible"
        r = c.post("/api/v1/test-fail/乙")
        assert r.status_code == 400 and r.json() == {"error": "deliberate failure", "error_zh": "故意失败",
                                                     "field": "name"}
    s = new_session()
    try:
        names = set(s.scalars(select(Organisation.name)))
    finally:
        s.close()
    assert names == {"甲"}


def test_unexpected_error_is_a_bilingual_500_without_traceback(moli_home):
    ensure_database()
    router = APIRouter()

    @router.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    @router.get("/api/v1/boom")
    def api_boom():
        raise RuntimeError("secret internal detail")

    app = create_app()
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as c:
        page = c.get("/boom")
        assert page.status_code == 500 and "服务器内部错误" in page.text and "internal server error" in page.text
        assert "secret internal detail" not in page.text
        api = c.get("/api/v1/boom")
        assert api.status_code == 500 and api.json()["error_zh"].startswith("服务器内部错误")
