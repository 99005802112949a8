"""Gazette file readers (商标公告文件读取): JSON Lines, JSON (the gazette site's list export), CSV/TSV,
XLSX, WIPO ST.66 and ST.96 XML, and WIPO Madrid notifications of designations of China.

Every reader yields one ``ParsedItem`` per record. A bad record becomes an error item with a
bilingual reason and the reader goes on; a record that is not watched (another announcement type,
a designation of another country) becomes a skipped item with its reason; only a file that cannot be
read at all (unknown format, undecodable text, XML that is not well-formed or declares entities)
raises ``FileFormatError``. Rows in the gazette site's own field names (regNo, tmName, anncIssue…)
are read without any mapping (``cnipa``).

Locators are what a clerk sees in an editor: ``line N`` is the physical line of a JSON Lines
file, ``row N`` the spreadsheet row (the header is row 1), ``record N`` the N-th mark of an XML
file. The readers by format are ``tables`` and ``wipo_xml``; the field parsers they share with the
watchlist reader are in ``fields``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from markwatch.errors import FileFormatError, RecordError
from markwatch.model import GazetteRecord
from markwatch.sources.cnipa import SITE_FIELDS, JsonRows, loose_place, site_row
from markwatch.sources.decoding import read_text_file
from markwatch.sources.fields import (
    GAZETTE_KEYS,
    NotWatched,
    ParsedItem,
    RawRow,
    gazette_record_from_mapping,
    normalise_key,
)
from markwatch.sources.tables import (
    EXTENSIONS,
    check_readable,
    iter_table_rows,
    jsonl_lines,
    jsonl_rows,
    table_format_for,
)
from markwatch.sources.wipo_xml import iter_madrid_items, iter_xml_items, sniff_xml_format


def detect_format(path: Path) -> str:
    """One of FORMATS for a gazette file, by extension and, for XML, by its namespaces."""
    path = Path(path)
    check_readable(path)
    fmt = table_format_for(path, set(EXTENSIONS.values()))
    return sniff_xml_format(path) if fmt == "xml" else fmt



_SITE_NUMBER = normalise_key(next(k for k, v in SITE_FIELDS.items() if v == "application_no"))


def _gazette_header_check(path: Path) -> Callable[[list[str]], None]:
    def check(header: list[str]) -> None:
        fields = {GAZETTE_KEYS.get(normalise_key(h)) for h in header}
        names = {normalise_key(h) for h in header}
        if "application_no" not in fields and _SITE_NUMBER not in names and "international_registration_no" not in fields:
            shown = ", ".join(repr(h) for h in header if h) or "(none)"
            raise FileFormatError(
                f"{path}: the header has no application_no / 申请号 column (found {shown}); "
                "is the delimiter right? (表头缺少申请号列)"
            )

    return check


def record_from_mapping(m: Mapping[str, Any]) -> GazetteRecord:
    """One record from a row in canonical, Chinese-header or the gazette site's own field names.
    RecordError when it is unusable, NotWatched when it is not a record to watch."""
    return gazette_record_from_mapping(site_row(m))


def item_from_mapping(locator: str, raw: str, mapping: Mapping[str, Any]) -> ParsedItem:
    try:
        record = record_from_mapping(mapping)
    except NotWatched as exc:
        return ParsedItem(locator, raw, None, None, skipped=str(exc))
    except RecordError as exc:
        issue, page = loose_place(mapping)
        return ParsedItem(locator, raw, None, str(exc), issue=issue, page_no=page)
    return ParsedItem(locator, raw, record, None)


def _items_from_rows(rows: Iterable[RawRow]) -> Iterator[ParsedItem]:
    for row in rows:
        if row.mapping is None:
            yield ParsedItem(row.locator, row.raw, None, row.error)
            continue
        yield item_from_mapping(row.locator, row.raw, row.mapping)


class GazetteItems:
    """The items of one gazette file, and notes about the file as a whole (rows the export declares but
    does not hold, listing pages missing), complete once the items have been read."""

    def __init__(self, items: Iterable[ParsedItem], notes: list[str] | None = None):
        self._items = items
        self.notes = notes if notes is not None else []

    def __iter__(self) -> Iterator[ParsedItem]:
        return iter(self._items)


class GazetteLines:
    """A JSON Lines gazette file as its numbered lines, read whole: any run of them is parsed on its own
    (`items`), so the work on a large file can be shared out in runs and the results taken in file order."""

    def __init__(self, path: Path):
        self.lines = jsonl_lines(read_text_file(Path(path)))

    def __len__(self) -> int:
        return len(self.lines)

    def items(self, start: int = 0, stop: int | None = None) -> Iterator[ParsedItem]:
        """The parsed items of lines[start:stop]."""
        return _items_from_rows(jsonl_rows(self.lines[start:stop]))


def read_gazette_lines(path: Path) -> GazetteLines | None:
    """The file as GazetteLines when it is JSON Lines (the format whose records stand one to a line);
    None for the others, read by `read_gazette_file` only."""
    path = Path(path)
    return GazetteLines(path) if detect_format(path) == "jsonl" else None


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def read_gazette_file(path: Path) -> GazetteItems:
    """Parsed items of a gazette file, choosing the reader by extension (and XML namespaces).

    Unknown, missing or unreadable files raise FileFormatError at call time; bad records come
    back as error items while iteration goes on.
    """
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "madrid":
        return GazetteItems(iter_madrid_items(path))
    if fmt in ("st66", "st96"):
        return GazetteItems(iter_xml_items(path, fmt))
    if fmt == "jsonl":
        return GazetteItems(GazetteLines(path).items())
    if fmt == "json":
        rows = JsonRows(path)
        return GazetteItems(_items_from_rows(rows), rows.notes)
    return GazetteItems(_items_from_rows(iter_table_rows(path, fmt, check_header=_gazette_header_check(path))))
