"""The scenario database's schema history, as Alembic migrations (see docs/deployment.md).

``versions/`` holds one file per change of the tables; :func:`hubplan.planning.store.upgrade_database`
runs them when a store opens a database, and ``hubplan db upgrade`` runs them by hand.
"""
