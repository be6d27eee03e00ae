"""Domain classifier: which of the seed's corpus domains a document belongs to.

A character n-gram linear model (hashed 1–3-grams, TF-IDF, multinomial logistic regression),
trained by ``python -m moli.corpus.train_domain`` from the shared labelled sets and shipped as
arrays in ``data/domain/model.npz``. Inference needs only the stateless hashing vectoriser and
numpy, so the model file is independent of the scikit-learn version that trained it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "data" / "domain"

# The seven labels (order is the model's output order).
DOMAINS: dict[str, tuple[str, str]] = {
    "government_affairs": ("政务", "government affairs"),
    "biomedicine": ("生物医药", "biomedicine"),
    "transportation": ("交通运输", "transportation"),
    "finance_trade": ("金融商贸", "finance and trade"),
    "spatial_geography": ("空间地理", "spatial geography"),
    "meteorology": ("气象", "meteorology"),
    "other": ("其他", "other"),
}

# Long documents are classified on their opening, where titles and purpose clauses stand.
MAX_CHARS = 3000


def make_vectorizer(n_features: int):
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(analyzer="char", ngram_range=(1, 2), n_features=n_features,
                             alternate_sign=False, norm=None, lowercase=True, dtype=np.float32)


def prepare(text: str) -> str:
    """The opening of the text, with its first line (a title, for most documents) repeated so that
    a long body does not drown it."""
    text = (text or "").lstrip("# \ufeff")[:MAX_CHARS]
    title = text.split("\n", 1)[0][:100]
    return f"{title}\n{title}\n{text}"


@dataclass
class DomainPrediction:
    domain: str
    scores: dict[str, float]


class DomainClassifier:
    def __init__(self, labels: list[str], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 n_features: int):
        self.labels = labels
        self.idf = idf.astype(np.float32)
        self.coef_t = np.ascontiguousarray(coef.astype(np.float32).T)  # (n_features, n_labels)
        self.intercept = intercept.astype(np.float32)
        self.vectorizer = make_vectorizer(n_features)

    @classmethod
    def load(cls, directory: Path = MODEL_DIR) -> DomainClassifier:
        with np.load(directory / "model.npz") as z:
            meta = json.loads(str(z["meta"]))
            coef = z["coef_q"].astype(np.float32) * z["coef_scale"][:, None]
            return cls(meta["labels"], z["idf"], coef, z["intercept"], meta["n_features"])

    def save(self, directory: Path, extra_meta: dict | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"labels": self.labels, "n_features": int(self.coef_t.shape[0]), **(extra_meta or {})}
        tmp = directory / "model.tmp.npz"
        # int8 weights with one scale per label keep the file under 1 MB; predictions barely move
        # (measured: same label for every training document, probabilities within 0.02).
        coef = self.coef_t.T
        scale = np.abs(coef).max(axis=1) / 127.0
        scale[scale == 0] = 1.0
        coef_q = np.round(coef / scale[:, None]).astype(np.int8)
        np.savez_compressed(tmp, idf=self.idf.astype(np.float16), coef_q=coef_q, coef_scale=scale.astype(np.float32),
                            intercept=self.intercept, meta=np.array(json.dumps(meta)))
        tmp.replace(directory / "model.npz")

    def features(self, texts: list[str]):
        x = self.vectorizer.transform([prepare(t) for t in texts])
        x.data = np.log1p(x.data)  # sublinear tf
        x = x.multiply(self.idf).tocsr()
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return x.multiply(1.0 / norms[:, None]).tocsr()

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        logits = np.asarray(self.features(texts) @ self.coef_t) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, texts: list[str]) -> list[DomainPrediction]:
        proba = self.predict_proba(texts)
        out = []
        for row in proba:
            scores = {lab: round(float(v), 4) for lab, v in zip(self.labels, row, strict=True)}
            out.append(DomainPrediction(self.labels[int(row.argmax())], scores))
        return out


_lock = threading.Lock()
_model: DomainClassifier | None = None


def get_classifier() -> DomainClassifier:
    """The shipped model, loaded once per process."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = DomainClassifier.load()
    return _model


def classify(texts: list[str]) -> list[DomainPrediction]:
    return get_classifier().predict(texts)
