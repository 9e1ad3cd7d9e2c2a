"""each date's index holds the other date: a list sorted by one date and filtered by the other
reads index entries only

Revision ID: 0010_dates_in_each_others_index
Revises: 0009_character_tallies
Create Date: 2026-11-30 02:20:00

"""
from alembic import op

revision = '0010_dates_in_each_others_index'
down_revision = '0009_character_tallies'
branch_labels = None
depends_on = None

# (name, columns before, columns after)
REPLACED_INDEXES = (
    ("ix_backend_resources_created", ["created", "id"], ["created", "id", "modified"]),
    ("ix_backend_resources_modified", ["modified", "id"], ["modified", "id", "created"]),
)


def upgrade():
    for name, _before, after in REPLACED_INDEXES:
        op.drop_index(name, table_name='backend_resources')
        op.create_index(name, 'backend_resources', after)


def downgrade():
    for name, before, _after in REPLACED_INDEXES:
        op.drop_index(name, table_name='backend_resources')
        op.create_index(name, 'backend_resources', before)
