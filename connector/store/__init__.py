"""Connector state in SQLite or PostgreSQL: processes, agreements, outbox, leases, replay cache."""
