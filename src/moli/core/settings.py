"""Settings from the environment (prefix ``MOLI_``), validated at start."""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from moli.core.errors import ConfigError

_GENERATED_KEYS: dict[str, str] = {}  # home → key read from MOLI_HOME/secret_key (read once per process)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOLI_", extra="ignore")

    home: Path = Path("~/.moli")
    database_url: str | None = None
    secret_key: str | None = None
    redis_url: str | None = None
    max_upload_mb: int = 100
    jobs_immediate: bool = False  # run background jobs inline (tests, single-process demo)
    cookie_secure: bool = False  # set the Secure flag on cookies (serve behind HTTPS)
    # Networks (CIDR, comma-separated) that model endpoints may resolve to besides the public internet,
    # e.g. "10.8.0.0/16" for models deployed on the intranet; empty: public addresses only.
    model_endpoint_networks: str = ""

    @field_validator("home")
    @classmethod
    def _expand_home(cls, v: Path) -> Path:
        return Path(os.path.expanduser(str(v))).resolve()

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, v: str | None) -> str | None:
        if v is not None and "://" not in v:
            raise ValueError("must be a SQLAlchemy URL such as sqlite:///path or postgresql+psycopg://user@host/db")
        return v

    @field_validator("max_upload_mb")
    @classmethod
    def _positive(cls, v: int) -> int:
        if v <= 0:
            raise ValueError("must be a positive number of megabytes")
        return v

    @field_validator("model_endpoint_networks")
    @classmethod
    def _networks(cls, v: str) -> str:
        for part in filter(None, (p.strip() for p in v.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"'{part}' is not a network such as 10.8.0.0/16 or 127.0.0.1/32") from None
        return v

    @property
    def endpoint_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(p.strip(), strict=False) for p in self.model_endpoint_networks.split(",")
                if p.strip()]

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'moli.db'}"

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home

    @property
    def effective_secret_key(self) -> str:
        """The configured key, or one generated once into MOLI_HOME/secret_key."""
        if self.secret_key:
            return self.secret_key
        cached = _GENERATED_KEYS.get(str(self.home))
        if cached:
            return cached
        path = self.ensure_home() / "secret_key"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            os.replace(tmp, path)
        key = path.read_text().strip()
        _GENERATED_KEYS[str(self.home)] = key
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "MOLI_" + str(err["loc"][0]).upper() if err.get("loc") else "MOLI_*"
        raise ConfigError(
            f"环境变量 {name} 的值无效：{err['msg']}",
            f"environment variable {name} is invalid: {err['msg']}",
            field=name,
        ) from None


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()
    _GENERATED_KEYS.clear()
