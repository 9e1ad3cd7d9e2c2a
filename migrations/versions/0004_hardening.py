"""hardening: ids SQLite never reuses, the table's metadata summary, session generations,
token prefixes and expiry, throttling counters

Revision ID: 0004_hardening
Revises: 0003_scan_requests_and_agents
Create Date: 2026-11-28 20:42:30.227531

"""
from alembic import op
import sqlalchemy as sa

from console.metadata_summary import summarize_metadata


# revision identifiers, used by Alembic.
revision = '0004_hardening'
down_revision = '0003_scan_requests_and_agents'
branch_labels = None
depends_on = None

# Tables whose rows are deleted by id: on SQLite they are rebuilt with AUTOINCREMENT, so that a
# freed id is never handed to a new row. PostgreSQL's sequences never reuse ids.
AUTOINCREMENT_TABLES = ('backend_resources', 'api_tokens')
BACKFILL_BATCH = 1000


def rebuild_on_sqlite(table_name, autoincrement):
    """A batch operation that, on SQLite, rebuilds the table with or without AUTOINCREMENT."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    return op.batch_alter_table(
        table_name, recreate='always' if sqlite else 'auto',
        table_kwargs={'sqlite_autoincrement': autoincrement},
    )


def upgrade():
    op.create_table('throttle_counters',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_counters_expires_at'), ['expires_at'], unique=False)

    with rebuild_on_sqlite('api_tokens', True) as batch_op:
        batch_op.add_column(sa.Column('key_prefix', sa.String(length=8), server_default='', nullable=False))
        batch_op.add_column(sa.Column('expires', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_api_tokens_key_prefix'), ['key_prefix'], unique=False)

    with rebuild_on_sqlite('backend_resources', True) as batch_op:
        batch_op.add_column(sa.Column('metadata_summary', sa.String(length=255), server_default='', nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))

    backfill_metadata_summaries()


def backfill_metadata_summaries():
    """Summarise the metadata of the reports already stored (the summary is derived data)."""
    reports = sa.table(
        'backend_resources', sa.column('id', sa.Integer), sa.column('backend_metadata', sa.JSON),
        sa.column('metadata_summary', sa.String),
    )
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(reports.c.id, reports.c.backend_metadata)
            .where(reports.c.id > last_id).order_by(reports.c.id).limit(BACKFILL_BATCH)
        ).all()
        if not rows:
            return
        for row_id, metadata in rows:
            connection.execute(
                reports.update().where(reports.c.id == row_id)
                .values(metadata_summary=summarize_metadata(metadata))
            )
        last_id = rows[-1][0]


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')

    with rebuild_on_sqlite('backend_resources', False) as batch_op:
        batch_op.drop_column('metadata_summary')

    with rebuild_on_sqlite('api_tokens', False) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_key_prefix'))
        batch_op.drop_column('expires')
        batch_op.drop_column('key_prefix')

    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_counters_expires_at'))

    op.drop_table('throttle_counters')
