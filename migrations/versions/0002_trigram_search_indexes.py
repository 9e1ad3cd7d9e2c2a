"""trigram indexes for name and backend id searches on PostgreSQL

Revision ID: 0002_trigram_search_indexes
Revises: 0001_initial_schema
Create Date: 2026-11-27 22:40:00

"""
from alembic import op

revision = '0002_trigram_search_indexes'
down_revision = '0001_initial_schema'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_backend_resources_name_trgm", "backend_resources", ["name"],
        postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_backend_resources_backend_id_trgm", "backend_resources", ["backend_id"],
        postgresql_using="gin", postgresql_ops={"backend_id": "gin_trgm_ops"},
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_backend_resources_backend_id_trgm", table_name="backend_resources")
    op.drop_index("ix_backend_resources_name_trgm", table_name="backend_resources")
