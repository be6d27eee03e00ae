from moli.text.normalize import (
    collapse_cjk_whitespace,
    has_traditional,
    normalize_text,
    normalize_width,
    remove_control_chars,
    to_simplified,
)


def test_width_keeps_chinese_punctuation_but_folds_letters_and_digits():
    assert normalize_width("ＡＢＣ１２３，数据！（安全）？……") == "ABC123，数据！（安全）？……"


def test_control_and_zero_width_characters_are_removed():
    assert remove_control_chars("数据\u200b安全\x07法\r\n第一条") == "数据安全法\n第一条"


def test_whitespace_inside_chinese_is_removed_and_broken_lines_joined():
    text = "　　第一条　为了规范数据处理活动，\n保障数据安全。\n\n\n\n第二条 本法 适用 于 境内。"
    assert collapse_cjk_whitespace(text) == "第一条为了规范数据处理活动，保障数据安全。\n\n第二条本法适用于境内。"


def test_english_words_keep_their_spaces():
    assert normalize_text("Data Security Law 数据 安全") == "Data Security Law 数据安全"


def test_t2s_only_touches_traditional_text():
    assert has_traditional("中華人民共和國") and not has_traditional("中华人民共和国")
    assert to_simplified("中華人民共和國憲法") == "中华人民共和国宪法"
    assert normalize_text("國務院關於", t2s=True) == "国务院关于"
    assert normalize_text("國務院", t2s=False) == "國務院"
