"""each offering's and each project's reports in name order: a list of one offering or project
sorted by name walks its own index

Revision ID: 0011_names_in_pairs
Revises: 0010_dates_in_each_others_index
Create Date: 2026-11-30 03:30:00

"""
from alembic import op

revision = '0011_names_in_pairs'
down_revision = '0010_dates_in_each_others_index'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_backend_resources_offering_name", ["offering_id", "name", "id"]),
    ("ix_backend_resources_project_name", ["project_id", "name", "id"]),
)


def upgrade():
    for name, columns in INDEXES:
        op.create_index(name, 'backend_resources', columns)


def downgrade():
    for name, _columns in INDEXES:
        op.drop_index(name, table_name='backend_resources')
