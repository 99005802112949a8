"""WIPO ST.66 and ST.96 XML gazette files; ``record N`` is the N-th mark of the file.

Entities and DTDs are refused (defusedxml); multi-byte Chinese encodings declared in the prolog are
decoded by Python."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError, tostring

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from markwatch.errors import FileFormatError, RecordError
from markwatch.sources.fields import ParsedItem, gazette_record_from_mapping, parse_mark_type

# ---------------------------------------------------------------------------------------------
# WIPO XML (ST.66 and ST.96)
# ---------------------------------------------------------------------------------------------

_ST66_NS = "http://www.wipo.int/standards/xmlschema/trademarks"
_ST96_NS = re.compile(r"st96|/xmlschema/trademark/\d", re.IGNORECASE)
_SNIFF_LIMIT = 20000  # start tags to look at before giving up on an XML file

# expat decodes only UTF-8/16 and single-byte encodings itself; multi-byte Chinese encodings
# declared in the prolog are decoded by Python first.
_XML_DECL_ENCODING = re.compile(
    rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.\-]+)["']""")
_PYTHON_DECODED_XML = {"gbk", "gb2312", "gb18030", "cp936", "big5", "big5hkscs", "euc-cn", "hz"}


def _open_xml(path: Path) -> BinaryIO:
    try:
        handle = path.open("rb")
        head = handle.read(512)
        handle.seek(0)
    except OSError as exc:
        raise FileFormatError(f"{path}: cannot read the file: {exc.strerror or exc} (文件无法读取)") from None
    match = _XML_DECL_ENCODING.match(head)
    if match and match.group(1).decode("ascii").lower() in _PYTHON_DECODED_XML:
        encoding = match.group(1).decode("ascii")
        with handle:
            data = handle.read()
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise FileFormatError(
                f"{path}: the XML says encoding={encoding!r} but is not (XML 编码声明与内容不符)") from None
        utf8_declaration = '<?xml version="1.0" encoding="UTF-8"?>'
        text = re.sub(r"""^\ufeff?\s*<\?xml[^>]*\?>""", utf8_declaration, text, count=1)
        return io.BytesIO(text.encode("utf-8"))
    return handle


def _xml_failure(path: Path, exc: Exception) -> FileFormatError:
    if isinstance(exc, (EntitiesForbidden, ExternalReferenceForbidden, DTDForbidden)):
        what = "an external entity" if getattr(exc, "system_id", None) else "an entity"
        if isinstance(exc, ExternalReferenceForbidden):
            what = "an external reference"
        if isinstance(exc, DTDForbidden):
            what = "a DTD"
        return FileFormatError(
            f"{path}: the XML declares {what} ({exc}); markwatch refuses DTD entities because they allow "
            "entity-expansion bombs and reading local or remote files. Remove the <!DOCTYPE ...> "
            "entity declarations (XML 含实体声明，出于安全原因拒绝解析)"
        )
    if isinstance(exc, ParseError):
        line, column = getattr(exc, "position", (0, 0))
        return FileFormatError(
            f"{path}: not well-formed XML at line {line}, column {column + 1}: {exc} (XML 格式错误)"
        )
    return FileFormatError(f"{path}: cannot parse the XML: {exc} (XML 无法解析)")


def _split_tag(tag: Any) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _local(tag: Any) -> str:
    return _split_tag(tag)[1]


def sniff_xml_format(path: Path) -> str:
    """"st66" or "st96" from the namespaces (or, failing that, the record element names)."""
    handle = _open_xml(path)
    try:
        for count, (_event, elem) in enumerate(safe_et.iterparse(handle, events=("start",))):
            ns, local = _split_tag(elem.tag)
            ns_lower = ns.lower().rstrip("/")
            if ns_lower == _ST66_NS or local == "TradeMark":
                return "st66"
            if _ST96_NS.search(ns) or local in ("Trademark", "TrademarkBag"):
                return "st96"
            if count >= _SNIFF_LIMIT:
                break
    except (DefusedXmlException, ParseError) as exc:
        raise _xml_failure(path, exc) from None
    finally:
        handle.close()
    raise FileFormatError(
        f"{path}: XML is neither WIPO ST.66 nor ST.96 (no TradeMark/Trademark element and no WIPO "
        "trademark namespace) (不是 WIPO ST.66/ST.96 商标 XML)"
    )


def _children(elem: Element, *names: str) -> list[Element]:
    return [c for c in elem if _local(c.tag) in names]


def _walk(elem: Element) -> Iterator[tuple[Element, Element | None]]:
    """Descendants with their parents, skipping national extension blocks (…Ext, assignments,
    prosecution history): they repeat names such as EntityName or ClassNumber with other meanings."""
    stack: list[tuple[Element, Element | None]] = [(elem, None)]
    while stack:
        node, parent = stack.pop()
        yield node, parent
        for child in reversed(list(node)):
            local = _local(child.tag)
            if local.endswith("Ext") or local in ("MarkEventDetails", "MarkEventBag", "AssignmentBag"):
                continue
            stack.append((child, node))


def _text(elem: Element | None) -> str:
    return (elem.text or "").strip() if elem is not None else ""


def _first_text(elem: Element, *names: str) -> str | None:
    for node, _ in _walk(elem):
        if _local(node.tag) in names and _text(node):
            return _text(node)
    return None


def _leaf_texts(elem: Element) -> list[str]:
    return [_text(n) for n, _ in _walk(elem) if len(n) == 0 and _text(n)]


def _party_name(party: Element) -> str | None:
    for names in (("EntityName",), ("OrganizationStandardName",), ("PersonFullName",)):
        found = _first_text(party, *names)
        if found:
            return found
    lines = [_text(n) for n, _ in _walk(party) if _local(n.tag) == "FreeFormatNameLine" and _text(n)]
    if lines:
        return " ".join(lines)
    parts = [_first_text(party, "FirstName"), _first_text(party, "LastName")]
    return " ".join(p for p in parts if p) or None


def _party_address(party: Element) -> str | None:
    for node, _ in _walk(party):
        if _local(node.tag) in ("Address", "PostalAddress", "FreeFormatAddress"):
            lines = _leaf_texts(node)
            if lines:
                return ", ".join(lines)
    return None


def _first_applicant(container: Element) -> tuple[str | None, str | None]:
    """Name and address of the first applicant (ApplicantDetails or ApplicantBag) — the gazette
    lists the filing party first; co-applicants follow it."""
    for node, _ in _walk(container):
        if _local(node.tag) == "Applicant":
            name = _party_name(node)
            if name:
                return name, _party_address(node)
    return None, None


_US_FEATURE_CODES = {"1": "word", "2": "figurative", "3": "combined", "4": "word", "5": "word"}


def _mark_type_from_feature(text: str | None) -> str | None:
    """ST.66 MarkFeature / ST.96 MarkFeatureCategory ("Word", "Figurative", "TYPESET WORD(S)"...)."""
    if not text:
        return None
    try:
        return parse_mark_type(text)
    except RecordError:
        pass
    lowered = text.lower()
    ordered = (
        ("3d", ("3-d", "3d", "three dimensional", "three-dimensional", "shape")),
        ("colour", ("colour", "color")),
        ("sound", ("sound",)),
        ("combined", ("combined", "composite", "design plus", "mixed", "word and figurative",
                      "includes word", "with word")),
        ("figurative", ("figurative", "design", "device", "image", "drawing")),
        ("word", ("word", "typeset", "standard character", "stylized", "stylised", "verbal", "letter")),
    )
    for mark_type, words in ordered:
        if any(w in lowered for w in words):
            return mark_type
    return None


def _xml_mapping(record: Element) -> dict[str, Any]:
    """The GazetteRecord fields of one ST.66 TradeMark / ST.96 Trademark element, by local names."""
    m: dict[str, Any] = {}
    office = _text(next(iter(_children(record, "RegistrationOfficeCode")), None))
    number_elems = _children(record, "ApplicationNumber")
    if number_elems:
        number = number_elems[0]
        m["application_no"] = _first_text(number, "ApplicationNumberText") or _text(number)
        office = office or (_first_text(number, "IPOfficeCode") or "")
    if office:
        m["office"] = office
    m["filing_date"] = _text(next(iter(_children(record, "ApplicationDate")), None)) or None
    mark = None
    for node, _ in _walk(record):
        if _local(node.tag) == "WordMarkSpecification":
            mark = _first_text(node, "MarkVerbalElementText")
            break
    m["mark"] = mark or _first_text(record, "MarkVerbalElementText") or ""

    mark_type = None
    for names in (("MarkFeature", "MarkFeatureCategory"), ("MarkCategory",)):
        mark_type = _mark_type_from_feature(_first_text(record, *names))
        if mark_type:
            break
    if mark_type is None:
        code = (_first_text(record, "MarkFeatureCode") or "").rstrip("0") or None
        mark_type = _US_FEATURE_CODES.get(code or "")
    m["mark_type"] = mark_type or ("word" if m["mark"] else "figurative")

    classes: list[str] = []
    goods: list[str] = []
    for node, parent in _walk(record):
        local = _local(node.tag)
        if local == "ClassNumber" and _text(node):
            kind = _first_text(parent, "ClassificationKindCode") if parent is not None else None
            if kind and kind.lower() in ("domestic", "national"):
                continue
            if _text(node) not in classes:
                classes.append(_text(node))
        elif local in ("GoodsServicesDescription", "GoodsServicesDescriptionText") and _text(node):
            # English lists separate items with ";" and keep commas inside an item
            goods.extend(p.strip() for p in re.split(r"[;；、]", _text(node)) if p.strip())
    m["classes"] = classes
    m["goods"] = goods

    for node, _ in _walk(record):
        if _local(node.tag) == "Publication":
            m["publication_date"] = _first_text(node, "PublicationDate")
            identifier = _first_text(node, "PublicationIdentifier") or ""
            if re.fullmatch(r"(第\s*)?\d[\d./-]*(\s*期)?", identifier):
                m["gazette_issue"] = identifier
            break

    image, codes = _mark_image(record)
    if image:
        m["image"] = image
    if codes:
        m["vienna_codes"] = codes

    for container in _children(record, "ApplicantDetails", "ApplicantBag"):
        m["applicant"], m["applicant_address"] = _first_applicant(container)
        if m["applicant"]:
            break
    return m


_IMAGE_NAME = re.compile(r"(\.(png|jpe?g|gif|tiff?|bmp|pdf)(#\S*)?$)|^https?://", re.IGNORECASE)


def _mark_image(record: Element) -> tuple[str | None, list[str]]:
    """The first mark image's file name or URI and the Vienna codes of its categories: ST.96
    MarkImageBag/MarkImage (FileName, MarkImageCategory/CategoryCodeBag/CategoryCode), ST.66
    MarkImageDetails/MarkImage (MarkImageFilename or MarkImageURI, MarkImageCategory/CategoryCodeDetails)."""
    image: str | None = None
    codes: list[str] = []
    for node, _ in _walk(record):
        if _local(node.tag) != "MarkImage":
            continue
        name = _first_text(node, "FileName", "MarkImageFilename", "MarkImageURI", "MarkImageFileName")
        if image is None and name and _IMAGE_NAME.search(name):  # not "No image available"
            image = name
        for leaf, _parent in _walk(node):
            if _local(leaf.tag) == "CategoryCode" and _text(leaf) and _text(leaf) not in codes:
                codes.append(_text(leaf))
    return image, codes


def _record_item(number: int, raw: str, mapping: dict[str, Any]) -> ParsedItem:
    locator = f"record {number}"
    try:
        return ParsedItem(locator, raw, gazette_record_from_mapping(mapping), None)
    except RecordError as exc:
        return ParsedItem(locator, raw, None, str(exc))


def iter_xml_items(path: Path, fmt: str) -> Iterator[ParsedItem]:
    record_name = "TradeMark" if fmt == "st66" else "Trademark"
    depth = 0
    record_depth: int | None = None  # depth of the record element being read, if inside one
    count = 0
    # USPTO's ST.66 puts ApplicantDetails beside TradeMarkDetails, not inside TradeMark. Records
    # without their own applicant wait (in order) until their transaction element ends, then
    # take the applicant given at that level.
    pending: list[tuple[int, str, dict[str, Any]]] = []
    pending_depth = 0  # depth of the transaction element around the waiting records
    outer_applicant: tuple[str | None, str | None] = (None, None)
    applicant_scope: int | None = None  # depth of the element holding that outer applicant

    def flush() -> Iterator[ParsedItem]:
        for number, raw, mapping in pending:
            if not mapping.get("applicant") and outer_applicant[0]:
                mapping["applicant"], mapping["applicant_address"] = outer_applicant
            yield _record_item(number, raw, mapping)
        pending.clear()

    handle = _open_xml(path)
    try:
        for event, elem in safe_et.iterparse(handle, events=("start", "end")):
            local = _local(elem.tag)
            if event == "start":
                depth += 1
                if record_depth is None and local == record_name:
                    record_depth = depth
                continue
            if depth == record_depth and local == record_name:
                count += 1
                raw = tostring(elem, encoding="unicode")
                mapping = _xml_mapping(elem)
                elem.clear()  # keep memory flat on large gazettes
                record_depth = None
                if pending or not mapping.get("applicant"):
                    if not pending:
                        pending_depth = depth - 2
                    pending.append((count, raw, mapping))
                else:
                    yield _record_item(count, raw, mapping)
            elif record_depth is None and local in ("ApplicantDetails", "ApplicantBag"):
                name, address = _first_applicant(elem)
                if name and outer_applicant[0] is None:
                    outer_applicant, applicant_scope = (name, address), depth - 1
                elem.clear()
            else:
                if pending and depth <= pending_depth:
                    yield from flush()
                if applicant_scope is not None and depth <= applicant_scope:
                    outer_applicant, applicant_scope = (None, None), None
            depth -= 1
        yield from flush()
    except (DefusedXmlException, ParseError) as exc:
        failure = _xml_failure(path, exc)
        if count == 0:
            raise failure from None
        yield from flush()
        # the records before the break are good; the break itself becomes one error item
        line = getattr(exc, "position", (0, 0))[0]
        yield ParsedItem(f"line {line}", "", None,
                         f"XML breaks off after record {count} (文件可能不完整): {failure}")
    finally:
        handle.close()
