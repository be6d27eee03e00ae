"""Database engine, sessions, the declarative base and migrations.

Each feature owns its tables (``moli.<feature>.models``) and its own Alembic branch
(``migrations/versions/<feature>_NNNN_*.py`` with ``branch_labels=("<feature>",)``), so features
migrate independently; ``upgrade()`` takes every branch to its head.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from moli.core.errors import ConfigError
from moli.core.settings import get_settings

# Feature packages in dependency order; used to import models and discover CLI apps and routers.
FEATURES = ("core", "pii", "corpus", "crossborder", "market", "outbound", "events", "federation")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC)


def import_all_models() -> None:
    """Import every feature's models module so Base.metadata knows all tables."""
    for name in FEATURES:
        mod = f"moli.{name}.models"
        if importlib.util.find_spec(f"moli.{name}") and importlib.util.find_spec(mod):
            importlib.import_module(mod)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


_ENGINES: dict[str, Engine] = {}
_SESSIONMAKERS: dict[str, sessionmaker] = {}


def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().db_url
    engine = _ENGINES.get(url)
    if engine is not None:
        return engine
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    _ENGINES[url] = engine
    return engine


def _sessionmaker(url: str) -> sessionmaker:
    if url not in _SESSIONMAKERS:
        _SESSIONMAKERS[url] = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    return _SESSIONMAKERS[url]


def new_session(url: str | None = None) -> Session:
    return _sessionmaker(url or get_settings().db_url)()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error (nothing half-written)."""
    session = new_session(url)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent.parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().db_url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None) -> None:
    """Migrate the database to the head of every feature branch."""
    from alembic import command

    command.upgrade(alembic_config(url), "heads")


def reset_engines() -> None:
    """Dispose cached engines (tests switch databases)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()
    _SESSIONMAKERS.clear()


def dispose_engine(url: str) -> None:
    """Close and forget the cached engine of one URL (before copying or dropping its database)."""
    engine = _ENGINES.pop(url, None)
    _SESSIONMAKERS.pop(url, None)
    if engine is not None:
        engine.dispose()


_MIGRATED: set[str] = set()


def ensure_database(url: str | None = None) -> str:
    """Create MOLI_HOME and migrate the database once per process; returns the URL used. A database that
    cannot be reached or opened stops with a ConfigError naming MOLI_DATABASE_URL (password hidden)."""
    settings = get_settings()
    url = url or settings.db_url
    if url in _MIGRATED:
        settings.ensure_home()
    else:
        settings.check_home_writable()
        try:
            upgrade(url)
        except (SQLAlchemyError, ImportError, OSError) as exc:
            raise database_error(url, exc) from None
        _MIGRATED.add(url)
    return url


def database_error(url: str, exc: BaseException) -> ConfigError:
    """Why the database at ``url`` cannot be used, naming the setting and never the password."""
    from sqlalchemy.engine import make_url

    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown without its credentials part
        shown = url.split("@")[-1]
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
    if isinstance(exc, ImportError | NoSuchModuleError):
        zh, en = "不支持的数据库类型（支持 sqlite:/// 与 postgresql+psycopg://）", "unsupported database (use sqlite:/// or postgresql+psycopg://)"
    elif isinstance(exc, OperationalError):
        zh, en = "无法连接或打开数据库（检查主机、端口、用户名、密码与数据库名）", "cannot connect to or open the database"
    else:
        zh, en = "无法使用数据库", "cannot use the database"
    return ConfigError(f"MOLI_DATABASE_URL（{shown}）：{zh}；详情：{reason}",
                       f"MOLI_DATABASE_URL ({shown}): {en}: {reason}", field="MOLI_DATABASE_URL")


def forget_migrations() -> None:
    _MIGRATED.clear()
