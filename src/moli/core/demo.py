"""``moli demo``: migrate, load every feature's demo content, create the demo administrator."""

from __future__ import annotations

import importlib
import importlib.util

from sqlalchemy import select

from moli.core import accounts
from moli.core.db import FEATURES, ensure_database, session_scope
from moli.core.models import User

DEMO_ADMIN_EMAIL = "admin@moli.local"


def load_demo() -> dict:
    """Migrate, load every feature's demo content, create the demo admin. Idempotent.

    Returns ``{"features": {feature: result}, "admin": email, "password": str | None}`` (the
    password only when the admin was created by this call).
    """
    ensure_database()
    results: dict[str, object] = {}
    for name in FEATURES:
        mod = f"moli.{name}.demo"
        if name == "core" or importlib.util.find_spec(f"moli.{name}") is None or importlib.util.find_spec(mod) is None:
            continue
        module = importlib.import_module(mod)
        if hasattr(module, "load"):
            with session_scope() as s:
                results[name] = module.load(s)
    password = None
    with session_scope() as s:
        if s.scalar(select(User.id).where(User.email == DEMO_ADMIN_EMAIL)) is None:
            _user, password = accounts.create_admin(s, DEMO_ADMIN_EMAIL)
    return {"features": results, "admin": DEMO_ADMIN_EMAIL, "password": password}
