"""Tables of the events feature: events, registrations, roadshow slots; competitions, phases,
teams, invitations, submissions, judges and rubric scores.

Hidden answers live in ``competition_answers`` (one row per competition), read only by the
scoring service; no page or API selects that table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from moli.core.db import Base, utcnow


class Event(Base):
    """An event (活动): conference, salon, roadshow, training."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    date_note: Mapped[str] = mapped_column(String(200), default="")  # 日期待定 etc.
    venue: Mapped[str] = mapped_column(String(300), default="")
    online: Mapped[bool] = mapped_column(default=False)
    url: Mapped[str] = mapped_column(String(500), default="")
    organiser: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: unlimited
    tags: Mapped[list] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | published | cancelled
    is_public: Mapped[bool] = mapped_column(default=False)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)  # bumped to serialise registrations
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Registration(Base):
    """A registration (报名); ``waitlisted`` ones are promoted in order when a place frees up."""

    __tablename__ = "event_registrations"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_event_registrations_event_id_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))  # registered | waitlisted | cancelled
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RoadshowSlot(Base):
    """A roadshow time slot (路演时段) that one enterprise books."""

    __tablename__ = "event_roadshow_slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    booked_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    booked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    project_title: Mapped[str] = mapped_column(String(300), default="")
    booked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Competition(Base):
    """A competition (赛事) defined by the YAML contract; ``spec`` keeps the validated definition."""

    __tablename__ = "competitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="leaderboard")  # leaderboard | judged
    metric: Mapped[str | None] = mapped_column(String(200), nullable=True)
    higher_is_better: Mapped[bool] = mapped_column(default=True)
    public_fraction: Mapped[float] = mapped_column(Float, default=0.5)
    n_answers: Mapped[int] = mapped_column(Integer, default=0)
    spec: Mapped[dict] = mapped_column(JSON, default=dict)  # validated YAML (answers path, data, rubric, limits)
    scorer_source: Mapped[str | None] = mapped_column(Text, nullable=True)  # custom scorer module text
    organiser: Mapped[str] = mapped_column(String(300), default="")
    is_public: Mapped[bool] = mapped_column(default=True)
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CompetitionAnswers(Base):
    """Hidden answers (隐藏答案) of a competition: ``{id: label}``. Never served."""

    __tablename__ = "competition_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"), unique=True)
    labels: Mapped[dict] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))


class CompetitionFile(Base):
    """A public data file (训练集、测试输入) participants may download."""

    __tablename__ = "competition_files"
    __table_args__ = (UniqueConstraint("competition_id", "name", name="uq_competition_files_competition_id_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(500), default="")
    content: Mapped[str] = mapped_column(Text)


class Phase(Base):
    __tablename__ = "competition_phases"
    __table_args__ = (UniqueConstraint("competition_id", "name", name="uq_competition_phases_competition_id_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"))
    name: Mapped[str] = mapped_column(String(60))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    daily_limit: Mapped[int] = mapped_column(Integer, default=5)
    total_limit: Mapped[int] = mapped_column(Integer, default=100)


class Team(Base):
    """A team (参赛队伍) in one competition; quotas are counted per team."""

    __tablename__ = "competition_teams"
    __table_args__ = (UniqueConstraint("competition_id", "name", name="uq_competition_teams_competition_id_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)  # bumped to serialise quota checks
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TeamMember(Base):
    """Membership; the unique (competition, user) pair is the one-account-one-team rule."""

    __tablename__ = "competition_team_members"
    __table_args__ = (
        UniqueConstraint("competition_id", "user_id", name="uq_competition_team_members_competition_id_user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("competition_teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(20), default="member")  # captain | member
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TeamInvitation(Base):
    __tablename__ = "competition_team_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("competition_teams.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | accepted | declined
    invited_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Submission(Base):
    """A submission (提交). ``counted`` is true for submissions that use up quota (not rejected or failed)."""

    __tablename__ = "competition_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"), index=True)
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("competition_phases.id"), nullable=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("competition_teams.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # rejected | queued | running | scored | failed
    counted: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    reason_zh: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str] = mapped_column(String(300), default="")
    n_predictions: Mapped[int] = mapped_column(Integer, default=0)
    predictions: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # {id: label}, validated
    public_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    private_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_attempts: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    scored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # events_0002
    selected: Mapped[bool] = mapped_column(default=False, server_default=false())  # final choice, events_0003


class Judge(Base):
    """An expert judge (评委) of a judged competition."""

    __tablename__ = "competition_judges"
    __table_args__ = (UniqueConstraint("competition_id", "user_id", name="uq_competition_judges_competition_id_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Entry(Base):
    """A team's project entry (参赛作品) in an expert-judged track."""

    __tablename__ = "competition_entries"
    __table_args__ = (UniqueConstraint("competition_id", "team_id", name="uq_competition_entries_competition_id_team_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("competition_teams.id"))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JudgeScore(Base):
    """One judge's rubric scores (评分) for one entry."""

    __tablename__ = "competition_judge_scores"
    __table_args__ = (UniqueConstraint("entry_id", "judge_user_id", name="uq_competition_judge_scores_entry_id_judge_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("competition_entries.id"), index=True)
    judge_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scores: Mapped[dict] = mapped_column(JSON)  # {rubric key: value}
    total: Mapped[float] = mapped_column(Float)  # weighted, normalised to 0..100
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
