"""Errors a user reads. Each carries a Chinese and an English message."""

from __future__ import annotations


class MoliError(Exception):
    """Base error with a bilingual message: Chinese first, English second."""

    status_code = 400

    def __init__(self, zh: str, en: str | None = None, *, field: str | None = None):
        self.zh = zh
        self.en = en or zh
        self.field = field
        super().__init__(f"{zh} / {self.en}" if en else zh)

    def to_dict(self) -> dict:
        out = {"error": self.en, "error_zh": self.zh}
        if self.field:
            out["field"] = self.field
        return out


class ConfigError(MoliError):
    """A bad setting, recipe, plan or rules file."""


class InputError(MoliError):
    """Bad user input: a file, a form field, a JSON line."""


class NotFound(MoliError):
    status_code = 404


class PermissionDenied(MoliError):
    status_code = 403


class Unauthenticated(MoliError):
    """Not logged in (or the session expired): pages redirect to /login, the API answers 401."""

    status_code = 401


class PayloadTooLarge(MoliError):
    status_code = 413
