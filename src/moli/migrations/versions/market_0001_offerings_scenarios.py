"""market: offerings, scenarios (with private test sets), evaluations

Revision ID: market_0001
Revises:
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "market_0001"
down_revision = None
branch_labels = ("market",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "market_offerings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("vendor", sa.String(200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=True),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_market_offerings"),
        sa.UniqueConstraint("slug", name="uq_market_offerings_slug"),
        sa.ForeignKeyConstraint(["owner_org_id"], ["organisations.id"],
                                name="fk_market_offerings_owner_org_id_organisations"),
    )
    op.create_table(
        "market_scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("industry", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("test_set", sa.JSON(), nullable=True),
        sa.Column("owner_org_id", sa.Integer(), nullable=True),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_market_scenarios"),
        sa.UniqueConstraint("slug", name="uq_market_scenarios_slug"),
        sa.ForeignKeyConstraint(["owner_org_id"], ["organisations.id"],
                                name="fk_market_scenarios_owner_org_id_organisations"),
    )
    op.create_table(
        "market_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("offering_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("primary_metric", sa.String(60), nullable=False),
        sa.Column("primary_score", sa.Float(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_market_evaluations"),
        sa.ForeignKeyConstraint(["scenario_id"], ["market_scenarios.id"],
                                name="fk_market_evaluations_scenario_id_market_scenarios"),
        sa.ForeignKeyConstraint(["offering_id"], ["market_offerings.id"],
                                name="fk_market_evaluations_offering_id_market_offerings"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_market_evaluations_job_id_jobs"),
        sa.ForeignKeyConstraint(["owner_org_id"], ["organisations.id"],
                                name="fk_market_evaluations_owner_org_id_organisations"),
    )


def downgrade() -> None:
    op.drop_table("market_evaluations")
    op.drop_table("market_scenarios")
    op.drop_table("market_offerings")
