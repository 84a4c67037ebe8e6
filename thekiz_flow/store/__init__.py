"""The store: SQLAlchemy Core tables, the repository and Alembic migrations."""
