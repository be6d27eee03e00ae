import numpy as np

from moli.text.search import BM25Index
from moli.text.segment import tokenize

DOCS = {
    "drug": "人工智能大模型辅助药物研发与靶点发现",
    "port": "智慧港口集装箱调度与智能交通运输",
    "wx": "气象预报、短临降水预警与气候数据服务",
    "gov": "政务服务热线工单分类与政策问答",
}


def test_tokenize_drops_punctuation_and_stopwords_and_folds_width():
    toks = tokenize("气象预报，和ＡＩ的应用。")
    assert "，" not in toks and "。" not in toks and "的" not in toks and "和" not in toks
    assert "ai" in toks and "气象" in toks


def test_search_ranks_the_relevant_document_first_and_explains():
    idx = BM25Index.build(list(DOCS), list(DOCS.values()))
    hits = idx.search("药物研发大模型", k=2)
    assert hits[0].id == "drug"
    assert "药物" in hits[0].matched_terms and "研发" in hits[0].matched_terms
    assert all(h.score > 0 for h in hits)


def test_search_respects_allowed_and_returns_nothing_for_unknown_terms():
    idx = BM25Index.build(list(DOCS), list(DOCS.values()))
    assert idx.search("港口调度", allowed={"drug", "wx"}) == []
    assert [h.id for h in idx.search("港口调度", allowed={"port"})] == ["port"]
    assert idx.search("量子计算机") == []


def test_scores_align_with_ids(tmp_path):
    idx = BM25Index.build(list(DOCS), list(DOCS.values()))
    s = idx.scores("气象预警")
    assert s.shape == (4,) and int(np.argmax(s)) == list(DOCS).index("wx")
    idx.save(tmp_path / "ix")
    again = BM25Index.load(tmp_path / "ix")
    assert np.allclose(again.scores("气象预警"), s)
    assert again.search("政策问答")[0].id == "gov"


def test_empty_texts_are_allowed():
    idx = BM25Index.build(["a", "b"], ["", "港口"])
    assert [h.id for h in idx.search("港口")] == ["b"]
