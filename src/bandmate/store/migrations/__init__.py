"""Alembic migration scripts for the Bandmate database (run by :mod:`bandmate.store.migrate`)."""
