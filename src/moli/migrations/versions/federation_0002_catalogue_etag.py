"""federation: peers remember the validator of the last accepted catalogue (conditional pulls)

Revision ID: federation_0002
Revises: federation_0001
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "federation_0002"
down_revision = "federation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("federation_peers") as batch:
        batch.add_column(sa.Column("catalogue_etag", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("federation_peers") as batch:
        batch.drop_column("catalogue_etag")
