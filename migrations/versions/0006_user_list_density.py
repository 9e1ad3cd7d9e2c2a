"""users.list_density: compact or comfortable rows in the backend resource table; an index
for counting reports per project and offering

Revision ID: 0006_user_list_density
Revises: 0005_triage
Create Date: 2026-11-28 20:45:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0006_user_list_density'
down_revision = '0005_triage'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column(
            'list_density', sa.String(length=20), nullable=False, server_default='comfortable'
        ))
    op.create_index(
        'ix_backend_resources_project_offering', 'backend_resources',
        ['project_id', 'offering_id'], unique=False,
    )


def downgrade():
    op.drop_index('ix_backend_resources_project_offering', table_name='backend_resources')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('list_density')
