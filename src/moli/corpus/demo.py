"""Demo content (演示数据): build the shipped government-document corpus and register it.

`moli demo` calls :func:`load` after migrating; running it twice adds nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

DEMO_DIR = Path(__file__).resolve().parent / "data" / "demo"


def demo_recipe(home: Path | None = None):
    from moli.core.settings import get_settings
    from moli.corpus.recipe import load_recipe

    recipe = load_recipe(DEMO_DIR / "recipe.yaml")
    # corpora/<name>/<version>, as a web build lays out a corpus: a later version of the demo's name then
    # sits beside it, never inside its folder
    out = (home or get_settings().home) / "corpora" / recipe.name / recipe.catalogue.version
    return recipe.model_copy(update={"output": recipe.output.model_copy(update={"path": str(out)})})


def load(session: Session) -> dict[str, Any]:
    from moli.corpus import service
    from moli.corpus.models import Corpus

    recipe = demo_recipe()
    existing = session.scalar(select(Corpus).where(Corpus.name == recipe.name,
                                                   Corpus.version == recipe.catalogue.version))
    if (existing is not None and existing.recipe_hash == recipe.hash()
            and (Path(existing.location) / "manifest.json").exists()):
        return {"corpora": 0, "unchanged": [recipe.name]}
    _, result = service.build_recipe(recipe, workers=1)
    corpus = service.register(session, recipe, result)
    return {"corpora": 1, "built": [corpus.name], "documents": result.summary["kept"]}
