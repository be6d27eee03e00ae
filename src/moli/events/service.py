"""Events and competitions: the logic (plain functions, a Session first).

Concurrency rules (hold on SQLite and PostgreSQL):
- quota checks and capacity checks first bump a ``lock_version`` column of the team / event row
  (an UPDATE: a row lock on PostgreSQL, the write lock on SQLite), then count, then insert, so two
  concurrent submissions can never both take the last place;
- a submission is scored by whoever flips it from ``queued`` to ``running`` with one conditional
  UPDATE; a second worker sees ``rowcount == 0`` and leaves it, so nothing is scored twice;
- a roadshow slot is booked with one conditional UPDATE (``WHERE booked_by_org_id IS NULL``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moli.core.access import ensure_can_write, is_staff
from moli.core.db import utcnow
from moli.core.errors import InputError, MoliError, NotFound, PermissionDenied
from moli.core.links import check_web_url
from moli.events import scoring
from moli.events.models import (
    Competition,
    CompetitionAnswers,
    CompetitionFile,
    Entry,
    Event,
    Judge,
    JudgeScore,
    Phase,
    Registration,
    RoadshowSlot,
    Submission,
    Team,
    TeamInvitation,
    TeamMember,
)
from moli.events.sandbox import Limits, ScoringFailed, run_scorer
from moli.events.schemas import CUSTOM_RE, CompetitionSpec, EventIn, load_competition_yaml, load_events_yaml

SHANGHAI = ZoneInfo("Asia/Shanghai")
COUNTED_STATUSES = ("queued", "running", "scored")
MAX_DATA_FILE_BYTES = 20 * 1024 * 1024
LABEL_KEYS = ("label", "answer", "target", "gold")


class QuotaExceeded(MoliError):
    status_code = 429


class Conflict(MoliError):
    status_code = 409


def aware(dt: datetime | None) -> datetime | None:
    """Datetimes come back naive from SQLite; every stored value is UTC."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def to_utc(dt: datetime | None) -> datetime | None:
    return None if dt is None else aware(dt).astimezone(UTC)


def _now(now: datetime | None) -> datetime:
    return to_utc(now) if now is not None else utcnow()


def _get(session: Session, model: type, row_id: int):
    """``session.get``, or None for an id no 64-bit INTEGER can hold (SQLite cannot bind it: OverflowError)."""
    return session.get(model, row_id) if 1 <= row_id <= 2**63 - 1 else None


# --- competitions ----------------------------------------------------------------------------

def create_competition_from_yaml(session: Session, path: str | Path, user: Any | None = None, *,
                                 confine: bool = False) -> Competition:
    path = Path(path)
    spec = load_competition_yaml(path)
    return create_competition(session, spec, path.parent, user=user, source=str(path), confine=confine)


def _inside(base: Path, rel: str, key: str, confine: bool) -> Path:
    """``base / rel``; with ``confine`` (uploads) it must stay inside ``base`` (no ../ or /etc/...)."""
    p = (base / rel).resolve()
    if confine and not p.is_relative_to(base.resolve()):
        raise InputError(f"键 {key} 的路径 {rel} 超出了上传的文件范围", f"key {key}: path {rel} is outside the uploaded files",
                         field=key)
    return p


def _read_answers(spec: CompetitionSpec, base: Path, confine: bool = False) -> dict[str, str]:
    p = _inside(base, spec.answers, "answers", confine)
    if not p.is_file():
        raise InputError(f"键 answers 指向的文件不存在：{p}", f"key answers: file {p} not found", field="answers")
    with p.open("rb") as fh:
        return scoring.read_jsonl_labels(fh, p.name)


def _read_data_file(name: str, path: Path, answers: dict[str, str]) -> str:
    if not path.is_file():
        raise InputError(f"键 data 中的文件不存在：{path}", f"key data: file {path} not found", field=f"data.{name}")
    if path.stat().st_size > MAX_DATA_FILE_BYTES:
        raise InputError(f"数据文件 {name} 超过 20 MB", f"data file {name} is over 20 MB", field=f"data.{name}")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                raise InputError(f"数据文件 {name} 第 {n} 行不是有效的 JSON", f"data file {name} line {n} is not valid JSON",
                                 field=f"data.{name}") from None
            if isinstance(obj, dict) and str(obj.get("id")) in answers and any(k in obj for k in LABEL_KEYS):
                raise InputError(f"公开数据文件 {name} 第 {n} 行含有隐藏测试集 id “{obj['id']}” 的答案",
                                 f"public data file {name} line {n} exposes the hidden answer of id '{obj['id']}'",
                                 field=f"data.{name}")
    return text


def _scorer_source(metric: str, base: Path) -> str | None:
    m = CUSTOM_RE.match(metric)
    if not m:
        return None
    module = m.group(1)
    candidate = base / (module.replace(".", "/") + ".py")
    if candidate.is_file():
        return candidate.read_text(encoding="utf-8")
    import importlib.util

    if importlib.util.find_spec(module.split(".")[0]) is None:
        raise InputError(f"键 metric：找不到自定义评分模块 {module}（应为 {candidate.name} 或已安装的模块）",
                         f"key metric: custom scorer module {module} not found ({candidate.name} beside the YAML "
                         "or an installed module)", field="metric")
    return None


def create_competition(session: Session, spec: CompetitionSpec, base_dir: Path, *, user: Any | None = None,
                       source: str = "", confine: bool = False) -> Competition:
    """Create a competition from a validated spec; files are read relative to ``base_dir``.
    Nothing is written unless everything is valid."""
    if session.scalar(select(Competition.id).where(Competition.slug == spec.id)) is not None:
        raise Conflict(f"赛事 {spec.id} 已存在", f"competition {spec.id} already exists", field="id")
    answers = _read_answers(spec, base_dir, confine) if spec.answers else {}
    if spec.answers and len(answers) < 2:
        raise InputError(f"键 answers：答案文件只有 {len(answers)} 个 id，至少需要 2 个（公开榜和私有榜各至少一个）",
                         f"key answers: the answers file has {len(answers)} id; at least 2 are needed (one or more "
                         "for each of the public and the private board)", field="answers")
    files = [(d, _read_data_file(d.name, _inside(base_dir, d.path, f"data.{d.name}", confine), answers))
             for d in spec.data]
    scorer_source = _scorer_source(spec.metric, base_dir) if spec.metric else None
    comp = Competition(
        slug=spec.id, title=spec.title, title_en=spec.title_en, description=spec.description, kind=spec.kind,
        metric=spec.metric, higher_is_better=spec.higher_is_better, public_fraction=spec.public_fraction,
        n_answers=len(answers), spec=json.loads(spec.model_dump_json()) | {"source": source},
        scorer_source=scorer_source, organiser=spec.organiser, is_public=spec.is_public,
        owner_org_id=getattr(user, "organisation_id", None),
    )
    session.add(comp)
    session.flush()
    if answers:
        digest = hashlib.sha256(json.dumps(answers, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        session.add(CompetitionAnswers(competition_id=comp.id, labels=answers, sha256=digest))
    for d, text in files:
        session.add(CompetitionFile(competition_id=comp.id, name=d.name, description=d.description, content=text))
    for p in spec.phases:
        session.add(Phase(competition_id=comp.id, name=p.name, starts_at=to_utc(p.start), ends_at=to_utc(p.end),
                          daily_limit=p.daily_limit, total_limit=p.total_limit))
    session.flush()
    return comp


def get_competition(session: Session, ref: str | int, user: Any | None = None) -> Competition:
    stmt = select(Competition)
    stmt = stmt.where(Competition.id == int(ref)) if str(ref).isdigit() else stmt.where(Competition.slug == str(ref))
    comp = session.scalar(stmt)
    if comp is None or not (comp.is_public or is_staff(user) or (
            user is not None and comp.owner_org_id is not None and user.organisation_id == comp.owner_org_id)):
        raise NotFound(f"赛事 {ref} 不存在", f"competition {ref} does not exist", field="competition")
    return comp


def list_competitions(session: Session, user: Any | None = None) -> list[Competition]:
    comps = session.scalars(select(Competition).order_by(Competition.id.desc())).all()
    return [c for c in comps if c.is_public or is_staff(user)]


def phases(session: Session, comp: Competition) -> list[Phase]:
    return list(session.scalars(select(Phase).where(Phase.competition_id == comp.id).order_by(Phase.starts_at)))


def open_phase(session: Session, comp: Competition, now: datetime | None = None) -> Phase | None:
    t = _now(now)
    for p in phases(session, comp):
        if aware(p.starts_at) <= t < aware(p.ends_at):
            return p
    return None


def is_closed(session: Session, comp: Competition, now: datetime | None = None) -> bool:
    """True once the last phase has ended (the private board is then shown to everyone)."""
    ps = phases(session, comp)
    return bool(ps) and _now(now) >= max(aware(p.ends_at) for p in ps)


def data_files(session: Session, comp: Competition) -> list[CompetitionFile]:
    return list(session.scalars(select(CompetitionFile).where(CompetitionFile.competition_id == comp.id)
                                .order_by(CompetitionFile.name)))


def data_file(session: Session, comp: Competition, name: str) -> CompetitionFile:
    f = session.scalar(select(CompetitionFile).where(CompetitionFile.competition_id == comp.id,
                                                     CompetitionFile.name == name))
    if f is None:
        raise NotFound(f"数据文件 {name} 不存在", f"data file {name} does not exist", field="name")
    return f


def competition_dict(session: Session, comp: Competition, now: datetime | None = None) -> dict:
    """What anyone may see of a competition (never the answers)."""
    t = _now(now)
    ph = open_phase(session, comp, t)
    return {
        "id": comp.slug, "title": comp.title, "title_en": comp.title_en, "description": comp.description,
        "kind": comp.kind, "metric": comp.metric, "higher_is_better": comp.higher_is_better,
        "public_fraction": comp.public_fraction, "n_test": comp.n_answers, "organiser": comp.organiser,
        "phases": [{"name": p.name, "start": aware(p.starts_at).astimezone(SHANGHAI).isoformat(),
                    "end": aware(p.ends_at).astimezone(SHANGHAI).isoformat(),
                    "daily_limit": p.daily_limit, "total_limit": p.total_limit} for p in phases(session, comp)],
        "open_phase": ph.name if ph else None, "closed": is_closed(session, comp, t),
        "data": [{"name": f.name, "description": f.description} for f in data_files(session, comp)],
        "rubric": comp.spec.get("rubric", []),
    }


# --- teams -----------------------------------------------------------------------------------

def get_team(session: Session, comp: Competition, name: str) -> Team | None:
    return session.scalar(select(Team).where(Team.competition_id == comp.id, Team.name == _check_team_name(name)))


def team_of_user(session: Session, comp: Competition, user: Any) -> Team | None:
    return session.scalar(select(Team).join(TeamMember, TeamMember.team_id == Team.id)
                          .where(TeamMember.competition_id == comp.id, TeamMember.user_id == user.id))


def _check_team_name(name: str) -> str:
    """NFKC (full-width Ａ → A, ideographic space → space), trimmed, inner spaces collapsed, so
    “星河 队” and “星河　队” are one team."""
    import unicodedata

    name = " ".join(unicodedata.normalize("NFKC", name or "").split())
    if not name or len(name) > 100:
        raise InputError("队伍名称应为 1-100 个字符", "a team name has 1-100 characters", field="team")
    return name


def create_team(session: Session, comp: Competition, name: str, user: Any | None = None) -> Team:
    """Create a team; ``user`` (if any) becomes its captain. One account is in one team per competition."""
    name = _check_team_name(name)
    if get_team(session, comp, name) is not None:
        raise Conflict(f"队伍名称“{name}”已被使用", f"the team name '{name}' is taken", field="team")
    if user is not None and team_of_user(session, comp, user) is not None:
        raise Conflict("你已在本赛事的一支队伍中", "you are already in a team of this competition", field="team")
    team = Team(competition_id=comp.id, name=name, created_by_user_id=getattr(user, "id", None))
    session.add(team)
    session.flush()
    if user is not None:
        session.add(TeamMember(competition_id=comp.id, team_id=team.id, user_id=user.id, role="captain"))
        session.flush()
    return team


def get_or_create_team(session: Session, comp: Competition, name: str) -> Team:
    return get_team(session, comp, _check_team_name(name)) or create_team(session, comp, name)


def team_members(session: Session, team: Team) -> list[TeamMember]:
    return list(session.scalars(select(TeamMember).where(TeamMember.team_id == team.id).order_by(TeamMember.id)))


def invite(session: Session, team: Team, email: str, by_user: Any) -> TeamInvitation:
    """Invite an e-mail address to a team (captain or staff only)."""
    member = session.scalar(select(TeamMember).where(TeamMember.team_id == team.id,
                                                      TeamMember.user_id == getattr(by_user, "id", None)))
    if not is_staff(by_user) and (member is None or member.role != "captain"):
        raise PermissionDenied("只有队长可以邀请成员", "only the captain may invite members")
    from moli.core.accounts import normalise_email

    email = normalise_email(email)
    if "@" not in email:
        raise InputError("邮箱地址无效", "invalid e-mail address", field="email")
    inv = TeamInvitation(team_id=team.id, email=email, token=secrets.token_urlsafe(24),
                         invited_by_user_id=getattr(by_user, "id", None))
    session.add(inv)
    session.flush()
    return inv


def accept_invitation(session: Session, token: str, user: Any) -> TeamMember:
    inv = session.scalar(select(TeamInvitation).where(TeamInvitation.token == token))
    if inv is None or inv.status != "pending":
        raise NotFound("邀请不存在或已失效", "the invitation does not exist or was used", field="token")
    from moli.core.accounts import normalise_email

    if inv.email != normalise_email(user.email or ""):
        raise PermissionDenied("该邀请发给了另一个邮箱", "this invitation was sent to another e-mail address")
    team = session.get(Team, inv.team_id)
    comp = session.get(Competition, team.competition_id)
    if team_of_user(session, comp, user) is not None:
        raise Conflict("你已在本赛事的一支队伍中（一个账号只能加入一支队伍）",
                       "you are already in a team of this competition (one account, one team)", field="token")
    size = int(comp.spec.get("max_team_size", 5))
    if len(team_members(session, team)) >= size:
        raise Conflict(f"队伍已满（最多 {size} 人）", f"the team is full (at most {size} members)", field="token")
    member = TeamMember(competition_id=comp.id, team_id=team.id, user_id=user.id, role="member")
    session.add(member)
    inv.status = "accepted"
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("你已在本赛事的一支队伍中", "you are already in a team of this competition") from None
    return member


# --- submissions -----------------------------------------------------------------------------

_ANSWER_CACHE: dict[tuple[int, str], tuple[dict[str, str], list[bool]]] = {}


def _answers_and_mask(session: Session, comp: Competition) -> tuple[dict[str, str], list[bool]]:
    """The hidden answers and the public mask, cached per process by the answers' sha256."""
    sha = session.scalar(select(CompetitionAnswers.sha256).where(CompetitionAnswers.competition_id == comp.id))
    if sha is None:
        raise InputError("该赛事没有隐藏答案", "this competition has no hidden answers", field="answers")
    key = (comp.id, f"{sha}:{comp.slug}:{comp.public_fraction}")
    hit = _ANSWER_CACHE.get(key)
    if hit is None:
        labels = session.scalar(select(CompetitionAnswers.labels).where(CompetitionAnswers.competition_id == comp.id))
        hit = (labels, scoring.public_mask(comp.slug, list(labels), comp.public_fraction))
        if len(_ANSWER_CACHE) >= 8:
            _ANSWER_CACHE.pop(next(iter(_ANSWER_CACHE)))
        _ANSWER_CACHE[key] = hit
    return hit


def _answers(session: Session, comp: Competition) -> dict[str, str]:
    return _answers_and_mask(session, comp)[0]


def shanghai_day_bounds(t: datetime) -> tuple[datetime, datetime]:
    """The UTC start and end of the Asia/Shanghai calendar day containing ``t``."""
    local = aware(t).astimezone(SHANGHAI)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def quota_left(session: Session, comp: Competition, team: Team, now: datetime | None = None) -> dict:
    t = _now(now)
    ph = open_phase(session, comp, t)
    if ph is None:
        return {"phase": None, "today": 0, "total": 0}
    base = select(func.count(Submission.id)).where(Submission.team_id == team.id, Submission.phase_id == ph.id,
                                                    Submission.counted.is_(True))
    total = session.scalar(base) or 0
    d0, d1 = shanghai_day_bounds(t)
    today = session.scalar(base.where(Submission.created_at >= d0, Submission.created_at < d1)) or 0
    return {"phase": ph.name, "today": max(0, min(ph.daily_limit - today, ph.total_limit - total)),
            "total": max(0, ph.total_limit - total), "used_today": today, "used_total": total}


def submit(session: Session, comp: Competition, team: Team, data: bytes | str, *, file_name: str = "",
           user: Any | None = None, now: datetime | None = None) -> Submission:
    """Validate and record a submission. Invalid files are stored as ``rejected`` with the reason
    and do not count against the quota; a full quota or a closed phase raises. Commits."""
    if comp.kind != "leaderboard":
        raise InputError("该赛事为专家评审赛道，请提交作品", "this is an expert-judged track: submit an entry",
                         field="competition")
    if team.competition_id != comp.id:
        raise InputError("队伍不属于该赛事", "the team is not in this competition", field="team")
    if user is not None and not is_staff(user):
        member = session.scalar(select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user.id))
        if member is None:
            raise PermissionDenied("你不是该队伍的成员", "you are not a member of this team")
    t = _now(now)
    ph = open_phase(session, comp, t)
    if ph is None:
        raise InputError("当前没有开放的比赛阶段，不能提交", "no phase is open: submissions are closed", field="phase")
    answers = _answers(session, comp)
    check = scoring.validate_predictions(data, answers, file_name or "submission")
    team_id, comp_id, user_id = team.id, comp.id, getattr(user, "id", None)
    session.commit()  # end any read snapshot before taking the write lock
    if not check.ok:
        zh, en = check.reason()
        sub = Submission(competition_id=comp_id, phase_id=ph.id, team_id=team_id, user_id=user_id,
                         status="rejected", counted=False, reason=en, reason_zh=zh, file_name=file_name[:300],
                         n_predictions=len(check.predictions), created_at=t)
        session.add(sub)
        session.commit()
        return sub
    # Serialise quota checks per team: bump the team row first, then count, then insert.
    session.execute(update(Team).where(Team.id == team_id).values(lock_version=Team.lock_version + 1))
    left = quota_left(session, comp, team, t)
    if left["today"] <= 0:
        session.rollback()
        if left["total"] <= 0:
            raise QuotaExceeded(f"已用完本阶段的 {ph.total_limit} 次提交机会",
                                f"the team has used all {ph.total_limit} submissions of this phase", field="quota")
        raise QuotaExceeded(f"今日（北京时间）提交次数已达上限 {ph.daily_limit} 次，请明天再试",
                            f"the team has used today's {ph.daily_limit} submissions (Asia/Shanghai day)",
                            field="quota")
    sub = Submission(competition_id=comp_id, phase_id=ph.id, team_id=team_id, user_id=user_id, status="queued",
                     counted=True, file_name=file_name[:300], n_predictions=len(check.predictions),
                     predictions=check.predictions, created_at=t)
    session.add(sub)
    session.commit()
    return sub


def claim(session: Session, submission_id: int) -> bool:
    """Flip queued → running; True for exactly one caller."""
    res = session.execute(update(Submission).where(Submission.id == submission_id, Submission.status == "queued")
                          .values(status="running", score_attempts=Submission.score_attempts + 1,
                                  started_at=utcnow()))
    session.commit()
    return res.rowcount == 1


def score_submission(session: Session, submission_id: int, *, limits: Limits | None = None) -> Submission:
    """Score a queued submission in the sandbox (once: a second caller returns it untouched)."""
    if not claim(session, submission_id):
        sub = session.get(Submission, submission_id)
        if sub is None:
            raise NotFound(f"提交 {submission_id} 不存在", f"submission {submission_id} does not exist")
        return sub
    sub = session.get(Submission, submission_id)
    comp = session.get(Competition, sub.competition_id)
    answers, mask = _answers_and_mask(session, comp)
    limits = limits or Limits(time_s=float(comp.spec.get("time_limit_s", 60)),
                              memory_mb=int(comp.spec.get("memory_mb", 1024)))
    preds = dict(sub.predictions or {})
    session.commit()
    try:
        res = run_scorer(comp.metric, comp.slug, comp.public_fraction, answers, preds, limits=limits,
                         scorer_source=comp.scorer_source, mask=mask)
    except ScoringFailed as exc:
        sub.status, sub.counted, sub.reason, sub.reason_zh = "failed", False, exc.en, exc.zh
        sub.scored_at = utcnow()
        session.commit()
        return sub
    except Exception as exc:  # the sandbox could not even start (no memory, no process slots, ...)
        sub.status, sub.counted = "failed", False
        sub.reason = f"the scoring sandbox could not run: {type(exc).__name__}: {exc}"[:2000]
        sub.reason_zh = f"评分沙箱无法运行：{type(exc).__name__}: {exc}"[:2000]
        sub.scored_at = utcnow()
        session.commit()
        return sub
    sub.status, sub.public_score, sub.private_score = "scored", res["public_score"], res["private_score"]
    sub.score_seconds, sub.scored_at = res["seconds"], utcnow()
    session.commit()
    return sub


def recover_stuck(session: Session, *, now: datetime | None = None, grace_s: float = 60.0,
                  user: Any | None = None, requeue: bool = True) -> list[int]:
    """Submissions left ``running`` by a worker that died: the sandbox kills a scorer at its time
    limit + 1 s, so a submission still running ``time_limit_s + grace_s`` after it started is
    stuck. Each goes back to ``queued`` (and, with ``requeue``, to the job queue) exactly once:
    the conditional UPDATE only matches a row still ``running`` with the same ``started_at``."""
    t = _now(now)
    out = []
    for sub in session.scalars(select(Submission).where(Submission.status == "running")).all():
        comp = session.get(Competition, sub.competition_id)
        limit = float(comp.spec.get("time_limit_s", 60)) + 1.0 + grace_s
        started = aware(sub.started_at)
        if started is None or (t - started).total_seconds() <= limit:
            continue
        res = session.execute(update(Submission).where(Submission.id == sub.id, Submission.status == "running",
                                                       Submission.started_at == sub.started_at)
                              .values(status="queued", started_at=None))
        session.commit()
        if res.rowcount == 1:
            out.append(sub.id)
    if requeue:
        for sub_id in out:
            queue_scoring(session, session.get(Submission, sub_id), user)
    return out


def queue_scoring(session: Session, sub: Submission, user: Any | None = None) -> Submission:
    """Hand a queued submission to the background-job queue (inline when MOLI_JOBS_IMMEDIATE=1)."""
    from moli.core.jobs import submit_job

    if sub.status != "queued":
        return sub
    job = submit_job(session, "events.score", f"评分 / scoring submission {sub.id}", {"submission_id": sub.id}, user)
    session.execute(update(Submission).where(Submission.id == sub.id).values(job_id=job.id))
    session.commit()
    session.refresh(sub)
    return sub


def submission_dict(sub: Submission, *, show_private: bool = False) -> dict:
    return {
        "submission_id": sub.id, "status": sub.status, "public_score": sub.public_score,
        **({"private_score": sub.private_score} if show_private else {}),
        "reason": sub.reason or None, "reason_zh": sub.reason_zh or None, "counted": sub.counted,
        "file_name": sub.file_name, "n_predictions": sub.n_predictions, "job_id": sub.job_id, "selected": sub.selected,
        "created_at": aware(sub.created_at).isoformat() if sub.created_at else None,
    }


def select_submission(session: Session, comp: Competition, team: Team, submission_id: int, selected: bool = True,
                      user: Any | None = None) -> Submission:
    """Choose (or un-choose) a scored submission as one of the team's final submissions (最终提交);
    the private board then uses the best private score among the chosen ones."""
    if user is not None and not is_staff(user) and team_of_user(session, comp, user) is not team:
        raise PermissionDenied("你不是该队伍的成员", "you are not a member of this team")
    team_id = team.id
    session.commit()
    session.execute(update(Team).where(Team.id == team_id).values(lock_version=Team.lock_version + 1))
    sub = _get(session, Submission, submission_id)
    if sub is None or sub.team_id != team_id:
        session.rollback()
        raise NotFound(f"提交 {submission_id} 不存在", f"submission {submission_id} does not exist", field="submission")
    if selected and sub.status != "scored":
        session.rollback()
        raise InputError("只能选择已评分的提交", "only a scored submission can be selected", field="submission")
    limit = int(comp.spec.get("max_selected", 2))
    chosen = session.scalar(select(func.count(Submission.id)).where(Submission.team_id == team_id,
                                                                     Submission.selected.is_(True),
                                                                     Submission.id != sub.id)) or 0
    if selected and chosen >= limit:
        session.rollback()
        raise Conflict(f"最多选择 {limit} 个最终提交，请先取消一个", f"at most {limit} final submissions; unselect one first",
                       field="submission")
    sub.selected = selected
    session.commit()
    return sub


def team_submissions(session: Session, team: Team) -> list[Submission]:
    return list(session.scalars(select(Submission).where(Submission.team_id == team.id)
                                .order_by(Submission.id.desc())))


def can_see_private(session: Session, comp: Competition, user: Any | None, *, admin: bool = False,
                    now: datetime | None = None) -> bool:
    return admin or is_staff(user) or is_closed(session, comp, now)


def leaderboard(session: Session, comp: Competition, *, private: bool = False, user: Any | None = None,
                admin: bool = False, now: datetime | None = None, phase: str | None = None) -> dict:
    """One row per team: its best public submission (earliest on ties); with ``private`` (staff,
    the CLI's local administrator, or anyone once the last phase has closed) that submission's
    private score is shown too and the board is ranked by it."""
    if comp.kind == "judged":
        return judged_board(session, comp)
    if private and not can_see_private(session, comp, user, admin=admin, now=now):
        raise PermissionDenied("私有榜在比赛结束后公布", "the private board is shown after the competition closes")
    stmt = select(Submission).where(Submission.competition_id == comp.id)
    if phase:
        ph = next((p for p in phases(session, comp) if p.name == phase), None)
        if ph is None:
            raise NotFound(f"阶段 {phase} 不存在", f"phase {phase} does not exist", field="phase")
        stmt = stmt.where(Submission.phase_id == ph.id)
    subs = session.scalars(stmt.order_by(Submission.created_at, Submission.id)).all()
    teams = {t.id: t.name for t in session.scalars(select(Team).where(Team.competition_id == comp.id))}
    sign = 1 if comp.higher_is_better else -1
    best: dict[int, Submission] = {}
    chosen: dict[int, list[Submission]] = {}
    counts: dict[int, int] = {}
    for s in subs:
        if s.counted:
            counts[s.team_id] = counts.get(s.team_id, 0) + 1
        if s.status != "scored" or s.public_score is None:
            continue
        if s.selected:
            chosen.setdefault(s.team_id, []).append(s)
        cur = best.get(s.team_id)
        if cur is None or sign * s.public_score > sign * cur.public_score:
            best[s.team_id] = s
    rows = []
    for team_id, s in best.items():
        row = {"team": teams.get(team_id, str(team_id)), "public_score": s.public_score,
               "submissions": counts.get(team_id, 0), "submission_id": s.id,
               "submitted_at": aware(s.created_at).isoformat()}
        if private:
            # the team's chosen final submissions, else its best public one (Kaggle's rule)
            finals = chosen.get(team_id) or [s]
            pick = max(finals, key=lambda x: (sign * (x.private_score if x.private_score is not None else
                                                      -sign * float("inf")), -x.id))
            row["private_score"], row["private_submission_id"] = pick.private_score, pick.id
            row["selected"] = bool(chosen.get(team_id))
        rows.append(row)
    key = "private_score" if private else "public_score"
    rows.sort(key=lambda r: (-sign * (r[key] if r[key] is not None else -sign * float("inf")), r["submitted_at"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return {"competition": comp.slug, "metric": comp.metric, "private": private, "phase": phase, "rows": rows}


# --- expert-judged tracks --------------------------------------------------------------------

def add_judge(session: Session, comp: Competition, judge_user: Any, by_user: Any | None = None,
              *, admin: bool = False) -> Judge:
    if not admin:
        ensure_can_write(by_user, comp.owner_org_id)
    existing = session.scalar(select(Judge).where(Judge.competition_id == comp.id, Judge.user_id == judge_user.id))
    if existing:
        return existing
    j = Judge(competition_id=comp.id, user_id=judge_user.id)
    session.add(j)
    session.flush()
    return j


def is_judge(session: Session, comp: Competition, user: Any | None) -> bool:
    return user is not None and session.scalar(
        select(Judge.id).where(Judge.competition_id == comp.id, Judge.user_id == user.id)) is not None


def submit_entry(session: Session, comp: Competition, team: Team, title: str, summary: str = "", url: str = "",
                 user: Any | None = None) -> Entry:
    if comp.kind != "judged":
        raise InputError("该赛事按指标评分，请提交预测文件", "this competition is scored by a metric: submit predictions",
                         field="competition")
    if user is not None and not is_staff(user) and team_of_user(session, comp, user) is not team:
        raise PermissionDenied("你不是该队伍的成员", "you are not a member of this team")
    title = (title or "").strip()
    if not title:
        raise InputError("作品名称不能为空", "the entry needs a title", field="title")
    entry = session.scalar(select(Entry).where(Entry.competition_id == comp.id, Entry.team_id == team.id))
    if entry is None:
        entry = Entry(competition_id=comp.id, team_id=team.id, title=title)
        session.add(entry)
    entry.title, entry.summary, entry.url = title[:300], summary, check_web_url(url)[:500]
    session.flush()
    return entry


def entries(session: Session, comp: Competition) -> list[Entry]:
    return list(session.scalars(select(Entry).where(Entry.competition_id == comp.id).order_by(Entry.id)))


def rubric(comp: Competition) -> list[dict]:
    return list(comp.spec.get("rubric") or [])


def score_entry(session: Session, comp: Competition, entry: Entry, judge_user: Any, scores: dict[str, Any],
                comment: str = "") -> JudgeScore:
    """A judge scores an entry on every rubric item (0..max); the total is the weighted mean, 0..100."""
    if not is_judge(session, comp, judge_user):
        raise PermissionDenied("你不是该赛事的评委", "you are not a judge of this competition")
    if entry.competition_id != comp.id:
        raise InputError("作品不属于该赛事", "the entry is not in this competition", field="entry")
    items = rubric(comp)
    clean: dict[str, float] = {}
    for item in items:
        key = item["key"]
        if key not in scores or scores[key] in ("", None):
            raise InputError(f"缺少评分项“{item['name']}”（{key}）", f"missing rubric score '{key}'", field=key)
        try:
            v = float(scores[key])
        except (TypeError, ValueError):
            raise InputError(f"评分项“{item['name']}”应为数字", f"rubric score '{key}' must be a number", field=key) from None
        if not 0 <= v <= float(item["max"]):
            raise InputError(f"评分项“{item['name']}”应在 0 到 {item['max']:g} 之间",
                             f"rubric score '{key}' must be between 0 and {item['max']:g}", field=key)
        clean[key] = v
    unknown = set(scores) - set(clean)
    if unknown:
        k = sorted(unknown)[0]
        raise InputError(f"未知的评分项 {k}", f"unknown rubric item {k}", field=k)
    wsum = sum(float(i["weight"]) for i in items)
    total = 100.0 * sum(float(i["weight"]) * clean[i["key"]] / float(i["max"]) for i in items) / wsum
    row = session.scalar(select(JudgeScore).where(JudgeScore.entry_id == entry.id,
                                                  JudgeScore.judge_user_id == judge_user.id))
    if row is None:
        row = JudgeScore(entry_id=entry.id, judge_user_id=judge_user.id, scores=clean, total=total)
        session.add(row)
    row.scores, row.total, row.comment, row.updated_at = clean, round(total, 4), comment, utcnow()
    session.flush()
    return row


def judged_board(session: Session, comp: Competition) -> dict:
    """Entries ranked by the mean of the judges' weighted rubric totals (0..100)."""
    teams = {t.id: t.name for t in session.scalars(select(Team).where(Team.competition_id == comp.id))}
    rows = []
    for e in entries(session, comp):
        js = session.scalars(select(JudgeScore).where(JudgeScore.entry_id == e.id)).all()
        row = {"team": teams.get(e.team_id), "entry": e.title, "judges": len(js),
               "rubric_score": round(sum(j.total for j in js) / len(js), 4) if js else None,
               "criteria": {i["key"]: round(sum(j.scores[i["key"]] for j in js) / len(js), 4) if js else None
                            for i in rubric(comp)}}
        rows.append(row)
    rows.sort(key=lambda r: (r["rubric_score"] is None, -(r["rubric_score"] or 0), r["team"] or ""))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return {"competition": comp.slug, "metric": "rubric", "private": False, "rows": rows}


# --- events ----------------------------------------------------------------------------------

def create_event(session: Session, data: EventIn | dict, user: Any | None = None, *, publish: bool = False) -> Event:
    if isinstance(data, dict):
        from pydantic import ValidationError

        from moli.events.schemas import raise_validation

        try:
            data = EventIn.model_validate(data)
        except ValidationError as exc:
            raise_validation(exc, "event")
    if session.scalar(select(Event.id).where(Event.slug == data.slug)) is not None:
        raise Conflict(f"活动 {data.slug} 已存在", f"event {data.slug} already exists", field="slug")
    fields = data.model_dump()
    fields["starts_at"], fields["ends_at"] = to_utc(data.starts_at), to_utc(data.ends_at)
    ev = Event(**fields, owner_org_id=getattr(user, "organisation_id", None))
    if publish:
        ev.status, ev.is_public = "published", True
    session.add(ev)
    session.flush()
    return ev


def create_events_from_yaml(session: Session, path: str | Path, *, publish: bool = True,
                            user: Any | None = None) -> dict:
    """Create the events of an events file (``events: [...]``, roadshow slots included); an event whose
    slug exists is skipped. The whole file is validated first: an error creates nothing."""
    created, skipped = [], []
    for data, roadshow in load_events_yaml(path):
        try:
            ev = create_event(session, data, user, publish=publish)
        except Conflict:
            skipped.append(data.slug)
            continue
        if roadshow:
            add_slots(session, ev, roadshow.start, roadshow.minutes, roadshow.count)
        created.append(ev.slug)
    return {"created": created, "skipped": skipped}


def publish_event(session: Session, ev: Event, user: Any | None, *, admin: bool = False) -> Event:
    if not admin:
        ensure_can_write(user, ev.owner_org_id)
    ev.status, ev.is_public = "published", True
    session.flush()
    return ev


def get_event(session: Session, ref: str | int, user: Any | None = None) -> Event:
    stmt = select(Event)
    stmt = stmt.where(Event.id == int(ref)) if str(ref).isdigit() else stmt.where(Event.slug == str(ref))
    ev = session.scalar(stmt)
    if ev is None or not (ev.is_public or is_staff(user) or (
            user is not None and ev.owner_org_id is not None and user.organisation_id == ev.owner_org_id)):
        raise NotFound(f"活动 {ref} 不存在", f"event {ref} does not exist", field="event")
    return ev


def list_events(session: Session, user: Any | None = None, *, tag: str | None = None) -> list[Event]:
    """Published public events (and, for staff or the owner, drafts), dated ones by date first."""
    evs = session.scalars(select(Event)).all()
    out = [e for e in evs if (e.is_public and e.status == "published") or is_staff(user) or (
        user is not None and e.owner_org_id is not None and user.organisation_id == e.owner_org_id)]
    if tag:
        out = [e for e in out if tag in (e.tags or [])]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(out, key=lambda e: (aware(e.starts_at) or far, e.id))


def events_by_month(evs: list[Event], now: datetime | None = None) -> tuple[dict, dict, list[Event]]:
    """(upcoming, past, undated): dated events grouped by Shanghai month ("2026年12月" -> events);
    upcoming months first to last, past months latest first. An event is past once it has ended (its
    start when it has no end)."""
    t = _now(now)
    upcoming: dict[str, list[Event]] = {}
    past: dict[str, list[Event]] = {}
    undated = []
    for e in evs:
        if e.starts_at is None:
            undated.append(e)
            continue
        month = aware(e.starts_at).astimezone(SHANGHAI).strftime("%Y年%m月")
        ended = aware(e.ends_at or e.starts_at) < t
        (past if ended else upcoming).setdefault(month, []).append(e)
    return upcoming, dict(reversed(list(past.items()))), undated


def event_dict(session: Session, ev: Event) -> dict:
    counts = registration_counts(session, ev)
    return {
        "id": ev.id, "slug": ev.slug, "title": ev.title, "title_en": ev.title_en, "description": ev.description,
        "starts_at": aware(ev.starts_at).astimezone(SHANGHAI).isoformat() if ev.starts_at else None,
        "ends_at": aware(ev.ends_at).astimezone(SHANGHAI).isoformat() if ev.ends_at else None,
        "date_note": ev.date_note, "venue": ev.venue, "online": ev.online, "url": ev.url,
        "organiser": ev.organiser, "capacity": ev.capacity, "tags": ev.tags or [], "source": ev.source,
        "status": ev.status, "registration_open": registration_open(ev), **counts,
    }


def registration_counts(session: Session, ev: Event) -> dict:
    rows = session.execute(select(Registration.status, func.count()).where(Registration.event_id == ev.id)
                           .group_by(Registration.status)).all()
    c = dict(rows)
    return {"registered": c.get("registered", 0), "waitlisted": c.get("waitlisted", 0)}


def registration_closes_at(ev: Event) -> datetime | None:
    """When registration closes: the event's end, else its start; None (open) while it has no date."""
    return aware(ev.ends_at or ev.starts_at)


def registration_closed(ev: Event, now: datetime | None = None) -> tuple[str, str] | None:
    """Why ``ev`` takes no registrations (Chinese, English), or None while it does: it must be published
    and not over (its end, or its start when it has no end, still ahead; an event with no date is open)."""
    if ev.status != "published":
        return "活动尚未发布，不能报名", "the event is not open for registration"
    closes = registration_closes_at(ev)
    if closes is None or _now(now) < closes:
        return None
    when = closes.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if ev.ends_at is not None:
        return (f"活动已于 {when}（北京时间）结束，报名已截止",
                f"the event ended at {when} (Beijing time); registration is closed")
    return (f"活动已于 {when}（北京时间）开始，报名已截止",
            f"the event started at {when} (Beijing time); registration is closed")


def registration_open(ev: Event, now: datetime | None = None) -> bool:
    return registration_closed(ev, now) is None


def register(session: Session, ev: Event, user: Any, note: str = "", *, now: datetime | None = None) -> Registration:
    """Register ``user``: a place if one is free, else the end of the waiting list. Commits.

    Refused for a draft and once the event is over (``registration_closed``)."""
    closed = registration_closed(ev, now)
    if closed is not None:
        raise InputError(*closed, field="event")
    event_id, user_id = ev.id, user.id
    session.commit()
    session.execute(update(Event).where(Event.id == event_id).values(lock_version=Event.lock_version + 1))
    reg = session.scalar(select(Registration).where(Registration.event_id == event_id, Registration.user_id == user_id))
    if reg is not None and reg.status != "cancelled":
        session.rollback()
        return reg
    taken = session.scalar(select(func.count(Registration.id)).where(Registration.event_id == event_id,
                                                                     Registration.status == "registered")) or 0
    cap = session.get(Event, event_id).capacity
    status = "registered" if cap is None or taken < cap else "waitlisted"
    t = utcnow()
    if reg is None:
        reg = Registration(event_id=event_id, user_id=user_id, status=status, note=note[:500], created_at=t, updated_at=t)
        session.add(reg)
    else:
        reg.status, reg.note, reg.created_at, reg.updated_at = status, note[:500], t, t
    session.commit()
    return reg


def cancel_registration(session: Session, ev: Event, user: Any) -> Registration | None:
    """Cancel; when a place frees up, the earliest waitlisted registration is promoted (returned)."""
    event_id = ev.id
    session.commit()
    session.execute(update(Event).where(Event.id == event_id).values(lock_version=Event.lock_version + 1))
    reg = session.scalar(select(Registration).where(Registration.event_id == event_id, Registration.user_id == user.id))
    if reg is None or reg.status == "cancelled":
        session.rollback()
        raise NotFound("你没有报名该活动", "you are not registered for this event", field="event")
    was = reg.status
    reg.status, reg.updated_at = "cancelled", utcnow()
    promoted = None
    if was == "registered":
        promoted = session.scalar(select(Registration).where(Registration.event_id == event_id,
                                                             Registration.status == "waitlisted")
                                  .order_by(Registration.created_at, Registration.id).limit(1))
        if promoted is not None:
            promoted.status, promoted.updated_at = "registered", utcnow()
    session.commit()
    return promoted


def my_registration(session: Session, ev: Event, user: Any | None) -> Registration | None:
    if user is None:
        return None
    return session.scalar(select(Registration).where(Registration.event_id == ev.id, Registration.user_id == user.id))


def waitlist_position(session: Session, reg: Registration) -> int | None:
    if reg.status != "waitlisted":
        return None
    ahead = session.scalar(select(func.count(Registration.id)).where(
        Registration.event_id == reg.event_id, Registration.status == "waitlisted",
        (Registration.created_at < reg.created_at) | ((Registration.created_at == reg.created_at) & (Registration.id < reg.id))))
    return (ahead or 0) + 1


def calendar_ics(session: Session, user: Any | None = None) -> bytes:
    """An iCalendar (RFC 5545) feed of the dated, published events."""
    from icalendar import Calendar
    from icalendar import Event as IcsEvent

    cal = Calendar()
    cal.add("prodid", "-//moli//events//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "模力 活动日历 / moli events")
    cal.add("x-wr-timezone", "Asia/Shanghai")
    for ev in list_events(session, None):
        if ev.starts_at is None:
            continue
        item = IcsEvent()
        item.add("uid", f"{ev.slug}@moli")
        item.add("summary", ev.title + (f" / {ev.title_en}" if ev.title_en else ""))
        item.add("dtstart", aware(ev.starts_at))
        item.add("dtend", aware(ev.ends_at or ev.starts_at + timedelta(hours=2)))
        item.add("dtstamp", aware(ev.created_at))
        item.add("location", "线上 / online" if ev.online and not ev.venue else ev.venue)
        if ev.description:
            item.add("description", ev.description)
        if ev.url:
            item.add("url", ev.url)
        if ev.organiser:
            item.add("organizer", ev.organiser)
        item.add("categories", list(ev.tags or []) or ["event"])
        cal.add_component(item)
    return cal.to_ical()


# --- roadshow slots --------------------------------------------------------------------------

def add_slots(session: Session, ev: Event, start: datetime, minutes: int, count: int) -> list[RoadshowSlot]:
    if minutes <= 0 or count <= 0:
        raise InputError("时段长度和数量应为正数", "slot length and count must be positive", field="slots")
    start = to_utc(start)
    slots = [RoadshowSlot(event_id=ev.id, starts_at=start + timedelta(minutes=i * minutes),
                          ends_at=start + timedelta(minutes=(i + 1) * minutes)) for i in range(count)]
    session.add_all(slots)
    session.flush()
    return slots


def slots(session: Session, ev: Event) -> list[RoadshowSlot]:
    return list(session.scalars(select(RoadshowSlot).where(RoadshowSlot.event_id == ev.id)
                                .order_by(RoadshowSlot.starts_at, RoadshowSlot.id)))


def book_slot(session: Session, slot_id: int, user: Any, project_title: str = "", *,
              now: datetime | None = None) -> RoadshowSlot:
    """An enterprise books one free slot that has not begun (one per enterprise per event; never two on
    one slot). Commits."""
    if user is None or user.organisation_id is None:
        raise PermissionDenied("只有企业账号可以预约路演", "only an enterprise account may book a roadshow slot")
    slot = _get(session, RoadshowSlot, slot_id)
    if slot is None:
        raise NotFound(f"路演时段 {slot_id} 不存在", f"roadshow slot {slot_id} does not exist", field="slot")
    if aware(slot.starts_at) <= _now(now):
        when = aware(slot.starts_at).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        raise Conflict(f"该路演时段已于 {when}（北京时间）开始，不能再预约", f"this slot began at {when} (Beijing time); "
                       "it can no longer be booked", field="slot")
    event_id, org_id = slot.event_id, user.organisation_id
    session.commit()
    session.execute(update(Event).where(Event.id == event_id).values(lock_version=Event.lock_version + 1))
    mine = session.scalar(select(RoadshowSlot.id).where(RoadshowSlot.event_id == event_id,
                                                        RoadshowSlot.booked_by_org_id == org_id))
    if mine is not None:
        session.rollback()
        raise Conflict("你的企业已预约本活动的一个路演时段", "your enterprise already booked a slot of this event",
                       field="slot")
    res = session.execute(update(RoadshowSlot).where(RoadshowSlot.id == slot_id, RoadshowSlot.booked_by_org_id.is_(None))
                          .values(booked_by_org_id=org_id, booked_by_user_id=user.id,
                                  project_title=(project_title or "")[:300], booked_at=utcnow()))
    if res.rowcount != 1:
        session.rollback()
        raise Conflict("该时段已被预约", "this slot is already booked", field="slot")
    session.commit()
    return session.get(RoadshowSlot, slot_id)


def cancel_booking(session: Session, slot_id: int, user: Any) -> None:
    slot = _get(session, RoadshowSlot, slot_id)
    if slot is None or slot.booked_by_org_id is None:
        raise NotFound("该时段未被预约", "this slot is not booked", field="slot")
    if not is_staff(user) and slot.booked_by_org_id != getattr(user, "organisation_id", None):
        raise PermissionDenied("只能取消自己企业的预约", "you may cancel only your own enterprise's booking")
    slot.booked_by_org_id = slot.booked_by_user_id = None
    slot.project_title, slot.booked_at = "", None
    session.commit()


def home_counts(session: Session) -> dict[str, int]:
    return {
        "活动 / Events": session.scalar(select(func.count(Event.id)).where(Event.status == "published")) or 0,
        "赛事 / Competitions": session.scalar(select(func.count(Competition.id))) or 0,
        "提交 / Submissions": session.scalar(select(func.count(Submission.id))) or 0,
    }


def user_by_email(session: Session, email: str):
    from moli.core.models import User

    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        raise NotFound(f"用户 {email} 不存在", f"user {email} does not exist", field="email")
    return user


def create_competition_from_upload(session: Session, yaml_bytes: bytes, files: dict[str, bytes],
                                   user: Any | None = None) -> Competition:
    """Create a competition from an uploaded YAML and the files it names (answers, data, scorer),
    matched by file name. The temporary copies are removed; the answers end up in the database."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="moli-comp-") as tmp:
        base = Path(tmp)
        for name, data in files.items():
            safe = Path(name).name
            if not safe or safe.startswith("."):
                raise InputError(f"文件名无效：{name}", f"invalid file name: {name}", field="files")
            (base / safe).write_bytes(data)
        (base / "competition.yaml").write_bytes(yaml_bytes)
        return create_competition_from_yaml(session, base / "competition.yaml", user=user, confine=True)


def event_input_from_form(fields: dict[str, str]) -> EventIn:
    """An EventIn from a web form: ``datetime-local`` values are Asia/Shanghai times; tags are
    comma- or 、-separated."""
    from pydantic import ValidationError

    from moli.events.schemas import raise_validation

    def when(key: str) -> datetime | None:
        v = (fields.get(key) or "").strip()
        if not v:
            return None
        try:
            dt = datetime.fromisoformat(v)
        except ValueError:
            raise InputError(f"{key} 不是有效的日期时间", f"{key} is not a valid date and time", field=key) from None
        return dt if dt.tzinfo else dt.replace(tzinfo=SHANGHAI)

    tags = [t.strip() for t in (fields.get("tags") or "").replace("、", ",").replace("，", ",").split(",") if t.strip()]
    cap = (fields.get("capacity") or "").strip()
    raw = {"slug": (fields.get("slug") or "").strip(), "title": (fields.get("title") or "").strip(),
           "title_en": fields.get("title_en") or "", "description": fields.get("description") or "",
           "starts_at": when("starts_at"), "ends_at": when("ends_at"), "date_note": fields.get("date_note") or "",
           "venue": fields.get("venue") or "", "online": bool(fields.get("online")), "url": fields.get("url") or "",
           "organiser": fields.get("organiser") or "", "capacity": int(cap) if cap.isdigit() else None,
           "tags": tags, "source": fields.get("source") or ""}
    try:
        return EventIn.model_validate(raw)
    except ValidationError as exc:
        raise_validation(exc, "event")
        raise


def month_grid(events: list[Event], year: int, month: int) -> dict:
    """A month calendar (Monday first, Asia/Shanghai dates): ``weeks`` of 7 ``{date, in_month,
    events}`` cells; multi-day events appear on each of their days."""
    import calendar as _cal
    from datetime import date

    if not 1 <= month <= 12 or not 1900 <= year <= 2999:
        raise InputError("月份无效", "invalid month", field="month")
    by_day: dict[date, list[Event]] = {}
    for e in events:
        if e.starts_at is None:
            continue
        d0 = aware(e.starts_at).astimezone(SHANGHAI).date()
        d1 = aware(e.ends_at).astimezone(SHANGHAI).date() if e.ends_at else d0
        d = d0
        while d <= d1 and (d - d0).days < 62:
            by_day.setdefault(d, []).append(e)
            d += timedelta(days=1)
    weeks = [[{"date": d, "in_month": d.month == month, "events": by_day.get(d, [])} for d in week]
             for week in _cal.Calendar(firstweekday=0).monthdatescalendar(year, month)]
    prev = (year - 1, 12) if month == 1 else (year, month - 1)
    nxt = (year + 1, 1) if month == 12 else (year, month + 1)
    return {"year": year, "month": month, "weeks": weeks, "prev": f"{prev[0]:04d}-{prev[1]:02d}",
            "next": f"{nxt[0]:04d}-{nxt[1]:02d}"}


TAG_LINKS = {"scenario": "/market/scenarios/{}", "offering": "/market/offerings/{}",
             "competition": "/events/competitions/{}"}
TAG_KINDS_ZH = {"scenario": "场景", "offering": "模型", "competition": "赛事", "enterprise": "企业", "topic": "主题"}


def tag_info(tag: str) -> dict:
    """A tag such as ``scenario:gov-qa`` → ``{"kind", "kind_zh", "value", "href"}`` (href links the
    market's scenarios and offerings and the competitions; enterprise and topic tags filter the list)."""
    from urllib.parse import quote

    kind, _, value = tag.partition(":")
    if not value:
        kind, value = "topic", tag
    href = TAG_LINKS[kind].format(quote(value, safe="/")) if kind in TAG_LINKS else f"/events?tag={quote(tag)}"
    return {"kind": kind, "kind_zh": TAG_KINDS_ZH.get(kind, kind), "value": value, "href": href}
