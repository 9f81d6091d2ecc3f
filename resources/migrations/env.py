"""Alembic's environment for the question database.

Run only through `resources.migrations.upgrade_database(engine)`, which takes the migration lock and hands
its connection over in `config.attributes["connection"]`; the whole upgrade is that one transaction.
"""

from alembic import context

from resources.storage import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "the question database is migrated by resources.migrations.upgrade_database(engine), which holds the "
        "migration lock; the alembic command line is not set up for this project"
    )

# render_as_batch: SQLite cannot ALTER most things, batch mode rebuilds the table instead
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
