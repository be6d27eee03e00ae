"""Corpus service (语料服务): build recipes, register builds in the catalogue, read samples.

Views and the CLI are thin faces over these functions.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from moli.core import access
from moli.core.db import utcnow
from moli.core.errors import InputError, NotFound
from moli.corpus.models import ACCESS_LEVELS, Corpus
from moli.corpus.pipeline import BuildResult, build
from moli.corpus.readers import SUFFIXES as READER_SUFFIXES
from moli.corpus.recipe import Recipe, load_recipe

log = logging.getLogger(__name__)


def build_recipe(path: str | Path | Recipe, *, executor: str = "local", address: str | None = None,
                 workers: int | None = None, progress: bool = False) -> tuple[Recipe, BuildResult]:
    """Validate the recipe (before reading any input), then build it."""
    recipe = path if isinstance(path, Recipe) else load_recipe(path)
    return recipe, build(recipe, executor=executor, address=address, workers=workers, progress=progress)


def publish_output(folder: str | Path, url: str) -> dict[str, Any]:
    """Publish a finished output folder to an fsspec URL (again, after an upload failed, or a build made
    to a local folder): every file the manifest lists must be there with its sha256 before anything
    is copied. Returns what was published."""
    from moli.core.files import sha256_file
    from moli.corpus.pipeline import check_remote, publish

    folder = Path(folder)
    path = folder / "manifest.json"
    if not path.is_file():
        raise InputError(f"{folder} 不是完整的语料输出（缺少 manifest.json），请先构建",
                         f"{folder} is not a finished corpus output (no manifest.json); build it first", field="folder")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for f in manifest.get("files", []):
        p = folder / f["path"]
        if not p.is_file() or sha256_file(p) != f["sha256"]:
            raise InputError(f"{p} 缺失或与 manifest.json 的 sha256 不符，未发布任何文件",
                             f"{p} is missing or does not match its sha256 in manifest.json; nothing was published",
                             field="folder")
    check_remote(url)
    publish(folder, url)
    return {"published_to": url, "folder": str(folder), "files": len(manifest.get("files", [])) + 1,
            "recipe_hash": manifest.get("recipe_hash")}


def register(session: Session, recipe: Recipe, result: BuildResult, *, owner_org_id: int | None = None) -> Corpus:
    """Record a build in the catalogue; rebuilding the same name and version updates the entry."""
    cat = recipe.catalogue
    corpus = session.scalar(select(Corpus).where(Corpus.name == recipe.name, Corpus.version == cat.version))
    if corpus is None:
        corpus = Corpus(name=recipe.name, version=cat.version, location=str(result.out_dir))
        session.add(corpus)
    corpus.domain = cat.domain
    corpus.licence = cat.licence
    corpus.access = cat.access
    corpus.description = cat.description
    corpus.owner_org_id = owner_org_id if owner_org_id is not None else corpus.owner_org_id
    corpus.stats = result.stats
    corpus.manifest = {k: result.manifest[k] for k in ("recipe_hash", "moli_version", "created_at", "executor",
                                                        "counts", "files", "recipe", "published_to")
                       if k in result.manifest}
    corpus.location = str(result.out_dir)
    corpus.recipe_hash = result.manifest["recipe_hash"]
    corpus.updated_at = utcnow()
    session.flush()
    return corpus


# ---------------------------------------------------------------------------------------------
# access: public → anyone; restricted → catalogue entry for signed-in users, documents for the
# owner organisation and staff; internal → owner organisation and staff only.


def can_see_entry(user: Any | None, corpus: Corpus) -> bool:
    if corpus.access == "public":
        return True
    if corpus.access == "restricted" and user is not None:
        return True
    return access.can_read(user, corpus.owner_org_id)


def can_see_documents(user: Any | None, corpus: Corpus) -> bool:
    return access.can_read(user, corpus.owner_org_id, public=corpus.access == "public")


def can_manage(user: Any | None, corpus: Corpus) -> bool:
    """Owner organisation and staff may change a corpus's catalogue entry (access level)."""
    return access.can_write(user, corpus.owner_org_id)


def list_corpora(session: Session, user: Any | None = None, *, as_admin: bool = False) -> list[Corpus]:
    rows = session.scalars(select(Corpus).order_by(Corpus.name, Corpus.version)).all()
    return [c for c in rows if as_admin or can_see_entry(user, c)]


def get_corpus(session: Session, name: str, version: str | None = None, *, user: Any | None = None,
               as_admin: bool = False) -> Corpus:
    """The corpus ``name`` at ``version``; without a version, the latest version ``user`` may see
    (a newer version the user may not see neither hides an older one nor reveals that it exists)."""
    stmt = select(Corpus).where(Corpus.name == name)
    if version is not None:
        stmt = stmt.where(Corpus.version == version)
    for corpus in session.scalars(stmt.order_by(Corpus.updated_at.desc(), Corpus.id.desc())):
        if as_admin or can_see_entry(user, corpus):
            return corpus
    if version is not None:  # the name exists but not this version: list the versions the user may see
        seen = [c.version for c in session.scalars(select(Corpus).where(Corpus.name == name).order_by(Corpus.version))
                if as_admin or can_see_entry(user, c)]
        if seen:
            raise NotFound(f"语料 {name} 没有版本 {version}（可查看的版本：{'、'.join(seen)}）",
                           f"corpus {name} has no version {version} (versions you may see: {', '.join(seen)})")
    # Do not reveal that an internal corpus exists.
    raise NotFound(f"没有名为 {name} 的语料", f"no corpus named {name}")


def ensure_may_build(session: Session, name: str, version: str, user: Any | None) -> None:
    """A new version of an existing name may be built only by the organisation that owns the name's
    versions (staff and admin always may); a version that exists is never built over from the web.
    Someone else's name gets the same answer whether its versions are public or private."""
    rows = session.scalars(select(Corpus).where(Corpus.name == name)).all()
    if any(not access.can_write(user, c.owner_org_id) for c in rows):
        raise InputError(f"语料名称 {name} 属于其他组织，请换一个名称",
                         f"the corpus name {name} belongs to another organisation; choose another name", field="name")
    if any(c.version == version for c in rows):
        raise InputError(f"语料 {name} 版本 {version} 已存在，请换一个版本号",
                         f"corpus {name} version {version} exists; choose another version", field="version")


# ---------------------------------------------------------------------------------------------
# paths: users see input files by their names relative to the input (upload) folder, never the
# server's paths; the storage location is for staff and admin only.


def input_root(urls: list[str]) -> str | None:
    """The folder holding every local input (``urls`` as a manifest's ``inputs`` lists them), or
    None when there is no local input. Remote URLs (s3://…) are not server paths and stay as they are."""
    import os.path

    dirs = [os.path.dirname(u.removeprefix("file://")) for u in urls if "://" not in u.removeprefix("file://")]
    if not dirs:
        return None
    try:
        return os.path.commonpath(dirs)
    except ValueError:  # relative and absolute paths mixed
        return None


def corpus_input_root(corpus: Corpus | str | Path) -> str | None:
    """:func:`input_root` of a built corpus's inputs (from the ``manifest.json`` in its location)."""
    location = corpus.location if isinstance(corpus, Corpus) else corpus
    try:
        manifest = json.loads((Path(location) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return input_root([str(i.get("url", "")) for i in manifest.get("inputs", [])])


def scrub_paths(obj: Any, roots: list[str | None]) -> Any:
    """``obj`` (strings, lists and dicts within) with every path under one of ``roots`` made relative
    to it (``/srv/up/a/b.pdf`` → ``a/b.pdf``); a root itself becomes ``.``."""
    roots = sorted({r.rstrip("/") for r in roots if r and r.rstrip("/")}, key=len, reverse=True)
    if not roots:
        return obj

    def one(value: Any) -> Any:
        if isinstance(value, str):
            for root in roots:
                value = value.replace(f"file://{root}/", "").replace(f"{root}/", "")
                if value in (root, f"file://{root}"):
                    value = "."
            return value
        if isinstance(value, list):
            return [one(v) for v in value]
        if isinstance(value, tuple):
            return tuple(one(v) for v in value)
        if isinstance(value, dict):
            return {k: one(v) for k, v in value.items()}
        return value

    return one(obj)


def corpus_summary(corpus: Corpus) -> dict[str, Any]:
    stats = corpus.stats or {}
    return {
        "id": corpus.id, "name": corpus.name, "version": corpus.version, "domain": corpus.domain,
        "licence": corpus.licence, "access": corpus.access, "description": corpus.description,
        "owner_org_id": corpus.owner_org_id, "location": corpus.location,
        "published_to": (corpus.manifest or {}).get("published_to"), "recipe_hash": corpus.recipe_hash,
        "documents": stats.get("kept"), "removed": stats.get("removed", {}),
        "characters": (stats.get("lengths") or {}).get("total_chars"),
        "created_at": corpus.created_at.isoformat() if corpus.created_at else None,
        "updated_at": corpus.updated_at.isoformat() if corpus.updated_at else None,
    }


def summary_for(corpus: Corpus, user: Any | None, *, as_admin: bool = False) -> dict[str, Any]:
    """:func:`corpus_summary` as ``user`` may see it: the storage location only for staff and admin."""
    out = corpus_summary(corpus)
    if not (as_admin or access.is_staff(user)):
        out["location"] = None
    return out


def manifest_for(corpus: Corpus, user: Any | None, *, as_admin: bool = False) -> dict[str, Any]:
    """The catalogue's manifest as ``user`` may see it: input and output paths relative for all
    but staff and admin."""
    manifest = corpus.manifest or {}
    if as_admin or access.is_staff(user):
        return manifest
    return scrub_paths(manifest, [corpus_input_root(corpus), _pattern_root(manifest), corpus.location])


def _pattern_root(manifest: dict[str, Any]) -> str | None:
    """The folder of the recipe's input patterns (``/srv/up/*`` → ``/srv/up``), for a manifest whose
    inputs are gone."""
    import os.path

    paths = ((manifest.get("recipe") or {}).get("input") or {}).get("paths") or []
    dirs = [os.path.dirname(p.split("*")[0]) for p in paths if isinstance(p, str) and p.startswith("/")]
    try:
        return os.path.commonpath(dirs) if dirs else None
    except ValueError:
        return None


def _shard_records(folder: Path, columns: list[str] | None = None):
    """The records of the shards in ``folder``, streamed in batches. A shard that cannot be read is
    skipped (logged): the others still count."""
    for path in sorted(folder.glob("*.parquet")):
        try:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=256, columns=columns):
                yield from batch.to_pylist()
        except (OSError, ValueError, KeyError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            log.warning("skipping unreadable shard %s: %s", path, exc)


def _parquet_rows(folder: Path, n: int, offset: int = 0, where: dict[str, str] | None = None) -> list[dict]:
    out: list[dict] = []
    skipped = 0
    for rec in _shard_records(folder):
        if where and any(rec.get(k) != v for k, v in where.items()):
            continue
        if skipped < offset:
            skipped += 1
            continue
        out.append(rec)
        if len(out) >= n:
            break
    return out


def public_signature(session: Session) -> tuple:
    """What changes when the public documents change: (name, version, recipe hash, updated) per corpus."""
    rows = session.execute(select(Corpus.name, Corpus.version, Corpus.recipe_hash, Corpus.updated_at)
                           .where(Corpus.access == "public").order_by(Corpus.name, Corpus.version)).all()
    return tuple((r[0], r[1], r[2], str(r[3])) for r in rows)


def public_texts(session: Session, *, max_chars: int) -> list[tuple[str, str, str]]:
    """``(id, title, text)`` of the documents of the public corpora, up to ``max_chars`` characters
    in all (catalogue order, a corpus's documents in shard order). The title is a document's first
    line. A shard that cannot be read is skipped (logged): the others still count."""
    out: list[tuple[str, str, str]] = []
    budget = max_chars
    for corpus in session.scalars(select(Corpus).where(Corpus.access == "public").order_by(Corpus.name, Corpus.version)):
        for rec in _shard_records(Path(corpus.location) / "data", columns=["id", "text"]):
            text = (rec["text"] or "")[:budget]
            if not text:
                continue
            out.append((f"{corpus.name}@{corpus.version}/{rec['id']}", text.split("\n", 1)[0][:100], text))
            budget -= len(text)
            if budget <= 0:
                return out
    return out


def highlight_segments(text: str, spans: list[dict]) -> list[tuple[str, str | None]]:
    """Split ``text`` into (piece, pii kind or None) using the pii step's output spans."""
    segs: list[tuple[str, str | None]] = []
    pos = 0
    for s in sorted((s for s in spans if "start" in s), key=lambda s: s["start"]):
        if s["start"] < pos or s["end"] > len(text):
            continue
        if s["start"] > pos:
            segs.append((text[pos:s["start"]], None))
        segs.append((text[s["start"]:s["end"]], s["kind"]))
        pos = s["end"]
    if pos < len(text):
        segs.append((text[pos:], None))
    return segs


def sample_documents(corpus: Corpus, *, n: int = 10, offset: int = 0, max_chars: int | None = 2000,
                     user: Any | None = None, as_admin: bool = False) -> list[dict[str, Any]]:
    """First documents of the corpus, with their PII spans as highlight segments."""
    _ensure_documents(corpus, user, as_admin)
    rows = _parquet_rows(Path(corpus.location) / "data", n, offset)
    root = corpus_input_root(corpus)
    out = []
    for rec in rows:
        meta = scrub_paths(json.loads(rec["meta"] or "{}"), [root])
        text = rec["text"]
        shown = text if max_chars is None else text[:max_chars]
        out.append({"id": rec["id"], "text": shown, "truncated": len(shown) < len(text), "chars": len(text),
                    "meta": meta, "segments": highlight_segments(shown, meta.get("pii") or [])})
    return out


def removed_documents(corpus: Corpus, *, n: int = 20, offset: int = 0, removed_by: str | None = None,
                      max_chars: int | None = 300, user: Any | None = None,
                      as_admin: bool = False) -> list[dict[str, Any]]:
    _ensure_documents(corpus, user, as_admin)
    where = {"removed_by": removed_by} if removed_by else None
    rows = _parquet_rows(Path(corpus.location) / "removed", n, offset, where)
    for rec in rows:
        rec["meta"] = json.loads(rec["meta"] or "{}")
        if max_chars is not None and rec["text"]:
            rec["text"] = rec["text"][:max_chars]
    # the reader's messages and the sources name files by their server paths
    return scrub_paths(rows, [corpus_input_root(corpus)])


def _ensure_documents(corpus: Corpus, user: Any | None, as_admin: bool) -> None:
    if not (as_admin or can_see_documents(user, corpus)):
        access.ensure_can_read(user, corpus.owner_org_id, public=False)


def set_access(session: Session, corpus: Corpus, level: str, *, user: Any | None = None,
               as_admin: bool = False) -> Corpus:
    if level not in ACCESS_LEVELS:
        raise InputError(f"访问级别须是 {'/'.join(ACCESS_LEVELS)}", f"access must be one of {', '.join(ACCESS_LEVELS)}",
                         field="access")
    if not as_admin:
        access.ensure_can_write(user, corpus.owner_org_id)
    corpus.access = level
    session.flush()
    return corpus


def chart_specs(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Plotly figures (data + layout, plain JSON) for a corpus page: steps, removals, lengths."""
    steps = stats.get("steps") or []
    charts = []
    if steps:
        names = [f"{s['index'] + 1}. {s['name']}" for s in steps]
        charts.append({
            "id": "chart-steps", "title": "各步骤文档数 Documents per step",
            "data": [{"type": "bar", "name": "输入 in", "x": names, "y": [s["in"] for s in steps]},
                     {"type": "bar", "name": "输出 out", "x": names, "y": [s["out"] for s in steps]}],
            "layout": {"barmode": "group", "margin": {"t": 30, "b": 80}, "height": 320},
        })
    reasons: list[tuple[str, int]] = []
    for s in steps:
        for reason, n in (s.get("removed") or {}).items():
            reasons.append((f"{s['name']}: {reason}", n))
    for reason, n in ((stats.get("read") or {}).get("errors") or {}).items():
        reasons.append((f"read: {reason}", n))
    if reasons:
        reasons.sort(key=lambda r: -r[1])
        charts.append({
            "id": "chart-removed", "title": "移除原因 Removal reasons",
            "data": [{"type": "bar", "orientation": "h", "x": [n for _, n in reasons], "y": [r for r, _ in reasons]}],
            "layout": {"margin": {"t": 30, "l": 260}, "height": 120 + 28 * len(reasons)},
        })
    hist = (stats.get("lengths") or {}).get("histogram")
    if hist:
        edges = hist["edges"]
        labels = [f"{edges[i]}–{edges[i + 1] if edges[i + 1] < 10**9 else '∞'}" for i in range(len(edges) - 1)]
        charts.append({
            "id": "chart-lengths", "title": "文档长度（字符）Document length (characters)",
            "data": [{"type": "bar", "x": labels, "y": hist["counts"]}],
            "layout": {"margin": {"t": 30, "b": 80}, "height": 300},
        })
    if stats.get("pii"):
        charts.append({
            "id": "chart-pii", "title": "已脱敏的个人信息 Redacted personal information",
            "data": [{"type": "bar", "x": list(stats["pii"]), "y": list(stats["pii"].values())}],
            "layout": {"margin": {"t": 30}, "height": 280},
        })
    return charts


def home_counts(session: Session) -> dict[str, int]:
    """Catalogue figures for the home page (public corpora, and the documents they hold)."""
    public = session.scalars(select(Corpus).where(Corpus.access == "public")).all()
    return {
        "公开语料 / Public corpora": len(public),
        "公开语料文档 / Documents in public corpora": sum(int((c.stats or {}).get("kept") or 0) for c in public),
    }


# ---------------------------------------------------------------------------------------------
# building from the web: uploaded files through the standard steps, as a background job

UPLOAD_SUFFIXES = READER_SUFFIXES
_VERSION = re.compile(r"^[\w.\-]{1,40}$")


def standard_steps(*, redact_all_names: bool) -> list:
    """The steps of the shipped demo recipe (clean, language, quality, PII, dedup, domain, safety);
    ``redact_all_names`` redacts every name the model finds instead of only those a cue announces."""
    import yaml

    from moli.corpus.demo import DEMO_DIR

    steps = yaml.safe_load((DEMO_DIR / "recipe.yaml").read_text(encoding="utf-8"))["steps"]
    for step in steps:
        if isinstance(step, dict) and "pii" in step:
            step["pii"] = {**step["pii"], "names": "all" if redact_all_names else "cued"}
    return steps


def web_recipe(values: dict[str, str], input_dir: Path, home: Path) -> Recipe:
    """The recipe of a corpus built from the web form: the files in ``input_dir`` through
    :func:`standard_steps`, written to ``home/corpora/<name>/<version>``. Bad fields raise
    :class:`InputError` naming the field."""
    from moli.core.errors import ConfigError
    from moli.corpus.domain import DOMAINS
    from moli.corpus.recipe import recipe_from_dict

    name = (values.get("name") or "").strip()
    version = (values.get("version") or "1").strip()
    if not _VERSION.match(version):
        raise InputError("版本只能含字母、数字、点、短横线和下划线（最多 40 个字符）",
                         "the version may hold letters, digits, dots, dashes and underscores (at most 40)", field="version")
    domain = values.get("domain") or "government_affairs"
    if domain not in DOMAINS:
        raise InputError(f"未知的领域 {domain}", f"unknown domain {domain}", field="domain")
    licence = (values.get("licence") or "").strip()
    if not licence:
        raise InputError("请写明语料来源的许可（如“公有领域：法律法规与官方文件”）",
                         "state the licence of the sources (e.g. public domain: laws and official documents)", field="licence")
    data = {
        "name": name,
        "input": {"paths": [str(input_dir / "*")], "format": "auto",
                  "text_field": (values.get("text_field") or "text").strip(), "id_field": "id"},
        "steps": standard_steps(redact_all_names=values.get("redact_all_names") in ("1", "on", "true")),
        "output": {"path": str(home / "corpora" / name / version), "format": "parquet", "shard_size": 10000},
        "catalogue": {"version": version, "domain": domain, "licence": licence, "access": values.get("access") or "internal",
                      "description": (values.get("description") or "").strip()},
    }
    try:
        return recipe_from_dict(data, base_dir=input_dir, source="表单 form")
    except ConfigError as exc:  # the form's field is the last part of the recipe's (catalogue.access → access)
        raise InputError(exc.zh, exc.en, field=(exc.field or "").split(".")[-1]) from None


def start_web_build(session: Session, values: dict[str, str], uploads: list[tuple[str, Any]], user: Any,
                    *, home: Path, max_bytes: int):
    """Check the form, save the uploads and queue the ``corpus.build`` job; returns the job. Nothing
    is queued (and no upload kept) when a field or file is refused."""
    import shutil
    import tempfile

    from moli.core.files import save_uploads
    from moli.core.jobs import submit_job

    if not uploads:
        raise InputError("请至少上传一个文件", "upload at least one file", field="files")
    folder = Path(tempfile.mkdtemp(prefix="corpus_upload_", dir=home))
    try:
        recipe = web_recipe(values, folder, home)
        ensure_may_build(session, recipe.name, recipe.catalogue.version, user)
        save_uploads(uploads, folder, max_bytes=max_bytes, suffixes=UPLOAD_SUFFIXES, field="files")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return submit_job(session, "corpus.build", f"构建语料 / build corpus: {recipe.name} v{recipe.catalogue.version}",
                      {"recipe": data_of(recipe), "folder": str(folder),
                       "owner_org_id": getattr(user, "organisation_id", None)},
                      user)


def data_of(recipe: Recipe) -> dict[str, Any]:
    """A recipe as the plain data :func:`moli.corpus.recipe.recipe_from_dict` reads back."""
    return {**recipe.canonical(), "catalogue": recipe.catalogue.model_dump(mode="json")}
