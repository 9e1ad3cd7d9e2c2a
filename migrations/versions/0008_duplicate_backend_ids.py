"""the (offering, backend id) pairs more than one report names, kept by triggers

Revision ID: 0008_duplicate_backend_ids
Revises: 0007_list_tallies_and_search
Create Date: 2026-11-29 05:30:00

"""
from alembic import op
import sqlalchemy as sa

from console.list_indexes import (
    DUPLICATE_POSTGRESQL_DROP_STATEMENTS,
    DUPLICATE_POSTGRESQL_STATEMENTS,
    DUPLICATE_SQLITE_DROP_STATEMENTS,
    DUPLICATE_SQLITE_STATEMENTS,
    FIND_DUPLICATES,
)

revision = '0008_duplicate_backend_ids'
down_revision = '0007_list_tallies_and_search'
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        'duplicate_backend_ids',
        sa.Column('offering_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('backend_id', sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint('offering_id', 'backend_id'),
    )
    op.execute(FIND_DUPLICATES)
    statements = (
        DUPLICATE_SQLITE_STATEMENTS if dialect == "sqlite" else DUPLICATE_POSTGRESQL_STATEMENTS
    )
    for statement in statements:
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    statements = (
        DUPLICATE_SQLITE_DROP_STATEMENTS if dialect == "sqlite"
        else DUPLICATE_POSTGRESQL_DROP_STATEMENTS
    )
    for statement in statements:
        op.execute(statement)
    op.drop_table('duplicate_backend_ids')
