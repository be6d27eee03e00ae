"""The request guard keeps a large upload out of memory: spooled to disk, checked, replayed intact."""

import asyncio
import hashlib
import tracemalloc

from moli.web.security import CSRF_COOKIE, RequestGuard, new_csrf_token

BLOCK = bytes(range(256)) * 256  # 64 KB, one object sent again and again: the test itself holds no copy
BLOCKS = 384  # 24 MB of file content
BOUNDARY = "moliboundary"


def _parts(token: str):
    yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
           f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
           "Content-Type: application/octet-stream\r\n\r\n").encode()
    for _ in range(BLOCKS):
        yield BLOCK
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _run(token: str, cookie: str):
    got = {"sha": hashlib.sha256(), "size": 0, "status": None}

    async def app(scope, receive, send):  # streams the body it is given, as Starlette's form parser does
        while True:
            message = await receive()
            got["sha"].update(message.get("body", b""))
            got["size"] += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    total = sum(len(p) for p in _parts(token))
    scope = {"type": "http", "method": "POST", "path": "/upload", "query_string": b"", "root_path": "",
             "scheme": "http", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 5000),
             "headers": [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
                         (b"content-length", str(total).encode()),
                         (b"cookie", f"{CSRF_COOKIE}={cookie}".encode())]}

    pending = list(_parts(token))  # small: the header part, the same BLOCK object repeated, the trailer
    it = iter(pending)

    async def receive():
        chunk = next(it, None)
        if chunk is None:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunk, "more_body": chunk is not pending[-1]}

    async def send(message):
        if message["type"] == "http.response.start":
            got["status"] = message["status"]

    asyncio.run(RequestGuard(app)(scope, receive, send))
    return got, total


def test_large_upload_is_replayed_intact_without_being_held_in_memory():
    token = new_csrf_token()
    want = hashlib.sha256()
    for p in _parts(token):
        want.update(p)
    tracemalloc.start()
    try:
        got, total = _run(token, token)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got["status"] == 200
    assert got["size"] == total and got["sha"].hexdigest() == want.hexdigest()
    assert total > 24 * 2**20 and peak < 8 * 2**20, peak  # the whole body in memory would be > 24 MB


def test_large_upload_with_a_wrong_token_is_refused_before_the_app_runs():
    got, _ = _run(new_csrf_token(), new_csrf_token())
    assert got["status"] == 403 and got["size"] == 0
