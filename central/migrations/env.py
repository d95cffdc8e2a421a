"""Alembic's environment: the migrations run on the connection central.migrations hands over
(config.attributes["connection"], inside its transaction); there is no alembic.ini."""

from alembic import context

from central.schema import metadata

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata,  # what `revision --autogenerate` compares the database with
)
with context.begin_transaction():
    context.run_migrations()
