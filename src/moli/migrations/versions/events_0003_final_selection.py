"""events: participants select their final submissions for the private board (Kaggle style)

Revision ID: events_0003
Revises: events_0002
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "events_0003"
down_revision = "events_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("competition_submissions") as batch:
        batch.add_column(sa.Column("selected", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("competition_submissions") as batch:
        batch.drop_column("selected")
