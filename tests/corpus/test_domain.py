import json

import pytest
from typer.testing import CliRunner

from moli.cli import app
from moli.core.errors import ConfigError
from moli.corpus.document import Document
from moli.corpus.domain import DOMAINS, get_classifier
from moli.corpus.steps import get_step_class

LAW = "# 上海市气象灾害防御办法\n第一条 为了加强气象灾害的防御，避免、减轻气象灾害造成的损失，制定本办法。台风、暴雨、高温预警信号发布。"
MED = "高血压患者能不能吃阿司匹林？医生说要长期服药控制血压，心血管科门诊复查。"


def test_model_outputs_a_distribution_over_the_seven_labels():
    preds = get_classifier().predict([LAW, MED, ""])
    assert [set(p.scores) for p in preds] == [set(DOMAINS)] * 3
    for p in preds:
        assert sum(p.scores.values()) == pytest.approx(1.0, abs=1e-3)
        assert p.domain == max(p.scores, key=p.scores.get)
    assert preds[0].domain == "meteorology"
    assert preds[1].domain == "biomedicine"


def test_domain_step_annotates_and_keeps_only_chosen_domains():
    step_cls = get_step_class("domain")
    docs = [Document("law", LAW), Document("med", MED)]
    kept, removed = step_cls(keep=["meteorology"]).process(docs)
    assert [d.id for d in kept] == ["law"]
    assert [(r.document.id, r.removed_by, r.reason) for r in removed] == [("med", "domain", "domain_not_kept")]
    assert kept[0].meta["domain"] == "meteorology" and set(kept[0].meta["domain_scores"]) == set(DOMAINS)


def test_domain_step_rejects_unknown_domains():
    with pytest.raises(ConfigError) as err:
        get_step_class("domain")(keep=["weather"])
    assert "weather" in str(err.value)


def test_classify_cli_contract(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"doc": "x1", "body": LAW}, ensure_ascii=False) + "\n"
                   + json.dumps({"doc": "x2", "body": MED}, ensure_ascii=False) + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["corpus", "classify", "--input", str(src), "--field", "body", "--id-field", "doc"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["x1", "x2"]
    assert lines[0]["domain"] == "meteorology" and set(lines[0]["scores"]) == set(DOMAINS)


def test_classify_cli_names_the_bad_line(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"id": 1, "text": "港口"}\n{not json}\n', encoding="utf-8")
    res = CliRunner().invoke(app, ["corpus", "classify", "--input", str(src)])
    assert res.exit_code != 0
    assert "line 2" in str(res.exception) or "line 2" in res.output
    ok = CliRunner().invoke(app, ["corpus", "classify", "--input", str(src), "--skip-bad"])
    assert ok.exit_code == 0 and len(ok.stdout.strip().splitlines()) == 1


def test_long_laws_are_trained_on_window_by_window():
    from moli.corpus.domain import MAX_CHARS
    from moli.corpus.train_domain import with_law_windows

    body = "".join(f"第{i}条 公路养护应当保障安全畅通。" for i in range(800))
    law = {"text": "公路法\n" + body, "label": "transportation", "group": "law:g1", "set": "laws"}
    title = {"text": "股市早报：沪指高开" * 400, "label": "finance_trade", "group": "t1", "set": "thucnews_titles"}
    out = with_law_windows([law, title])
    windows = out[2:]
    assert out[:2] == [law, title]  # the originals first, unchanged; only laws get windows
    assert len(windows) == (len(law["text"]) - 500 - 1) // MAX_CHARS
    assert all(w["text"].startswith("公路法\n") and w["label"] == "transportation" and w["group"] == "law:g1"
               for w in windows)
    assert windows[0]["text"][len("公路法\n"):] == law["text"][MAX_CHARS:2 * MAX_CHARS]


def test_ngrams_of_a_single_training_text_get_idf_zero():
    from moli.corpus.train_domain import N_FEATURES, fit_idf

    idf = fit_idf(["台风暴雨预警", "台风登陆沿海", "股市大涨鳄鱼"], list(DOMAINS))
    model = get_classifier()
    chars, words = model.vectorizers

    def columns(text, block=chars, offset=0):
        return block.transform([text]).indices + offset

    assert (idf[columns("台风")] > 0).all()  # 台, 风, 台风: in two texts
    assert (idf[columns("鳄鱼")] == 0).all()  # in one text only
    assert (idf[columns("台风", words, N_FEATURES)] > 0).all() and idf[columns("鳄鱼", words, N_FEATURES)] == 0
    assert idf[columns("雪")] == 0  # never seen


def test_a_regulations_title_decides_its_domain():
    from moli.corpus.domain import title_rules

    rules = title_rules()
    body = "\n第一条 为了规范管理，制定本条例。\n第二条 本条例适用于本行政区域。"
    assert rules.domain_of("# 浙江省航空港口管理条例" + body) == "transportation"  # first match: 航空 before 港口's peers
    assert rules.domain_of("# 上海市气象灾害防御办法" + body) == "meteorology"
    assert rules.domain_of("上海市药品和医疗器械监督管理条例（试行）" + body) == "biomedicine"
    # 环境卫生 is sanitation, not medicine; a title without any keyword is left to the model
    assert rules.domain_of("# 上海市市容环境卫生管理条例" + body) is None
    assert rules.domain_of("# 上海市养老服务条例" + body) is None
    # not a regulation: a method's title ends in 法, a news headline has no articles
    assert rules.domain_of("# 一种交通流量预测方法\n第一条") is None
    assert rules.domain_of("交通运输部发布道路运输新规定") is None
    # the rule's domain wins and the scores stay a distribution
    pred = get_classifier().predict(["# 上海市道路运输管理条例" + body])[0]
    assert pred.domain == "transportation" and pred.scores["transportation"] >= 0.75
    assert sum(pred.scores.values()) == pytest.approx(1.0, abs=1e-3)


def test_a_bad_title_rule_file_is_named(tmp_path):
    from moli.corpus.domain import TitleRules

    bad = tmp_path / "rules.yaml"
    bad.write_text("title_pattern: '(法'\nbody_pattern: x\nweight: 1\nrules: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="rules.yaml"):
        TitleRules.load(bad)
    bad.write_text("title_pattern: 法$\nbody_pattern: x\nweight: 1\nrules: [{domain: weather, keywords: [气象]}]\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError, match="weather"):
        TitleRules.load(bad)


def test_a_regulation_without_a_listed_keyword_is_classified_by_its_title(tmp_path):
    from moli.corpus.domain import DomainClassifier
    from moli.corpus.train_domain import fit_title_model

    labels = list(DOMAINS)
    body = "\n第一条 为了规范管理，制定本条例。\n第二条 本条例适用于本行政区域。"
    laws = [{"text": f"# {t}" + body, "label": lab, "group": t, "set": "laws"} for t, lab in (
        ("某市母婴保健条例", "biomedicine"), ("某省母婴保健办法", "biomedicine"), ("某市职业病防治保健规定", "biomedicine"),
        ("某市文物保护条例", "other"), ("某省古树名木保护条例", "other"), ("某市湿地保护条例", "other"))]
    news = [{"text": "保健品市场火爆", "label": "finance_trade", "group": "n", "set": "tnews_titles"}]
    title_model = fit_title_model(laws + news, labels)
    assert title_model is not None and title_model.intercept[labels.index("meteorology")] < -10  # no such title
    shipped = get_classifier()
    model = DomainClassifier(labels, shipped.idf, shipped.coef_t.T, shipped.intercept, shipped.n_features,
                             shipped.n_word_features, title_model)
    model.save(tmp_path)
    model = DomainClassifier.load(tmp_path)  # the title model travels in model.npz
    q = model.title_model.predict_proba(["某县母婴保健条例", "某县名木保护条例"])
    assert q[0].argmax() == labels.index("biomedicine") and q[1].argmax() == labels.index("other")
    reg, headline, listed = model.predict_proba(["# 某县母婴保健条例" + body, "某县母婴保健条例", "# 某县气象条例" + body])
    alone = DomainClassifier(labels, shipped.idf, shipped.coef_t.T, shipped.intercept, shipped.n_features,
                             shipped.n_word_features).predict_proba(["# 某县母婴保健条例" + body, "某县母婴保健条例"])
    # a regulation with no listed keyword: the title model's view is added with the rules' weight
    expected = (alone[0] + 3.0 * model.title_model.predict_proba(["某县母婴保健条例"])[0]) / 4.0
    assert reg == pytest.approx(expected, abs=1e-5)
    assert headline == pytest.approx(alone[1], abs=1e-6)  # not a regulation (no article): the model alone
    assert listed.argmax() == labels.index("meteorology")  # a listed keyword still decides first
