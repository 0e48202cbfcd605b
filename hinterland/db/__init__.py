"""Storage: the async engine factory, the declarative base and Alembic migrations."""

from hinterland.db.base import Base
from hinterland.db.engine import create_engine, create_sync_sqlite_engine, session_factory

__all__ = ["Base", "create_engine", "create_sync_sqlite_engine", "session_factory"]
