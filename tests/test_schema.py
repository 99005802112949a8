"""The migrations build exactly the schema the tables declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from markwatch.store.db import Database
from markwatch.store.tables import Base

from .servicekit import db_url

__all__ = ["db_url"]


def test_migrations_match_the_tables(db_url):
    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        db.dispose()
