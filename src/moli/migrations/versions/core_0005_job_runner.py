"""core: jobs.runner (host:pid of the process running the job, so a worker can tell a job whose runner died)

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "core_0005"
down_revision = "core_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("runner", sa.String(120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("runner")
