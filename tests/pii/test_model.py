"""The CRF: numpy inference equals crfsuite's own tagging; the shipped model finds names and addresses."""

import pycrfsuite
import pytest

from moli.pii import detect
from moli.pii import model as M
from moli.pii.fastcrf import FastCRF, export
from moli.pii.train import SETS, bio, load


@pytest.fixture(scope="module")
def tiny_crf(tmp_path_factory):
    trainer = pycrfsuite.Trainer(verbose=False)
    texts = []
    for name in ("peoples_daily_ner.jsonl", "cluener.jsonl"):
        for r in load(name, "train")[:60]:
            trainer.append(M.features(r["text"]), bio(r["text"], r["entities"], SETS[name]))
    trainer.set_params({"c1": 0.1, "c2": 0.01, "max_iterations": 10, "feature.possible_transitions": True})
    path = tmp_path_factory.mktemp("crf") / "tiny.crfsuite"
    trainer.train(str(path))
    tagger = pycrfsuite.Tagger()
    tagger.open(str(path))
    info = tagger.info()
    for name in ("peoples_daily_ner.jsonl", "cluener.jsonl", "msra_ner.jsonl"):
        texts += [r["text"] for r in load(name, "dev")[:60] if r["text"]]
    texts += ["联系人：欧阳娜娜，上官婉儿住在上海市浦东新区世纪大道100号。", "ABC def 123 ＡＢＣ１２３", "张",
              "İstanbul的张三住在北京市海淀区。"]
    return tagger, FastCRF(export(info.state_features, info.transitions, tagger.labels())), texts


def test_fastcrf_equals_crfsuite(tiny_crf):
    tagger, fast, texts = tiny_crf
    got = fast.tag(texts)
    want = [tagger.tag(M.features(t)) for t in texts]
    assert got == want
    assert any(lab != "O" for seq in want for lab in seq)  # the comparison is not trivially all-O


def test_shipped_model_finds_names_and_addresses():
    t = "联系人：王建国，电话13945671234。白雅宁是一位口腔卫生师，现居住于黑龙江省哈尔滨市南岗区中山路123号。"
    found = {(f.kind, f.text) for f in detect(t)}
    assert ("PERSON", "王建国") in found and ("PHONE", "13945671234") in found
    assert ("ADDRESS", "黑龙江省哈尔滨市南岗区中山路123号") in found
    # a smoke test of recall, not a figure (those are in benchmarks/bench_pii.py): most of these names
    sentences = {"李明昨天在北京会见了来访的代表团。": "李明", "记者张晓燕报道，": "张晓燕",
                 "据刘德华介绍，这部电影明年上映。": "刘德华", "总经理陈志强表示，公司将继续投资。": "陈志强",
                 "白雅宁是一位43岁的女性口腔卫生师。": "白雅宁"}
    hits = sum(("PERSON", name) in {(f.kind, f.text) for f in detect(s)} for s, name in sentences.items())
    assert hits >= 4, hits


def test_offsets_survive_characters_whose_lower_case_is_longer():
    t = "İİİ 联系人：王建国，电话13945671234。"
    assert ("PERSON", "王建国") in {(f.kind, t[f.start:f.end]) for f in detect(t)}
    assert len(M.features(t)) == len(t)


def test_cue_name_when_model_misses():
    found = [f for f in detect("姓名：闫小乙 性别：男", kinds={"PERSON"})]
    assert [f.text for f in found] == ["闫小乙"]


def test_chunks_cover_text_and_offsets():
    t = "第一句。" + "长" * 500 + "，尾巴！\n下一行"
    parts = M.chunks(t)
    assert all(t[b:b + len(s)] == s for b, s in parts)
    assert all(len(s) <= M.MAX_CHUNK for _, s in parts)
    assert "".join(s for _, s in parts) == t


def test_fastcrf_spans_equal_bio_reading(tiny_crf):
    tagger, fast, texts = tiny_crf
    want = [(i, lab, a, b) for i, t in enumerate(texts) for lab, a, b in M.spans_from_bio(tagger.tag(M.features(t)))]
    assert fast.spans(texts) == want


def test_seed_document_contact_block():
    """The seed document ends with a contact block; a published corpus must not carry it."""
    t = "联系人姓名：卿逸男\n\n联系电话：58788388-64516\n\n联系地址：浦东新区世纪大道2001号\n\n邮政编码：200135"
    found = {(f.kind, f.text) for f in detect(t)}
    assert {("PERSON", "卿逸男"), ("PHONE", "58788388-64516"), ("ADDRESS", "浦东新区世纪大道2001号")} <= found
    from moli.pii import redact

    assert redact(t, "tag").startswith("联系人姓名：[PERSON]\n\n联系电话：[PHONE]\n\n联系地址：[ADDRESS]")


def test_names_are_consistent_within_a_document():
    from moli.pii.detect import _consistent_names
    from moli.pii.findings import Finding

    t = "白雅宁是一位医生。联系人：白雅宁，电话13945671234。"
    found = _consistent_names(t, [Finding("PERSON", 13, 16, "白雅宁", source="crf")], [])
    assert sorted((f.start, f.end, f.text) for f in found) == [(0, 3, "白雅宁"), (13, 16, "白雅宁")]
    assert len(_consistent_names("中国银行", [Finding("PERSON", 0, 2, "中国", source="crf")], [])) == 1  # 中: no surname
    law = "康复训练。患者康复后出院，康复机构应当登记，康复费用由基金支付。"
    assert _consistent_names(law, [Finding("PERSON", 0, 2, "康复", source="crf")], []) == []  # 1 of 4: dropped
    cue = Finding("PERSON", 0, 2, "康复", source="cue")
    assert _consistent_names(law, [cue], [])[0] is cue  # a cue-based name is never dropped


def test_vectorised_gazetteer_equals_automaton_scan():
    import numpy as np

    from moli.pii.fastcrf import _gazetteer_keys, key_of
    from moli.pii.lexicons import division_tags

    texts = [r["text"] for r in load("cluener.jsonl", "dev")[:150]]
    texts += ["上海市浦东新区世纪大道2001号", "^^黑龙江省哈尔滨市南岗区$$^^北京$$", "欧阳", "京"]
    for t in texts:
        want = np.array([key_of(g) for g in division_tags(t)], dtype=np.uint64)
        assert np.array_equal(_gazetteer_keys(t), want), t
    assert any(key_of(g) for t in texts for g in division_tags(t))  # the gazetteer does fire


def test_word_codes_follow_jieba_words():
    t = "李鹏会见了 Smith。\n上海市浦东新区"
    codes = M.word_codes(t)
    assert len(codes) == len(t)
    starts = [i for i, c in enumerate(codes) if M.is_word_start(c)]
    assert 0 in starts and 1 not in starts  # 李鹏 is one word (nr)
    assert codes[0] != M.word_codes("会见")[0]  # a name and a verb get different codes
    assert M.word_codes("") == ""


def test_long_run_on_name_list_is_cut_between_words():
    """A 名单 with no punctuation longer than MAX_CHUNK is cut at a jieba word boundary, not inside a name."""
    run = "江泽民李鹏乔石李瑞环朱镕基刘华清胡锦涛丁关根田纪云李岚清李铁映吴邦国姜春云钱其琛温家宝" * 3
    codes = M.word_codes(run)
    parts = M.chunks(run, codes)
    assert len(parts) > 1 and "".join(s for _, s in parts) == run
    assert all(len(s) <= M.MAX_CHUNK for _, s in parts)
    assert all(M.is_word_start(codes[b]) for b, _ in parts)


def test_name_swaps_keep_spans_aligned():
    from moli.pii.train import name_swaps

    rec = {"id": "x", "text": "记者张三报道，李四在北京说。",
           "entities": [{"type": "PER", "start": 2, "end": 4, "text": "张三"},
                        {"type": "PER", "start": 7, "end": 9, "text": "李四"},
                        {"type": "LOC", "start": 10, "end": 12, "text": "北京"}]}
    out = name_swaps([rec], SETS["peoples_daily_ner.jsonl"], ["欧阳娜娜", "约翰·史密斯"], 2, "seed")
    assert len(out) == 2 and out == name_swaps([rec], SETS["peoples_daily_ner.jsonl"], ["欧阳娜娜", "约翰·史密斯"], 2, "seed")
    for r in out:
        assert all(r["text"][e["start"]:e["end"]] == e["text"] for e in r["entities"])
        assert [e["text"] for e in r["entities"] if e["type"] == "PER"] != ["张三", "李四"]
        assert r["text"].startswith("记者") and r["text"].endswith("说。") and "北京" in r["text"]


def test_run_on_name_list_is_read_name_by_name():
    t = "治丧委员会名单：李鹏乔石李瑞环彭真朱镕基刘华清胡锦涛。"
    names = [f.text for f in detect(t, kinds={"PERSON"})]
    assert names == ["李鹏", "乔石", "李瑞环", "彭真", "朱镕基", "刘华清", "胡锦涛"]
    assert M.name_list_words(M.word_codes("李鹏会见了朱镕基。")) == []  # two names in running text: no list


def test_name_list_with_parentheticals_and_split_surnames():
    from moli.pii.detect import name_lists

    t = "委员：王光英（女）程思远卢嘉锡吴阶平宋健李贵鲜陈俊生（藏族）彭珮云。克什克腾石阵景区很美。"
    lists = name_lists(t, M.word_codes(t))
    assert len(lists) == 1
    a, b, names = lists[0]
    assert t[a:b].startswith("王光英") and t[a:b].endswith("彭珮云")
    assert [t[s:e] for s, e in names][:3] == ["王光英", "程思远", "卢嘉锡"]
    assert all("（" not in t[s:e] for s, e in names)


def test_detect_many_equals_detect_across_batches(monkeypatch):
    import importlib

    from moli.pii import detect_many

    detect_mod = importlib.import_module("moli.pii.detect")
    texts = [r["text"] for r in load("cluener.jsonl", "dev")[:40]]
    texts += ["", "联系人：王建国，电话13945671234。", "委员：王光英程思远卢嘉锡吴阶平宋健李贵鲜陈俊生彭珮云。" * 3]
    want = [detect(t) for t in texts]
    monkeypatch.setattr(M, "BATCH_CHARS", 300)  # many CRF batches
    monkeypatch.setattr(detect_mod, "GROUP_CHARS", 700)  # and several groups of texts
    got = detect_many(texts)
    assert got == want
    assert any(f.kind == "PERSON" for fs in got for f in fs)
    assert detect_many(texts, kinds={"PHONE"}) == [detect(t, kinds={"PHONE"}) for t in texts]


def test_model_kinds_alone_do_not_report_numbers_as_names():
    t = "王建国，身份证号230103198008273629，邮箱taolixuan@example.com，电话13857123456。"
    persons = [f.text for f in detect(t, kinds={"PERSON"})]
    assert "王建国" in persons
    assert not any(ch.isdigit() or "@" in p for p in persons for ch in p) and "taolixuan" not in persons
    assert [f.kind for f in detect(t, kinds={"PERSON", "PHONE"}) if f.kind != "PERSON"] == ["PHONE"]


def test_items_of_a_name_list_are_names():
    from moli.pii.detect import _coordinated_names
    from moli.pii.findings import Finding

    def crf(text, *names):
        return [Finding("PERSON", text.index(n), text.index(n) + len(n), n, 0.9, None, True, "crf") for n in names]

    t = "前锋贝贝托、埃德蒙多、罗纳尔多和罗马里奥。"
    got = _coordinated_names(t, crf(t, "贝贝托", "罗纳尔多", "罗马里奥"), [])
    assert [(f.text, f.source) for f in got if f.source == "list"] == [("埃德蒙多", "list")]
    # fewer than half of the items are names: a list of offices stays as it is
    t = "会议由张三、李四、公安局、交通局、卫生部和财政部的代表参加。"
    assert _coordinated_names(t, crf(t, "张三", "李四"), []) == crf(t, "张三", "李四")
    # an item that ends like a place, or that another finding holds, is not made a name
    t = "王强、李明、赵刚、朝阳区和13945671234。"
    phone = [Finding("PHONE", t.index("1394"), t.index("1394") + 11, "13945671234", 0.9, True, True, "pattern")]
    got = _coordinated_names(t, crf(t, "王强", "李明", "赵刚"), phone)
    assert not [f for f in got if f.source == "list"]
