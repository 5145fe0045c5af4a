"""Persistence: SQLAlchemy models, migrations, unit of work, timers, outbox, audit chain, Redis."""
