"""outbound: knowledge-base documents and enterprise directory

Revision ID: outbound_0001
Revises:
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "outbound_0001"
down_revision = None
branch_labels = ("outbound",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "outbound_kb_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("issuer", sa.String(200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("source_url", sa.String(1000), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbound_kb_documents"),
        sa.UniqueConstraint("slug", name="uq_outbound_kb_documents_slug"),
        sa.ForeignKeyConstraint(["owner_org_id"], ["organisations.id"],
                                name="fk_outbound_kb_documents_owner_org_id_organisations"),
    )
    op.create_index("ix_outbound_kb_documents_country", "outbound_kb_documents", ["country"])
    op.create_table(
        "outbound_enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("is_local", sa.Boolean(), nullable=False),
        sa.Column("sector", sa.String(200), nullable=False),
        sa.Column("offers", sa.Text(), nullable=False),
        sa.Column("seeks", sa.Text(), nullable=False),
        sa.Column("target_countries", sa.JSON(), nullable=False),
        sa.Column("website", sa.String(500), nullable=True),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbound_enterprises"),
        sa.UniqueConstraint("name", name="uq_outbound_enterprises_name"),
        sa.ForeignKeyConstraint(["owner_org_id"], ["organisations.id"],
                                name="fk_outbound_enterprises_owner_org_id_organisations"),
    )


def downgrade() -> None:
    op.drop_table("outbound_enterprises")
    op.drop_index("ix_outbound_kb_documents_country", table_name="outbound_kb_documents")
    op.drop_table("outbound_kb_documents")
