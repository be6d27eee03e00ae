"""The one authorisation rule every feature uses.

An enterprise user reads and writes only its own organisation's private records; staff and
admin see everything. Public records are readable by anyone (including anonymous visitors).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_

from moli.core.errors import PermissionDenied


def is_staff(user: Any | None) -> bool:
    return user is not None and getattr(user, "role", None) in ("admin", "staff")


def can_read(user: Any | None, owner_org_id: int | None, *, public: bool = False) -> bool:
    if public or is_staff(user):
        return True
    return user is not None and owner_org_id is not None and user.organisation_id == owner_org_id


def can_write(user: Any | None, owner_org_id: int | None) -> bool:
    if is_staff(user):
        return True
    return user is not None and owner_org_id is not None and user.organisation_id == owner_org_id


def ensure_can_read(user: Any | None, owner_org_id: int | None, *, public: bool = False) -> None:
    if not can_read(user, owner_org_id, public=public):
        raise PermissionDenied("无权查看该记录", "you may not view this record")


def ensure_can_write(user: Any | None, owner_org_id: int | None) -> None:
    if not can_write(user, owner_org_id):
        raise PermissionDenied("无权修改该记录", "you may not change this record")


def visible(stmt: Select, model: Any, user: Any | None, *, public_column: str | None = None) -> Select:
    """Restrict a SELECT over ``model`` (which has ``owner_org_id``) to what ``user`` may read."""
    if is_staff(user):
        return stmt
    conds = []
    if public_column is not None:
        conds.append(getattr(model, public_column).is_(True))
    if user is not None and user.organisation_id is not None:
        conds.append(model.owner_org_id == user.organisation_id)
    if not conds:
        return stmt.where(False)
    return stmt.where(or_(*conds))
