"""events: events, registrations, roadshow slots, competitions, teams, submissions, judging

Revision ID: events_0001
Revises:
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "events_0001"
down_revision = None
branch_labels = ("events",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "competitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("title_en", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("metric", sa.String(200), nullable=True),
        sa.Column("higher_is_better", sa.Boolean(), nullable=False),
        sa.Column("public_fraction", sa.Float(), nullable=False),
        sa.Column("n_answers", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("scorer_source", sa.Text(), nullable=True),
        sa.Column("organiser", sa.String(300), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_competitions"),
        sa.ForeignKeyConstraint(["owner_org_id"], ["organisations.id"], name="fk_competitions_owner_org_id_organisations"),
        sa.UniqueConstraint("slug", name="uq_competitions_slug"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("title_en", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("date_note", sa.String(200), nullable=False),
        sa.Column("venue", sa.String(300), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("organiser", sa.String(300), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.ForeignKeyConstraint(["owner_org_id"], ["organisations.id"], name="fk_events_owner_org_id_organisations"),
        sa.UniqueConstraint("slug", name="uq_events_slug"),
    )
    op.create_table(
        "competition_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("competition_id", sa.Integer(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_competition_answers"),
        sa.ForeignKeyConstraint(["competition_id"], ["competitions.id"], name="fk_competition_answers_competition_id_competitions"),
        sa.UniqueConstraint("competition_id", name="uq_competition_answers_competition_id"),
    )
    op.create_table(
        "competition_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("competition_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_competition_files"),
        sa.ForeignKeyConstraint(["competition_id"], ["competitions.id"], name="fk_competition_files_competition_id_competitions"),
        sa.UniqueConstraint("competition_id", "name", name="uq_competition_files_competition_id_name"),
    )
    op.create_table(
        "competition_judges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("competition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_competition_judges"),
        sa.ForeignKeyConstraint(["competition_id"], ["competitions.id"], name="fk_competition_judges_competition_id_competitions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_competition_judges_user_id_users"),
        sa.UniqueConstraint("competition_id", "user_id", name="uq_competition_judges_competition_id_user_id"),
    )
    op.create_table(
        "competition_phases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("competition_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("daily_limit", sa.Integer(), nullable=False),
        sa.Column("total_limit", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_competition_phases"),
        sa.ForeignKeyConstraint(["competition_id"], ["competitions.id"], name="fk_competition_phases_competition_id_competitions"),
        sa.UniqueConstraint("competition_id", "name", name="uq_competition_phases_competition_id_name"),
    )
    op.create_table(
        "competition_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("competition_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_competition_teams"),
        sa.ForeignKeyConstraint(["competition_id"], ["competitions.id"], name="fk_competition_teams_competition_id_competitions"),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["users.id"], name="fk_competition_teams_created_by_user_id_users"),
        sa.UniqueConstraint("competition_id", "name", name="uq_competition_teams_competition_id_name"),
    )
    op.create_index("ix_competition_teams_competition_id", "competition_teams", ["competition_id"], unique=False)
    op.create_table(
        "event_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_event_registrations"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name="fk_event_registrations_event_id_events"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_event_registrations_user_id_users"),
        sa.UniqueConstraint("event_id", "user_id", name="uq_event_registrations_event_id_user_id"),
    )
    op.create_index("ix_event_registrations_event_id", "event_registrations", ["event_id"], unique=False)
    op.create_table(
        "event_roadshow_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("booked_by_org_id", sa.Integer(), nullable=True),
        sa.Column("booked_by_user_id", sa.Integer(), nullable=True),
        sa.Column("project_title", sa.String(300), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_event_roadshow_slots"),
        sa.ForeignKeyConstraint(["booked_by_org_id"], ["organisations.id"], name="fk_event_roadshow_slots_booked_by_org_id_organisations"),
        sa.ForeignKeyConstraint(["booked_by_user_id"], ["users.id"], name="fk_event_roadshow_slots_booked_by_user_id_users"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name="fk_event_roadshow_slots_event_id_events"),
    )
    op.create_index("ix_event_roadshow_slots_event_id", "event_roadshow_slots", ["event_id"], unique=False)
    op.create_table(
        "competition_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("competition_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_competition_entries"),
        sa.ForeignKeyConstraint(["competition_id"], ["competitions.id"], name="fk_competition_entries_competition_id_competitions"),
        sa.ForeignKeyConstraint(["team_id"], ["competition_teams.id"], name="fk_competition_entries_team_id_competition_teams"),
        sa.UniqueConstraint("competition_id", "team_id", name="uq_competition_entries_competition_id_team_id"),
    )
    op.create_table(
        "competition_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("competition_id", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("n_predictions", sa.Integer(), nullable=False),
        sa.Column("predictions", sa.JSON(), nullable=True),
        sa.Column("public_score", sa.Float(), nullable=True),
        sa.Column("private_score", sa.Float(), nullable=True),
        sa.Column("score_seconds", sa.Float(), nullable=True),
        sa.Column("score_attempts", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_competition_submissions"),
        sa.ForeignKeyConstraint(["competition_id"], ["competitions.id"], name="fk_competition_submissions_competition_id_competitions"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_competition_submissions_job_id_jobs"),
        sa.ForeignKeyConstraint(["phase_id"], ["competition_phases.id"], name="fk_competition_submissions_phase_id_competition_phases"),
        sa.ForeignKeyConstraint(["team_id"], ["competition_teams.id"], name="fk_competition_submissions_team_id_competition_teams"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_competition_submissions_user_id_users"),
    )
    op.create_index("ix_competition_submissions_competition_id", "competition_submissions", ["competition_id"], unique=False)
    op.create_index("ix_competition_submissions_created_at", "competition_submissions", ["created_at"], unique=False)
    op.create_index("ix_competition_submissions_team_id", "competition_submissions", ["team_id"], unique=False)
    op.create_table(
        "competition_team_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("invited_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_competition_team_invitations"),
        sa.ForeignKeyConstraint(["invited_by_user_id"], ["users.id"], name="fk_competition_team_invitations_invited_by_user_id_users"),
        sa.ForeignKeyConstraint(["team_id"], ["competition_teams.id"], name="fk_competition_team_invitations_team_id_competition_teams"),
        sa.UniqueConstraint("token", name="uq_competition_team_invitations_token"),
    )
    op.create_index("ix_competition_team_invitations_team_id", "competition_team_invitations", ["team_id"], unique=False)
    op.create_table(
        "competition_team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("competition_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_competition_team_members"),
        sa.ForeignKeyConstraint(["competition_id"], ["competitions.id"], name="fk_competition_team_members_competition_id_competitions"),
        sa.ForeignKeyConstraint(["team_id"], ["competition_teams.id"], name="fk_competition_team_members_team_id_competition_teams"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_competition_team_members_user_id_users"),
        sa.UniqueConstraint("competition_id", "user_id", name="uq_competition_team_members_competition_id_user_id"),
    )
    op.create_index("ix_competition_team_members_team_id", "competition_team_members", ["team_id"], unique=False)
    op.create_table(
        "competition_judge_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("judge_user_id", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_competition_judge_scores"),
        sa.ForeignKeyConstraint(["entry_id"], ["competition_entries.id"], name="fk_competition_judge_scores_entry_id_competition_entries"),
        sa.ForeignKeyConstraint(["judge_user_id"], ["users.id"], name="fk_competition_judge_scores_judge_user_id_users"),
        sa.UniqueConstraint("entry_id", "judge_user_id", name="uq_competition_judge_scores_entry_id_judge_user_id"),
    )
    op.create_index("ix_competition_judge_scores_entry_id", "competition_judge_scores", ["entry_id"], unique=False)


def downgrade() -> None:
    for table in ("competition_judge_scores", "competition_team_members", "competition_team_invitations",
                  "competition_submissions", "competition_entries", "event_roadshow_slots", "event_registrations",
                  "competition_teams", "competition_phases", "competition_judges", "competition_files",
                  "competition_answers", "events", "competitions"):
        op.drop_table(table)
