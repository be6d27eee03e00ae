"""corpus: the corpora catalogue

Revision ID: corpus_0001
Revises:
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "corpus_0001"
down_revision = None
branch_labels = ("corpus",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "corpora",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("domain", sa.String(60), nullable=False),
        sa.Column("licence", sa.String(200), nullable=False),
        sa.Column("access", sa.String(20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("location", sa.String(1000), nullable=False),
        sa.Column("recipe_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_corpora"),
        sa.ForeignKeyConstraint(["owner_org_id"], ["organisations.id"], name="fk_corpora_owner_org_id_organisations"),
        sa.UniqueConstraint("name", "version", name="uq_corpora_name"),
    )


def downgrade() -> None:
    op.drop_table("corpora")
