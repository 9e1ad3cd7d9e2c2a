"""each (offering, project) pair's reports by date of last update: the table's select counts
for a "last updated" filter count each pair's range of this index

Revision ID: 0012_updated_in_pairs
Revises: 0011_names_in_pairs
Create Date: 2026-11-30 08:00:00

"""
from alembic import op

revision = '0012_updated_in_pairs'
down_revision = '0011_names_in_pairs'
branch_labels = None
depends_on = None

NAME = "ix_backend_resources_offering_project_modified"


def upgrade():
    op.create_index(NAME, 'backend_resources', ["offering_id", "project_id", "modified", "id"])


def downgrade():
    op.drop_index(NAME, table_name='backend_resources')
