"""Settings from the environment (prefix ``MOLI_``), validated at start."""

from __future__ import annotations

import contextlib
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

    @field_validator("redis_url")
    @classmethod
    def _check_redis(cls, v: str | None) -> str | None:
        if v and not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a Redis URL such as redis://127.0.0.1:6379/0")
        return v or None

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

    def check_home_writable(self) -> Path:
        """MOLI_HOME exists and takes a write (once at start-up): a read-only mount or a full disk stops the
        start with a message naming MOLI_HOME, instead of 500s on the first log-in or upload."""
        probe = self.home / f".write-test-{os.getpid()}"
        try:
            self.ensure_home()
            probe.write_bytes(b"moli" * 1024)
            probe.unlink()
        except OSError as exc:
            with contextlib.suppress(OSError):
                probe.unlink()
            raise ConfigError(f"MOLI_HOME（{self.home}）无法写入：{exc.strerror or exc}（只读或磁盘已满？）",
                              f"MOLI_HOME ({self.home}) cannot be written: {exc.strerror or exc} (read-only or full?)",
                              field="MOLI_HOME") from None
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
            try:
                tmp.write_text(secrets.token_urlsafe(48))
                tmp.chmod(0o600)
                os.replace(tmp, path)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise ConfigError(f"无法在 MOLI_HOME 写入密钥文件 {path}：{exc.strerror or exc}",
                                  f"cannot write the key file {path} in MOLI_HOME: {exc.strerror or exc}",
                                  field="MOLI_HOME") from None
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
