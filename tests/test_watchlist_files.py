"""Watchlist files (重点商标监测名单): YAML, CSV in GBK, XLSX, JSONL; error collection and grouping."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import Workbook

from markwatch.errors import FileFormatError, RecordError
from markwatch.model import Brand, Subscriber, WatchlistSpec
from markwatch.sources.watchlists import (
    parse_bool,
    parse_brand_mapping,
    parse_watchlist_mapping,
    read_watchlist_file,
    read_watchlist_file_with_errors,
)

HANGZHOU_YAML = """\
watchlist: 杭州市商标品牌指导站重点商标
organisation: 杭州市商标品牌指导站
organisation_kind: station          # station | association | admin
description: 本站重点保护商标
subscribers:
  - organisation: 杭州市食品行业协会
    email: alerts@example.org
    webhook: https://hooks.example.org/markwatch
  - email: clerk@example.org
brands:
  - brand_id: HZ-0001
    mark: 娃哈哈
    aliases: [WAHAHA]
    classes: [29, 30, 32]
    similar_groups: ["3202"]
    owner: 杭州娃哈哈集团有限公司
    kind: enterprise               # enterprise | collective | certification | geographical_indication
    key: true
    well_known: true
    threshold: 0.7                 # optional
    exclude_applicants: [杭州娃哈哈集团有限公司]   # optional exception rules
    exclude_words: []
  - brand_id: HZ-0002
    mark: 西湖龙井
    classes: [30]
    similar_groups: [0101, "3002"]
    kind: 地理标志
    key: 是
  - brand_id: HZ-0003
    mark: 張小泉
    aliases: [NO, 张小泉, ＺＨＡＮＧＸＩＡＯＱＵＡＮ]
    classes: "8；21"
    well_known: no
"""


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# -------------------------------------------------------------------------------------- YAML


def test_yaml_watchlist(tmp_path):
    (spec,) = read_watchlist_file(_write(tmp_path / "hangzhou.yaml", HANGZHOU_YAML))
    assert spec.name == "杭州市商标品牌指导站重点商标"
    assert spec.organisation == "杭州市商标品牌指导站"
    assert spec.organisation_kind == "station"
    assert spec.description == "本站重点保护商标"
    assert spec.subscribers == (
        Subscriber(organisation="杭州市食品行业协会", email="alerts@example.org",
                   webhook="https://hooks.example.org/markwatch"),
        Subscriber(organisation="杭州市商标品牌指导站", email="clerk@example.org", webhook=None),
    )
    wahaha, longjing, zhangxiaoquan = spec.brands
    assert wahaha == Brand(
        brand_id="HZ-0001", mark="娃哈哈", classes=(29, 30, 32), aliases=("WAHAHA",), similar_groups=("3202",),
        owner="杭州娃哈哈集团有限公司", kind="enterprise", key=True, well_known=True, threshold=0.7,
        exclude_applicants=("杭州娃哈哈集团有限公司",), exclude_words=())
    # unquoted 0101 stays a similar-group code instead of YAML 1.1 octal 65
    assert longjing.similar_groups == ("0101", "3002")
    assert longjing.kind == "geographical_indication" and longjing.key is True
    assert longjing.threshold is None and longjing.well_known is False
    # the brand word NO is not turned into a boolean; forms pass through unchanged
    assert zhangxiaoquan.aliases == ("NO", "张小泉", "ＺＨＡＮＧＸＩＡＯＱＵＡＮ")
    assert zhangxiaoquan.mark == "張小泉" and zhangxiaoquan.classes == (8, 21)


def test_yml_extension_and_gbk_yaml(tmp_path):
    (spec,) = read_watchlist_file(_write(tmp_path / "hz.yml", HANGZHOU_YAML, encoding="gbk"))
    assert spec.brands[0].mark == "娃哈哈"


def test_yaml_bom(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + HANGZHOU_YAML.encode("utf-8"))
    assert read_watchlist_file(path)[0].organisation == "杭州市商标品牌指导站"


BAD_BRANDS_YAML = """\
watchlist: 协会名单
organisation: 杭州市食品行业协会
organisation_kind: 协会
brands:
  - brand_id: A-1
    mark: 娃哈哈
    classes: [30]
  - brand_id: A-2
    mark: ""
    classes: [47]
  - brand_id: A-3
    mark: 农夫山泉
    clases: [32]
  - brand_id: A-1
    mark: 重复
  - brand_id: A-5
    mark: 康师傅
    threshold: 1.5
    key: maybe
  - just a string
  - brand_id: A-7
    mark: 今麦郎
"""


def test_yaml_bad_brands_are_collected_with_line_locators(tmp_path):
    path = _write(tmp_path / "assoc.yaml", BAD_BRANDS_YAML)
    specs, errors = read_watchlist_file_with_errors(path)
    (spec,) = specs
    assert spec.organisation_kind == "association"
    assert [b.brand_id for b in spec.brands] == ["A-1", "A-7"]
    found = dict(errors)
    assert list(found) == ["brand 2 (line 8)", "brand 3 (line 11)", "brand 4 (line 14)", "brand 5 (line 16)",
                           "brand 6 (line 20)"]
    assert "缺少商标名称" in found["brand 2 (line 8)"] and "class 47" in found["brand 2 (line 8)"]
    assert "unknown field 'clases'; did you mean 'classes'?" in found["brand 3 (line 11)"]
    assert "duplicate brand_id 'A-1'" in found["brand 4 (line 14)"]
    assert "brand 1 (line 5)" in found["brand 4 (line 14)"]
    assert "threshold 1.5" in found["brand 5 (line 16)"] and "key must be true/false" in found["brand 5 (line 16)"]
    assert "not a mapping" in found["brand 6 (line 20)"]


def test_read_watchlist_file_refuses_a_file_with_problems(tmp_path):
    path = _write(tmp_path / "assoc.yaml", BAD_BRANDS_YAML)
    with pytest.raises(FileFormatError) as info:
        read_watchlist_file(path)
    message = str(info.value)
    assert "5 problem(s)" in message
    assert "brand 2 (line 8)" in message and "brand 6 (line 20)" in message


@pytest.mark.parametrize(
    "text, locator, reason",
    [
        ("organisation: X\nbrands: []\n", "watchlist", "缺少监测名单名称"),
        ("watchlist: W\nbrands: []\n", "watchlist", "缺少所属单位"),
        ("watchlist: W\norganisation: X\norganisation_kind: club\n", "line 3", "单位类型无效"),
        ("watchlist: W\norganisation: X\nbrands: {a: 1}\n", "line 3", "brands must be a list"),
        ("watchlist: W\norganisation: X\nbrand:\n  - brand_id: 1\n    mark: A\n", "watchlist", "unknown field 'brand'; did you mean 'brands'?"),
        ("watchlist: W\norganisation: X\nsubscribers:\n  - email: not-an-address\n", "subscriber 1 (line 4)",
         "邮箱地址无效"),
        ("watchlist: W\norganisation: X\nsubscribers:\n  - organisation: Y\n", "subscriber 1 (line 4)",
         "缺少邮箱或 webhook"),
        ("watchlist: W\norganisation: X\nsubscribers:\n  - webhook: ftp://x\n", "subscriber 1 (line 4)",
         "webhook 地址无效"),
    ],
)
def test_yaml_watchlist_level_problems(tmp_path, text, locator, reason):
    specs, errors = read_watchlist_file_with_errors(_write(tmp_path / "w.yaml", text))
    assert any(loc == locator and reason in why for loc, why in errors), errors
    with pytest.raises(FileFormatError, match=re.escape(reason)):
        read_watchlist_file(tmp_path / "w.yaml")


def test_yaml_without_name_yields_no_spec(tmp_path):
    specs, errors = read_watchlist_file_with_errors(_write(tmp_path / "w.yaml", "organisation: X\n"))
    assert specs == [] and errors


@pytest.mark.parametrize(
    "text, match",
    [
        ("watchlist: [unclosed\n", "not valid YAML"),
        ("", "empty"),
        ("- a\n- b\n", "mapping"),
        ("watchlist: A\norganisation: X\n---\nwatchlist: B\norganisation: Y\n", "one watchlist"),
    ],
)
def test_unreadable_yaml_files(tmp_path, text, match):
    path = _write(tmp_path / "w.yaml", text)
    with pytest.raises(FileFormatError, match=match):
        read_watchlist_file_with_errors(path)


def test_subscriber_given_as_plain_strings(tmp_path):
    text = "watchlist: W\norganisation: X\nsubscribers: [a@example.org, 'https://hooks.example.org/x']\n"
    (spec,) = read_watchlist_file(_write(tmp_path / "w.yaml", text))
    assert spec.subscribers == (Subscriber("X", email="a@example.org"),
                                Subscriber("X", webhook="https://hooks.example.org/x"))


# -------------------------------------------------------------------------------- mappings


def test_parse_watchlist_mapping():
    spec = parse_watchlist_mapping({
        "watchlist": "行政名单", "organisation": "西湖区市场监督管理局", "organisation_kind": "市场监督管理局",
        "brands": [{"brand_id": "X1", "mark": "知味观", "classes": "第30类", "exclude_words": "知味;知味观"}],
    })
    assert spec == WatchlistSpec(
        name="行政名单", organisation="西湖区市场监督管理局", organisation_kind="admin",
        brands=(Brand(brand_id="X1", mark="知味观", classes=(30,), exclude_words=("知味", "知味观")),))


def test_parse_watchlist_mapping_reports_every_problem():
    with pytest.raises(RecordError) as info:
        parse_watchlist_mapping({"watchlist": "W", "organisation": "O", "brands": [
            {"brand_id": "1", "mark": "A"}, {"brand_id": "2"}, {"mark": "C", "classes": [99]}]})
    message = str(info.value)
    assert "brand 2: missing mark text" in message
    assert "brand 3: missing brand_id" in message and "class 99" in message


def test_parse_brand_mapping_defaults_and_aliases():
    brand = parse_brand_mapping({"编号": 12, "商标": "楼外楼", "类别": "43", "权利人": "楼外楼公司",
                                 "别名": "LOUWAILOU;楼外樓", "重点商标": "是", "驰名商标": "否",
                                 "商标种类": "集体商标", "阈值": "80%", "备注": "ignored"})
    assert brand == Brand(brand_id="12", mark="楼外楼", classes=(43,), aliases=("LOUWAILOU", "楼外樓"),
                          owner="楼外楼公司", kind="collective", key=True, well_known=False, threshold=0.8)
    bare = parse_brand_mapping({"brand_id": "B", "mark": "M"})
    assert (bare.classes, bare.kind, bare.key, bare.well_known, bare.threshold) == ((), "enterprise", False,
                                                                                    False, None)


def test_brand_applicant_names_keep_commas():
    brand = parse_brand_mapping({"brand_id": "B", "mark": "APPLE",
                                 "exclude_applicants": "Apple, Inc.;苹果电脑贸易（上海）有限公司"})
    assert brand.exclude_applicants == ("Apple, Inc.", "苹果电脑贸易（上海）有限公司")


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), ("true", True), ("FALSE", False), ("yes", True), ("No", False),
    ("是", True), ("否", False), ("1", True), ("0", False), (1, True), (0, False), ("", False), (None, False),
])
def test_parse_bool(value, expected):
    assert parse_bool(value, "key") is expected


def test_parse_bool_rejects_other_words():
    with pytest.raises(RecordError, match="key must be true/false"):
        parse_bool("perhaps", "key")


def test_brand_texts_over_the_limits_are_refused_not_truncated():
    with pytest.raises(RecordError, match="过长"):
        parse_brand_mapping({"brand_id": "B", "mark": "娃" * 101})
    with pytest.raises(RecordError, match="brand_id.*过长"):
        parse_brand_mapping({"brand_id": "HZ" * 51, "mark": "娃哈哈"})
    with pytest.raises(RecordError, match="exclude_words.*过长"):
        parse_brand_mapping({"brand_id": "B", "mark": "娃哈哈", "exclude_words": ["哈" * 101]})
    with pytest.raises(RecordError, match="条目过多"):
        parse_brand_mapping({"brand_id": "B", "mark": "娃哈哈", "aliases": [f"娃哈哈{i}" for i in range(51)]})
    at_limit = parse_brand_mapping({"brand_id": "B", "mark": "娃" * 100, "aliases": ["哈" * 100] * 50})
    assert len(at_limit.mark) == 100 and at_limit.aliases == ("哈" * 100,)


def test_control_characters_are_removed_from_brand_and_watchlist_names():
    brand = parse_brand_mapping({"brand_id": "B", "mark": "娃\n哈哈", "aliases": ["WA\r\nHAHA\x1b"],
                                 "owner": "杭州娃哈哈集团\t有限公司"})
    assert brand.mark == "娃 哈哈" and brand.aliases == ("WA HAHA",) and brand.owner == "杭州娃哈哈集团 有限公司"
    spec = parse_watchlist_mapping({"name": "杭州\n名单", "organisation": "杭州市商标品牌指导站",
                                    "brands": [{"brand_id": "B", "mark": "娃哈哈"}]})
    assert spec.name == "杭州 名单"


def test_brand_kind_and_threshold_validation():
    with pytest.raises(RecordError, match="商标种类无效"):
        parse_brand_mapping({"brand_id": "B", "mark": "M", "kind": "famous"})
    with pytest.raises(RecordError, match="阈值"):
        parse_brand_mapping({"brand_id": "B", "mark": "M", "threshold": "high"})
    with pytest.raises(RecordError, match="阈值"):
        parse_brand_mapping({"brand_id": "B", "mark": "M", "threshold": 0})


# ------------------------------------------------------------------------------------ tables

CN_HEADER = ["监测名单", "单位", "单位类型", "编号", "商标", "别名", "类别", "类似群", "权利人", "种类", "重点", "驰名",
             "阈值", "排除申请人", "备注"]
CN_ROWS = [
    ["重点商标", "杭州市商标品牌指导站", "指导站", "HZ-0001", "娃哈哈", "WAHAHA", "29,30,32", "3202",
     "杭州娃哈哈集团有限公司", "企业", "是", "是", "0.7", "杭州娃哈哈集团有限公司", "老字号"],
    ["协会名单", "杭州市食品行业协会", "协会", "XH-01", "知味观", '["ZHIWEIGUAN", "知味觀"]', "30；43", "", "",
     "集体商标", "否", "否", "", "", ""],
    ["重点商标", "杭州市商标品牌指导站", "", "HZ-0002", "西湖龙井", "", "30", "0101", "", "地理标志", "1", "0", "",
     "", ""],
    ["重点商标", "杭州市商标品牌指导站", "", "HZ-0003", "", "", "47", "", "", "", "maybe", "", "", "", ""],
    ["", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["协会名单", "杭州市食品行业协会", "指导站", "XH-02", "楼外楼", "", "43", "", "", "", "", "", "", "", ""],
    ["重点商标", "杭州市商标品牌指导站", "", "HZ-0001", "娃哈哈", "", "30", "", "", "", "", "", "", "", ""],
    ["", "杭州市商标品牌指导站", "", "HZ-0009", "张小泉", "", "8", "", "", "", "", "", "", "", ""],
]


def _check_table(specs: list[WatchlistSpec], errors: list[tuple[str, str]], row_name: str = "row") -> None:
    assert [(s.organisation, s.name) for s in specs] == [
        ("杭州市商标品牌指导站", "重点商标"), ("杭州市食品行业协会", "协会名单")]
    station, association = specs
    assert station.organisation_kind == "station" and association.organisation_kind == "association"
    assert [b.brand_id for b in station.brands] == ["HZ-0001", "HZ-0002"]
    assert [b.brand_id for b in association.brands] == ["XH-01"]
    wahaha, longjing = station.brands
    assert wahaha == Brand(
        brand_id="HZ-0001", mark="娃哈哈", classes=(29, 30, 32), aliases=("WAHAHA",), similar_groups=("3202",),
        owner="杭州娃哈哈集团有限公司", kind="enterprise", key=True, well_known=True, threshold=0.7,
        exclude_applicants=("杭州娃哈哈集团有限公司",))
    assert longjing.similar_groups == ("0101",) and longjing.kind == "geographical_indication"
    assert longjing.key is True and longjing.well_known is False
    (zhiweiguan,) = association.brands
    assert zhiweiguan.aliases == ("ZHIWEIGUAN", "知味觀") and zhiweiguan.classes == (30, 43)
    assert zhiweiguan.kind == "collective"
    found = dict(errors)
    n = (5, 7, 8, 9)  # row 6 is blank: skipped, still counted
    assert list(found) == [f"{row_name} {i}" for i in n]
    assert "class 47" in found[f"{row_name} {n[0]}"] and "缺少商标名称" in found[f"{row_name} {n[0]}"]
    assert "key must be true/false" in found[f"{row_name} {n[0]}"]
    assert "conflicts" in found[f"{row_name} {n[1]}"]
    assert "duplicate brand_id 'HZ-0001'" in found[f"{row_name} {n[2]}"]
    assert "缺少监测名单名称" in found[f"{row_name} {n[3]}"]


def _csv_text(header, rows, delimiter=",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    return buffer.getvalue()


def test_csv_in_gbk(tmp_path):
    path = _write(tmp_path / "名单.csv", _csv_text(CN_HEADER, CN_ROWS), encoding="gbk")
    _check_table(*read_watchlist_file_with_errors(path))


def test_csv_with_bom_and_tsv(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + _csv_text(CN_HEADER, CN_ROWS).encode("utf-8"))
    _check_table(*read_watchlist_file_with_errors(bom))
    tsv = _write(tmp_path / "w.tsv", _csv_text(CN_HEADER, CN_ROWS, delimiter="\t"))
    _check_table(*read_watchlist_file_with_errors(tsv))


def test_xlsx(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(CN_HEADER)
    for row in CN_ROWS:
        # numbers as spreadsheets store them: the class 30 and the threshold as numbers, 是 as text
        sheet.append([30 if cell == "30" else 0.7 if cell == "0.7" else (cell or None) for cell in row])
    path = tmp_path / "名单.xlsx"
    workbook.save(path)
    _check_table(*read_watchlist_file_with_errors(path))


def test_jsonl(tmp_path):
    lines = [json.dumps(dict(zip(CN_HEADER, row)), ensure_ascii=False) for row in CN_ROWS]
    lines[4] = ""  # the blank row becomes a blank line
    path = _write(tmp_path / "w.jsonl", "\n".join(["{broken", *lines]) + "\n")
    specs, errors = read_watchlist_file_with_errors(path)
    assert errors[0][0] == "line 1" and "不是有效的 JSON" in errors[0][1]
    # the remaining lines are the table rows shifted by one: row N of the CSV is line N here
    _check_table(specs, errors[1:], row_name="line")


def test_english_headers_and_list_forms(tmp_path):
    header = ["watchlist", "organisation", "organisation_kind", "brand_id", "mark", "aliases", "classes",
              "similar_groups", "key", "well_known", "exclude_words"]
    rows = [["W", "O", "admin", "1", "胡庆余堂", "HUQINGYUTANG|胡慶餘堂", "[5, 35]", '["0501", "3501"]', "yes", "no",
             "庆余;余堂"]]
    path = _write(tmp_path / "en.csv", _csv_text(header, rows))
    (spec,) = read_watchlist_file(path)
    (brand,) = spec.brands
    assert spec.organisation_kind == "admin"
    assert brand.aliases == ("HUQINGYUTANG", "胡慶餘堂") and brand.classes == (5, 35)
    assert brand.similar_groups == ("0501", "3501") and brand.exclude_words == ("庆余", "余堂")


def test_table_default_organisation_kind(tmp_path):
    header = ["watchlist", "organisation", "brand_id", "mark"]
    path = _write(tmp_path / "w.csv", _csv_text(header, [["W", "O", "1", "M"]]))
    assert read_watchlist_file(path)[0].organisation_kind == "station"


def test_table_header_without_required_columns(tmp_path):
    path = _write(tmp_path / "w.csv", _csv_text(["商标", "类别"], [["娃哈哈", "30"]]))
    with pytest.raises(FileFormatError, match="监测名单"):
        read_watchlist_file_with_errors(path)


def test_read_watchlist_file_raises_listing_table_errors(tmp_path):
    path = _write(tmp_path / "w.csv", _csv_text(CN_HEADER, CN_ROWS), encoding="gbk")
    with pytest.raises(FileFormatError) as info:
        read_watchlist_file(path)
    assert "4 problem(s)" in str(info.value) and "row 5" in str(info.value)


@pytest.mark.parametrize("name", ["w.txt", "w.xls", "w.json", "w"])
def test_unknown_watchlist_extension(tmp_path, name):
    path = _write(tmp_path / name, "watchlist: W\n")
    with pytest.raises(FileFormatError, match="unknown file type"):
        read_watchlist_file(path)


def test_missing_watchlist_file(tmp_path):
    with pytest.raises(FileFormatError, match="no such file"):
        read_watchlist_file(tmp_path / "absent.yaml")


def test_undecodable_watchlist_file(tmp_path):
    path = tmp_path / "w.csv"
    path.write_bytes(b"\x00\xff\xfe\x00binary")
    with pytest.raises(FileFormatError):
        read_watchlist_file(path)
