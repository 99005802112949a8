"""WIPO ST.66 and ST.96 XML gazette files, and WIPO Madrid notifications (the e-notification ``ENOTIF``
with its ``BIRTH`` transactions, and ROMARIN ``MARKGR`` records); ``record N`` is the N-th mark of the file.

A Madrid record is a designation of China: its international registration number, the WIPO Gazette
(number and publication date, on the record or on the notification) and the designation date are kept,
and the opposition period runs from the Gazette (``deadline.madrid_opposition_deadline``). A record that
does not designate China, and a transaction that is not a registration or designation (renewals,
changes of name, cancellations), are skipped with their reason.

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


MADRID_RECORDS = ("BIRTH", "MARKGR")
# other e-notification transactions: not a designation to watch
MADRID_OTHER = ("PROLONG", "NEWNAME", "NEWBASE", "RESTRICT", "DEATH", "CREATED", "PROCESSED", "CORRECTION",
                "LICENCE-NEWNAME", "LICENCE-BIRTH", "FINAL", "LIMIT", "RENUNCIATION", "CANCEL")


def sniff_xml_format(path: Path) -> str:
    """"st66", "st96" or "madrid" from the namespaces (or, failing that, the record element names)."""
    handle = _open_xml(path)
    try:
        for count, (_event, elem) in enumerate(safe_et.iterparse(handle, events=("start",))):
            ns, local = _split_tag(elem.tag)
            if local in ("ENOTIF", "MARKGR") or (local in MADRID_RECORDS and elem.get("INTREGN")):
                return "madrid"
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
        f"{path}: XML is neither WIPO ST.66, ST.96 nor a Madrid notification (no TradeMark/Trademark, "
        "ENOTIF/BIRTH or MARKGR element and no WIPO trademark namespace) (不是 WIPO ST.66/ST.96/马德里商标 XML)"
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
    m["agent"] = _first_representative(record)
    _st96_madrid(record, m)
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


def _st96_madrid(record: Element, m: dict[str, Any]) -> None:
    """An ST.96 record of an international registration: its number, the WIPO Gazette and the designation.
    Designations listed without China make the record one not to watch."""
    ir = _first_text(record, "InternationalRegistrationNumber", "InternationalRegistrationNumberText")
    if not ir:
        return
    designated = [_text(n).upper() for n, _ in _walk(record)
                  if "Designat" in _local(n.tag) and _local(n.tag).endswith(("CountryCode", "OfficeCode",
                                                                           "ContractingPartyCode"))
                  and _text(n)]
    if designated and "CN" not in designated:
        m["not_watched"] = "未指定中国 (does not designate China)"
    m["international_registration_no"] = ir
    for node, _ in _walk(record):
        if _local(node.tag) == "Publication":
            m["wipo_publication_date"] = _first_text(node, "PublicationDate")
            m["wipo_gazette"] = _first_text(node, "PublicationIdentifier")
            break
    m["wipo_gazette"] = _first_text(record, "GazetteNumber", "WIPOGazetteNumber") or m.get("wipo_gazette")
    m["designation_date"] = _first_text(record, "DesignationDate", "SubsequentDesignationDate",
                                        "InternationalRegistrationDate")
    if not m.get("filing_date"):
        m["filing_date"] = _first_text(record, "InternationalRegistrationDate")
    # the designation is known by its international registration, published in the WIPO Gazette
    m["office"], m["application_no"] = "WO", ir
    m.pop("gazette_issue", None)


# ---------------------------------------------------------------------------------------------
# WIPO Madrid notifications (ENOTIF / ROMARIN)
# ---------------------------------------------------------------------------------------------

_MADRID_DESIGNATIONS = ("DESAG", "DESPG", "DESPG2", "DESAG2", "DESG", "DESIGNATION")


def _madrid_mark_type(record: Element, text: str) -> str:
    names = {_local(n.tag) for n, _ in _walk(record)}
    if "THRDMAR" in names:
        return "3d"
    if "SOUMARI" in names:
        return "sound"
    if "COLMARI" in names and not text:
        return "colour"
    return "word" if text else "figurative"


def madrid_mapping(record: Element, notification: dict[str, str]) -> dict[str, Any]:
    """The GazetteRecord fields of one BIRTH / MARKGR element; `notification` the ENOTIF attributes."""
    a = record.attrib
    m: dict[str, Any] = {"office": "WO", "international_registration_no": a.get("INTREGN")}
    image = next((n for n, _ in _walk(record) if _local(n.tag) == "IMAGE"), None)
    text = (image.get("TEXT") if image is not None else None) or _first_text(record, "MARKVE", "MARKVERBAL",
                                                                            "WORDMARK") or ""
    m["mark"] = text.strip()
    m["mark_type"] = _madrid_mark_type(record, m["mark"])
    classes: list[str] = []
    goods: list[str] = []
    for node, _ in _walk(record):
        if _local(node.tag) == "GSGR" and node.get("NICCLAI"):
            if node.get("NICCLAI") not in classes:
                classes.append(node.get("NICCLAI", ""))
            for term in _children(node, "GSTERMEN", "GSTERMFR", "GSTERMES"):
                goods.extend(p.strip() for p in re.split(r"[;；]", _text(term)) if p.strip().strip("."))
                break
    m["classes"], m["goods"] = classes, [g.rstrip(".") for g in goods]
    holder = next((n for n, _ in _walk(record) if _local(n.tag) == "HOLGR"), None)
    if holder is not None:
        m["applicant"] = " ".join(_text(n) for n, _ in _walk(holder) if _local(n.tag) == "NAMEL" and _text(n)) or None
        lines = [_text(n) for n, _ in _walk(holder) if _local(n.tag) == "ADDRL" and _text(n)]
        country = _first_text(holder, "COUNTRY")
        m["applicant_address"] = ", ".join(lines + ([country] if country else [])) or None
    else:
        country = None
    designated = [_text(n).upper() for n, p in _walk(record)
                  if _local(n.tag) == "DCPCD" and p is not None and _local(p.tag) in _MADRID_DESIGNATIONS]
    addressee = (notification.get("CPCD") or "").upper()
    if (designated and "CN" not in designated) or (not designated and addressee and addressee != "CN"):
        m["not_watched"] = "未指定中国 (does not designate China)"
    subsequent = (a.get("TRANTYP", "").upper().startswith("EX")
                  or any(_local(n.tag) in ("DESPG2", "DESAG2") for n, _ in _walk(record)))
    m["designation_date"] = a.get("DESDATE") or (a.get("REGEDAT") if subsequent else a.get("INTREGD"))
    m["filing_date"] = a.get("INTREGD")
    m["wipo_gazette"] = a.get("GAZNO") or notification.get("GAZNO")
    m["wipo_publication_date"] = a.get("PUBDATE") or notification.get("PUBDATE") or ""
    m["refs"] = {k: v for k, v in (("DOCID", a.get("DOCID")), ("OOCD", a.get("OOCD")),
                                    ("TRANTYP", a.get("TRANTYP")), ("holder_country", country),
                                    ("image", image.get("NAME") if image is not None else None)) if v}
    return m


def iter_madrid_items(path: Path) -> Iterator[ParsedItem]:
    count = 0
    notification: dict[str, str] = {}
    depth = 0
    record_depth: int | None = None
    handle = _open_xml(path)
    try:
        for event, elem in safe_et.iterparse(handle, events=("start", "end")):
            local = _local(elem.tag)
            if event == "start":
                depth += 1
                if local == "ENOTIF":
                    notification = dict(elem.attrib)
                if record_depth is None and (local in MADRID_RECORDS or local in MADRID_OTHER):
                    record_depth = depth
                continue
            if depth == record_depth:
                count += 1
                raw = tostring(elem, encoding="unicode")
                locator = f"record {count}"
                if local in MADRID_OTHER:
                    yield ParsedItem(locator, raw, None, None,
                                     skipped=f"WIPO {local} (不是指定中国的国际注册 / not a designation)")
                else:
                    yield _item(locator, raw, madrid_mapping(elem, notification))
                elem.clear()
                record_depth = None
            depth -= 1
    except (DefusedXmlException, ParseError) as exc:
        failure = _xml_failure(path, exc)
        if count == 0:
            raise failure from None
        line = getattr(exc, "position", (0, 0))[0]
        yield ParsedItem(f"line {line}", "", None, f"XML breaks off after record {count} (文件可能不完整): {failure}")
    finally:
        handle.close()


def _item(locator: str, raw: str, mapping: dict[str, Any]) -> ParsedItem:
    """The record of a mapping, or why it is set aside or skipped (a mark not to watch)."""
    reason = mapping.pop("not_watched", None)
    if reason:
        return ParsedItem(locator, raw, None, None, skipped=reason)
    try:
        return ParsedItem(locator, raw, gazette_record_from_mapping(mapping), None)
    except RecordError as exc:
        return ParsedItem(locator, raw, None, str(exc))


def _first_representative(record: Element) -> str | None:
    """The name of the first representative (the agency, 代理机构) with one: ST.66 RepresentativeDetails,
    ST.96 NationalRepresentative or RepresentativeBag."""
    for node, _ in _walk(record):
        if _local(node.tag) in ("Representative", "NationalRepresentative"):
            name = _party_name(node)
            if name:
                return name
    return None


def _record_item(number: int, raw: str, mapping: dict[str, Any]) -> ParsedItem:
    return _item(f"record {number}", raw, mapping)


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
