"""events: submissions remember when scoring started (to recover from a dead worker)

Revision ID: events_0002
Revises: events_0001
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "events_0002"
down_revision = "events_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("competition_submissions") as batch:
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("competition_submissions") as batch:
        batch.drop_column("started_at")
