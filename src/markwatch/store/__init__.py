"""Storage: SQLAlchemy tables, Alembic migrations and the database handle."""
