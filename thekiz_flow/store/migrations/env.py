"""Alembic environment: runs on the connection handed over by thekiz_flow.store.migrate."""

from alembic import context

from thekiz_flow.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    # one transaction per step: an upgrade that fails stops after the last good step
    transaction_per_migration=True,
    on_version_apply=context.config.attributes.get("on_version_apply", []),
)
with context.begin_transaction():
    context.run_migrations()
