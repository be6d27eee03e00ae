"""crossborder: the exporter's ledger of assessments

Revision ID: crossborder_0001
Revises:
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "crossborder_0001"
down_revision = None
branch_labels = ("crossborder",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "crossborder_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exporter_name", sa.String(200), nullable=False),
        sa.Column("transfer_date", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(300), nullable=False),
        sa.Column("path", sa.String(40), nullable=False),
        sa.Column("regime", sa.String(40), nullable=False),
        sa.Column("individuals", sa.Integer(), nullable=False),
        sa.Column("sensitive_individuals", sa.Integer(), nullable=False),
        sa.Column("exempt_scenario", sa.Boolean(), nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crossborder_assessments"),
        sa.ForeignKeyConstraint(["owner_org_id"], ["organisations.id"],
                                name="fk_crossborder_assessments_owner_org_id_organisations"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name="fk_crossborder_assessments_created_by_id_users"),
    )
    op.create_index("ix_crossborder_assessments_exporter_name", "crossborder_assessments", ["exporter_name"])


def downgrade() -> None:
    op.drop_index("ix_crossborder_assessments_exporter_name", table_name="crossborder_assessments")
    op.drop_table("crossborder_assessments")
