"""Gazette file readers (商标公告文件读取): JSON Lines, CSV/TSV, XLSX, WIPO ST.66 and ST.96 XML.

Every reader yields one ``ParsedItem`` per record. A bad record becomes an error item with a
bilingual reason and the reader goes on; only a file that cannot be read at all (unknown
format, undecodable text, XML that is not well-formed or declares entities) raises
``FileFormatError``.

Locators are what a clerk sees in an editor: ``line N`` is the physical line of a JSON Lines
file, ``row N`` the spreadsheet row (the header is row 1), ``record N`` the N-th mark of an XML
file. The readers by format are ``tables`` and ``wipo_xml``; the field parsers they share with the
watchlist reader are in ``fields``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from markwatch.errors import FileFormatError, RecordError
from markwatch.sources.fields import (
    GAZETTE_KEYS,
    ParsedItem,
    RawRow,
    gazette_record_from_mapping,
    normalise_key,
)
from markwatch.sources.tables import EXTENSIONS, check_readable, iter_table_rows, table_format_for
from markwatch.sources.wipo_xml import iter_xml_items, sniff_xml_format


def detect_format(path: Path) -> str:
    """One of FORMATS for a gazette file, by extension and, for XML, by its namespaces."""
    path = Path(path)
    check_readable(path)
    fmt = table_format_for(path, set(EXTENSIONS.values()))
    return sniff_xml_format(path) if fmt == "xml" else fmt



def _gazette_header_check(path: Path) -> Callable[[list[str]], None]:
    def check(header: list[str]) -> None:
        fields = {GAZETTE_KEYS.get(normalise_key(h)) for h in header}
        if "application_no" not in fields:
            shown = ", ".join(repr(h) for h in header if h) or "(none)"
            raise FileFormatError(
                f"{path}: the header has no application_no / 申请号 column (found {shown}); "
                "is the delimiter right? (表头缺少申请号列)"
            )

    return check


def _items_from_rows(rows: Iterable[RawRow]) -> Iterator[ParsedItem]:
    for row in rows:
        if row.mapping is None:
            yield ParsedItem(row.locator, row.raw, None, row.error)
            continue
        try:
            record = gazette_record_from_mapping(row.mapping)
        except RecordError as exc:
            yield ParsedItem(row.locator, row.raw, None, str(exc))
        else:
            yield ParsedItem(row.locator, row.raw, record, None)


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def read_gazette_file(path: Path) -> Iterator[ParsedItem]:
    """Parsed items of a gazette file, choosing the reader by extension (and XML namespaces).

    Unknown, missing or unreadable files raise FileFormatError at call time; bad records come
    back as error items while iteration goes on.
    """
    path = Path(path)
    fmt = detect_format(path)
    if fmt in ("st66", "st96"):
        return iter_xml_items(path, fmt)
    return _items_from_rows(iter_table_rows(path, fmt, check_header=_gazette_header_check(path)))
