"""Alembic's environment: the migrations run on the connection central.migrations hands over
(config.attributes["connection"], inside its transaction); there is no alembic.ini."""

from typing import Any

from alembic import context

from central.schema import UTCDateTime, metadata


def render_item(kind: str, item: Any, _autogen: Any) -> str | bool:
    """A revision written by `revision --autogenerate` stores a UTCDateTime as the column type
    it is (a revision never imports the application's code: it must stay as it was written)."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False  # Alembic's own rendering


context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata,  # what `revision --autogenerate` compares the database with
    render_as_batch=True,  # and writes SQLite-proof table changes (batch_alter_table)
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
