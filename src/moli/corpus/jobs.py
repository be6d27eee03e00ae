"""Background job ``corpus.build`` (构建语料): a corpus built from uploaded files, then registered."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from moli.core.db import session_scope
from moli.core.errors import InputError
from moli.core.jobs import Progress, job_handler, on_abandoned
from moli.core.settings import get_settings

MAX_NAMED = 10  # files named in the message of a build where nothing could be read


@job_handler("corpus.build")
def build_job(job_id: int, params: dict, progress: Progress) -> dict:
    """构建并登记语料 / build and register (params: ``recipe`` as data, ``folder`` of the uploads,
    ``owner_org_id``). The uploads are removed when the job ends, registered or failed: the uploader
    still has the files, and a failed job names the file and the problem. A build where no document
    could be read fails and adds nothing; a failed build leaves no output behind."""
    from moli.corpus import service
    from moli.corpus.recipe import recipe_from_dict

    folder = Path(params["folder"])
    out: Path | None = None
    created = False
    try:
        recipe = recipe_from_dict(params["recipe"], base_dir=folder, source=f"job {job_id}")
        with session_scope() as s:  # the name may have been taken since the form was sent
            service.ensure_may_build(s, recipe.name, recipe.catalogue.version, _submitter(s, job_id))
        out = Path(recipe.output_dir)
        created = not out.exists()
        progress(0.05, "读取与处理文档 / reading and processing documents")
        _, result = service.build_recipe(recipe, workers=1)
        if not (result.stats.get("read") or {}).get("documents"):
            raise _nothing_read(result, folder)
        progress(0.95, "登记到语料目录 / registering in the catalogue")
        with session_scope() as s:
            service.ensure_may_build(s, recipe.name, recipe.catalogue.version, _submitter(s, job_id))
            corpus = service.register(s, recipe, result, owner_org_id=params.get("owner_org_id"))
            name, version = corpus.name, corpus.version
    except BaseException:
        if created and out is not None:  # no half-written corpus left on disk
            shutil.rmtree(out, ignore_errors=True)
            try:
                out.parent.rmdir()  # corpora/<name>, when this was its only version
            except OSError:
                pass
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    summary = result.summary
    return {"corpus": name, "version": version, "kept": summary.get("kept"), "removed": summary.get("removed"),
            "read_errors": summary.get("read_errors"), "url": f"/corpus/{name}?version={version}"}


def _submitter(session: Any, job_id: int) -> Any:
    from moli.core.models import Job, User

    job = session.get(Job, job_id)
    return session.get(User, job.owner_user_id) if job is not None and job.owner_user_id is not None else None


def _nothing_read(result: Any, folder: Path) -> InputError:
    """The error of a build where no uploaded file gave a document: each file (by its name in the
    upload) and its problem."""
    import json

    from moli.corpus.service import _parquet_rows, scrub_paths

    rows = _parquet_rows(result.out_dir / "removed", MAX_NAMED, where={"removed_by": "read"})
    zh_items, en_items = [], []
    for rec in scrub_paths(rows, [str(folder)]):
        error = str(json.loads(rec.get("meta") or "{}").get("error") or "")
        source = rec.get("source") or rec.get("id") or ""
        cut = error.find(f" / {source}")  # the reader's message is "<file>: 中文 / <file>: English"
        zh, en = (error[:cut], error[cut + 3:]) if cut > 0 else (error, error)
        zh_items.append(zh or f"{rec.get('id')}（{rec.get('reason')}）")
        en_items.append(en or f"{rec.get('id')} ({rec.get('reason')})")
    total = sum((result.summary.get("read_errors") or {}).values())
    more_zh = f"；另有 {total - len(zh_items)} 个" if total > len(zh_items) else ""
    more_en = f"; and {total - len(en_items)} more" if total > len(en_items) else ""
    return InputError("没有读到任何文档，未添加语料：" + "；".join(zh_items) + more_zh,
                      "no document could be read; nothing was added: " + "; ".join(en_items) + more_en,
                      field="files")


@on_abandoned("corpus.build")
def abandoned_build(job_id: int, params: dict) -> None:
    """The uploads of a build whose worker died are removed (a rebuild gets them uploaded again; the
    corpus folder keeps its staging, so a build of the same name and version resumes)."""
    folder = Path(params.get("folder") or "")
    home = get_settings().home.resolve()
    if folder.name.startswith("corpus_upload_") and folder.resolve().parent == home:
        shutil.rmtree(folder, ignore_errors=True)
