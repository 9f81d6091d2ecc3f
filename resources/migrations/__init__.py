"""Alembic migrations of the question database, applied on start by `upgrade_database(engine)`.

The environment (env.py, versions/) lives inside the package, so an installed project migrates from any cwd.
A database made before migrations existed (tables, no alembic_version) is stamped as revision 0001 first.
Two processes starting at once take turns: PostgreSQL under an advisory lock, SQLite under BEGIN IMMEDIATE.
"""

from __future__ import annotations

import contextlib
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine, event, func, inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)
SCRIPT_LOCATION = Path(__file__).resolve().parent
BASELINE_REVISION = "0001"  # the schema of the version that called Base.metadata.create_all
BASELINE_TABLES = frozenset({"papers", "pages", "questions", "options", "sub_questions", "spans", "figures"})
ADVISORY_LOCK_KEY = zlib.crc32(b"exampaper-ocr question database migrations")
SQLITE_BUSY_TIMEOUT_MS = 120_000  # a migration that copies a big table may take a while


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_database(engine: Engine) -> str:
    """Bring the database to the newest revision, under the migration lock. Returns the revision it ends at."""
    with _migration_connection(engine) as connection:
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables and tables & BASELINE_TABLES:
            missing = BASELINE_TABLES - tables
            if missing:
                raise RuntimeError(
                    f"{_where(engine)}: the question tables are only partly there (missing {', '.join(sorted(missing))}) "
                    "and there is no alembic_version, so it is not a database this project made; point "
                    "EXAMPAPER_DATABASE_URL at an empty database or restore the missing tables"
                )
            command.stamp(alembic_config(connection), BASELINE_REVISION)
        before = current_revision(connection)
        try:
            command.upgrade(alembic_config(connection), "head")
        except CommandError as exc:
            raise RuntimeError(
                f"{_where(engine)} is at schema revision {current_revision(connection)!r}, which this version of "
                f"the project does not know (its newest is {head_revision()!r}): run the newer version of the "
                f"project against it, or point EXAMPAPER_DATABASE_URL at another database ({exc})"
            ) from exc
        after = current_revision(connection)
        if after != before:
            log.info("%s upgraded from schema revision %s to %s", _where(engine), before or "(empty)", after)
        return after


@contextlib.contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """One transaction that holds the migration lock; it commits the whole upgrade or none of it."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))  # freed at commit
            yield connection
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        locked = _sqlite_immediate_engine(engine)
        try:
            with locked.begin() as connection:
                yield connection
        finally:
            locked.dispose()
    else:  # an in-memory SQLite has one user; other databases run without a lock
        with engine.begin() as connection:
            yield connection


def _sqlite_immediate_engine(engine: Engine) -> Engine:
    """A private engine whose transactions start with BEGIN IMMEDIATE: the write lock is taken before the
    schema is read, so a second process waits (busy_timeout) and then finds the database already migrated.
    Foreign keys stay off, as batch mode needs: rebuilding a parent table must not cascade-delete its children."""
    locked = create_engine(engine.url, poolclass=NullPool)

    @event.listens_for(locked, "connect")
    def _autocommit_driver(dbapi_connection, _):  # let SQLAlchemy, not pysqlite, say when transactions begin
        dbapi_connection.isolation_level = None
        dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(locked, "begin")
    def _begin_immediate(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return locked


def _where(engine: Engine) -> str:
    return f"the question database {engine.url.render_as_string(hide_password=True)}"
