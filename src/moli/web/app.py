"""``create_app()``: the FastAPI app with the platform pages and every feature's router."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from moli import __version__
from moli.core.db import FEATURES, ensure_database
from moli.core.errors import MoliError
from moli.web.errors import (
    http_error_handler,
    moli_error_handler,
    server_error_handler,
    validation_error_handler,
)
from moli.web.security import RequestGuard

log = logging.getLogger("moli.web")
STATIC_DIR = Path(__file__).resolve().parent / "static"


def feature_routers() -> tuple[list[tuple[str, object]], dict[str, str]]:
    """``(name, router)`` for each feature whose ``views`` module exists, and import errors by name."""
    routers, errors = [], {}
    for name in FEATURES:
        if name == "core" or importlib.util.find_spec(f"moli.{name}") is None:
            continue
        if importlib.util.find_spec(f"moli.{name}.views") is None:
            continue
        try:
            module = importlib.import_module(f"moli.{name}.views")
            routers.append((name, module.router))
        except Exception as exc:  # shown on /healthz (503) and the home page, never silently
            log.exception("could not load moli.%s.views", name)
            errors[name] = f"{type(exc).__name__}: {exc}"
    return routers, errors


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        ensure_database()
        yield

    ensure_database()  # a fresh MOLI_HOME is migrated on first start (also without lifespan)
    app = FastAPI(title="模力 moli", version=__version__, lifespan=lifespan,
                  description="大模型产业开放平台 / open platform for the AI large-model industry",
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")  # /api/docs: moli.web.apidocs
    app.add_middleware(RequestGuard)
    app.add_exception_handler(MoliError, moli_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(Exception, server_error_handler)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    from moli.web.pages import router as pages_router

    app.include_router(pages_router)
    routers, errors = feature_routers()
    for _name, router in routers:
        app.include_router(router)
    app.state.features = [name for name, _ in routers]
    app.state.feature_errors = errors
    return app
