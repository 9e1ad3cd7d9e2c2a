"""report tallies kept by triggers, the SQLite trigram search index, and sort-key indexes

Revision ID: 0007_list_tallies_and_search
Revises: 0006_user_list_density
Create Date: 2026-11-28 21:00:00

"""
from alembic import op
import sqlalchemy as sa

from console.list_indexes import (
    POSTGRESQL_DROP_STATEMENTS,
    POSTGRESQL_STATEMENTS,
    SEARCH_TABLE,
    SQLITE_DROP_STATEMENTS,
    SQLITE_STATEMENTS,
)

revision = '0007_list_tallies_and_search'
down_revision = '0006_user_list_density'
branch_labels = None
depends_on = None

# (name, columns before, columns after): each sort key gains the id that breaks its ties.
REPLACED_INDEXES = (
    ("ix_backend_resources_name", ["name"], ["name", "id"]),
    ("ix_backend_resources_backend_id", ["backend_id"], ["backend_id", "id"]),
    ("ix_backend_resources_created", ["created"], ["created", "id"]),
    ("ix_backend_resources_modified", ["modified"], ["modified", "id"]),
)
NEW_INDEXES = (
    ("ix_backend_resources_name_created", ["name", "created", "id"]),
    ("ix_backend_resources_offering_project_created",
     ["offering_id", "project_id", "created", "id"]),
    ("ix_backend_resources_project_id", ["project_id", "id"]),
    ("ix_backend_resources_offering_id", ["offering_id", "id"]),
)


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        'backend_resource_tallies',
        sa.Column('offering_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('project_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('reports', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('offering_id', 'project_id'),
    )
    op.create_table(
        'backend_resource_name_tallies',
        sa.Column('offering_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('project_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('name', sa.String(length=150), nullable=False),
        sa.Column('reports', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('offering_id', 'project_id', 'name'),
    )
    for name, before, after in REPLACED_INDEXES:
        op.drop_index(name, table_name='backend_resources')
        op.create_index(name, 'backend_resources', after)
    for name, columns in NEW_INDEXES:
        op.create_index(name, 'backend_resources', columns)
    op.execute(
        "INSERT INTO backend_resource_tallies (offering_id, project_id, reports) "
        "SELECT offering_id, project_id, count(*) FROM backend_resources "
        "GROUP BY offering_id, project_id"
    )
    op.execute(
        "INSERT INTO backend_resource_name_tallies (offering_id, project_id, name, reports) "
        "SELECT offering_id, project_id, name, count(*) FROM backend_resources "
        "GROUP BY offering_id, project_id, name"
    )
    if dialect == "sqlite":
        for statement in SQLITE_STATEMENTS:
            op.execute(statement)
        op.execute(
            f"INSERT INTO {SEARCH_TABLE} (rowid, name, backend_id) "
            "SELECT id, lower(name), lower(backend_id) FROM backend_resources"
        )
    elif dialect == "postgresql":
        for statement in POSTGRESQL_STATEMENTS:
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DROP_STATEMENTS:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRESQL_DROP_STATEMENTS:
            op.execute(statement)
    for name, _columns in reversed(NEW_INDEXES):
        op.drop_index(name, table_name='backend_resources')
    for name, before, _after in reversed(REPLACED_INDEXES):
        op.drop_index(name, table_name='backend_resources')
        op.create_index(name, 'backend_resources', before)
    op.drop_table('backend_resource_name_tallies')
    op.drop_table('backend_resource_tallies')
