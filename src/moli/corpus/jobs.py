"""Background job ``corpus.build`` (构建语料): a corpus built from uploaded files, then registered."""

from __future__ import annotations

import shutil
from pathlib import Path

from moli.core.db import session_scope
from moli.core.jobs import Progress, job_handler


@job_handler("corpus.build")
def build_job(job_id: int, params: dict, progress: Progress) -> dict:
    """构建并登记语料 / build and register (params: ``recipe`` as data, ``folder`` of the uploads,
    ``owner_org_id``). The uploads are removed when the job ends, registered or failed: the uploader
    still has the files, and a failed job names the file and the problem."""
    from moli.corpus import service
    from moli.corpus.recipe import recipe_from_dict

    folder = Path(params["folder"])
    try:
        recipe = recipe_from_dict(params["recipe"], base_dir=folder, source=f"job {job_id}")
        progress(0.05, "读取与处理文档 / reading and processing documents")
        _, result = service.build_recipe(recipe, workers=1)
        progress(0.95, "登记到语料目录 / registering in the catalogue")
        with session_scope() as s:
            corpus = service.register(s, recipe, result, owner_org_id=params.get("owner_org_id"))
            name, version = corpus.name, corpus.version
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    summary = result.summary
    return {"corpus": name, "version": version, "kept": summary.get("kept"), "removed": summary.get("removed"),
            "read_errors": summary.get("read_errors"), "url": f"/corpus/{name}?version={version}"}
