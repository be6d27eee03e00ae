"""The migrated schema equals the models (every feature's hand-written migration is checked)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from moli.core.db import Base, ensure_database, get_engine, import_all_models


def test_migrations_match_models(db_url):
    ensure_database()
    import_all_models()
    engine = get_engine()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"migrations and models differ on {engine.dialect.name}: {diff}"
    tables = set(inspect(engine).get_table_names())
    assert {"users", "organisations", "jobs", "login_attempts"} <= tables


def test_migration_is_idempotent(db_url):
    from moli.core.db import forget_migrations, upgrade

    ensure_database()
    forget_migrations()
    upgrade()  # a second run at head changes nothing and does not fail
    with get_engine().connect() as conn:
        heads = {r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    from pathlib import Path

    import moli.migrations

    versions = Path(moli.migrations.__file__).parent / "versions"
    newest = {}  # the newest revision of every feature branch, from the file names (feature_NNNN_...)
    for f in versions.glob("*_0*.py"):
        feature, number = f.stem.split("_")[:2]
        newest[feature] = max(newest.get(feature, ""), f"{feature}_{number}")
    assert heads == set(newest.values())
