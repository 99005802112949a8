"""The opposition pack of an alert (异议材料): everything a station needs to file within the window.

``opposition_pack`` gathers, as plain data, the opposed mark exactly as the gazette published it, the
opponent (the watched brand and its owner), the deadline with its rule and days left, a grounds outline
that follows from the alert's reasons, an evidence index, and the applicant's other alerts the caller can
see. ``documents.docx_pack`` and ``documents.pdf_pack`` lay it out.

Grounds (商标法):
- Art. 30 (近似商标): the reasons find the marks similar and the goods are the same or similar;
- Art. 13 (驰名商标): the brand is well known — para. 3 across dissimilar goods, para. 2 if unregistered;
- Art. 16 (地理标志): a geographical indication whose place name the mark takes;
- Art. 32 (在先权利): the brand is the owner's trade name (字号), a prior right the mark harms;
- Art. 15 (代理人、代表人抢注): the mark is (nearly) the brand itself — to be verified by the station,
  which alone knows of an agency or business relationship;
- Art. 4 (恶意申请): the same applicant files several copies — its other alerts are listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from markwatch.deadline import RULES
from markwatch.goods.table import mark_groups
from markwatch.ports import GoodsTable
from markwatch.service.alerts import STATUS_LABELS, gazette_page, get_alert
from markwatch.store.tables import AlertRow, GazetteMark

SIMILARITY_KINDS = {"sound", "look", "meaning", "translation", "contains", "order", "structure", "generic",
                    "traditional", "pinyin", "latin", "place", "repeated", "identical"}
KIND_LABELS = {"sound": "音近", "look": "形近", "meaning": "义近", "translation": "含义对应", "contains": "包含",
               "order": "颠倒", "structure": "结构", "generic": "加通用词", "traditional": "繁简",
               "pinyin": "拼音", "latin": "外文", "place": "地名", "repeated": "叠用", "identical": "相同",
               "goods": "商品", "exception": "例外"}
# an applicant with this many alerted marks (this one included) files copies: Art. 4
BAD_FAITH_COPIES = 3
MARK_TYPE_LABELS = {"word": "文字", "figurative": "图形", "combined": "组合", "3d": "立体", "colour": "颜色",
                    "sound": "声音"}


def _applicant_key(name: str | None) -> str:
    return "".join((name or "").split()).casefold()


def _other_alerts(s: Session, a: AlertRow, visible: Sequence[int] | None) -> list[dict]:
    applicant = a.gazette_mark.applicant
    if not applicant:
        return []
    q = (select(AlertRow).join(GazetteMark, AlertRow.gazette_mark_id == GazetteMark.id)
         .options(joinedload(AlertRow.gazette_mark), joinedload(AlertRow.brand))
         .where(GazetteMark.applicant == applicant, AlertRow.id != a.id).order_by(AlertRow.id))
    if visible is not None:
        q = q.where(AlertRow.watchlist_id.in_(list(visible) or [-1]))
    out, seen = [], set()
    for other in s.scalars(q).unique():
        if _applicant_key(other.gazette_mark.applicant) != _applicant_key(applicant):
            continue
        m = other.gazette_mark
        key = (m.office, m.application_no, other.brand.mark)
        if key in seen:
            continue
        seen.add(key)
        out.append({"alert_id": other.id, "mark": m.mark, "application_no": m.application_no,
                    "classes": list(m.classes or []), "brand": other.brand.mark,
                    "publication_date": m.publication_date.isoformat() if m.publication_date else None,
                    "status": STATUS_LABELS.get(other.status, other.status)})
    return out


def _grounds(a: AlertRow, others: list[dict], mark_groups: frozenset[str]) -> list[dict]:
    m, b = a.gazette_mark, a.brand
    kinds = {r.get("kind") for r in a.reasons or []}
    similar = sorted(kinds & SIMILARITY_KINDS)
    shared_classes = sorted(set(m.classes or []) & set(b.classes or [])) if b.classes else list(m.classes or [])
    shared_groups = sorted(mark_groups & set(b.similar_groups or []))
    similar_goods = bool(shared_classes or shared_groups)
    how = "、".join(KIND_LABELS.get(k, k) for k in similar) or "近似"
    grounds: list[dict] = []
    if similar and similar_goods:
        goods = ("类似群 " + "、".join(shared_groups)) if shared_groups else ("第" + "、".join(map(str, shared_classes)) + "类")
        grounds.append({"article": "商标法第三十条", "title": "同一种或者类似商品上与在先商标相同或者近似",
                        "basis": f"被异议商标与引证商标「{b.mark}」构成近似（{how}），指定商品与引证商标核定商品"
                                 f"相同或类似（{goods}），易使相关公众混淆误认。",
                        "status": "applicable"})
    if b.well_known:
        para = "第三款" if b.registration_no or not similar_goods else "第二款"
        grounds.append({"article": f"商标法第十三条{para}", "title": "复制、摹仿或者翻译他人驰名商标",
                        "basis": f"引证商标「{b.mark}」为驰名商标；被异议商标构成复制、摹仿或翻译"
                                 + ("，虽指定商品不相类似，仍误导公众、致使驰名商标注册人利益可能受到损害。"
                                    if not similar_goods else "，易导致混淆。"),
                        "status": "applicable"})
    if b.kind == "geographical_indication" and "place" in kinds:
        grounds.append({"article": "商标法第十六条第一款", "title": "含有地理标志而商品并非来源于该地区",
                        "basis": f"被异议商标含引证地理标志「{b.mark}」的地名，商品并非来源于该地区，误导公众。",
                        "status": "applicable"})
    if b.owner and b.mark and b.mark in b.owner:
        grounds.append({"article": "商标法第三十二条", "title": "损害他人现有的在先权利（在先字号权）",
                        "basis": f"「{b.mark}」为异议人{b.owner}的企业字号，被异议商标的注册将损害其在先字号权。",
                        "status": "applicable"})
    if (a.severity == "high" or "identical" in kinds) and _applicant_key(m.applicant) != _applicant_key(b.owner):
        grounds.append({"article": "商标法第十五条", "title": "代理人、代表人或有业务往来关系者抢注",
                        "basis": "被异议商标与引证商标相同或高度近似。如被异议人系异议人的代理人、代表人，"
                                 "或与异议人有合同、业务往来关系而明知引证商标存在，可依本条主张。",
                        "status": "to verify"})
    copies = len(others) + 1
    if copies >= BAD_FAITH_COPIES:
        grounds.append({"article": "商标法第四条", "title": "不以使用为目的的恶意商标注册申请",
                        "basis": f"被异议人{m.applicant}共有 {copies} 件商标与他人在先商标近似并被预警"
                                 "（见“同一申请人的其他预警”），具有批量抢注、囤积商标的恶意。",
                        "status": "applicable"})
    elif others:
        grounds.append({"article": "商标法第四条", "title": "不以使用为目的的恶意商标注册申请（辅助）",
                        "basis": f"被异议人另有 {len(others)} 件近似商标被预警，可作为恶意的佐证。",
                        "status": "to verify"})
    return grounds


def _evidence(a: AlertRow, page: dict | None, grounds: list[dict], others: list[dict]) -> list[dict]:
    m, b = a.gazette_mark, a.brand
    articles = " ".join(g["article"] for g in grounds)
    if m.procedure == "madrid":
        where = f"《国际商标公告》{m.wipo_gazette or ''}（{m.wipo_publication_date or ''}）"
        first = {"name": f"被异议国际注册商标公告（国际注册号 {m.international_registration_no or m.application_no}）",
                 "source": "世界知识产权组织《国际商标公告》", "proves": f"被异议商标指定中国的公告内容及指定商品；{where}",
                 "pages": ""}
    else:
        page_text = f"第{page['page_no']}页" if page and page.get("page_no") else ""
        first = {"name": f"被异议商标初步审定公告（第{m.gazette_issue or '?'}期{page_text}）",
                 "source": "国家知识产权局《商标公告》", "proves": "被异议商标的公告内容、申请人及指定商品",
                 "pages": str(page["page_no"]) if page and page.get("page_no") else ""}
    rows: list[dict] = [first,
            {"name": f"引证商标注册信息（注册号 {b.registration_no}）" if b.registration_no else "引证商标注册证或档案",
             "source": "中国商标网 商标档案", "proves": "异议人的在先注册商标及核定使用商品", "pages": ""}]
    if b.protection_list:
        rows.append({"name": f"《{b.protection_list}》" + (f"（{b.protection_year}年）" if b.protection_year else ""),
                     "source": "发布机关公告", "proves": "引证商标列入重点商标保护名录，具有较高知名度", "pages": ""})
    if b.well_known or "第十三条" in articles:
        rows.append({"name": "驰名商标认定记录及使用、宣传、销售证据", "source": "异议人提供",
                     "proves": "引证商标为相关公众所熟知", "pages": ""})
    if "第三十二条" in articles:
        rows.append({"name": "异议人营业执照", "source": "国家企业信用信息公示系统", "proves": "在先字号权", "pages": ""})
    if others:
        rows.append({"name": "被异议人其他近似商标申请清单", "source": "商标公告；markwatch 监测记录",
                     "proves": "被异议人批量申请与他人在先商标近似的商标", "pages": ""})
    rows.append({"name": f"近似比对说明（markwatch 预警 {a.id}）", "source": "markwatch",
                 "proves": "音、形、义及商品类似的比对结果", "pages": ""})
    for number, row in enumerate(rows, start=1):
        row["no"] = number
    return rows


def opposition_pack(s: Session, alert_id: int, visible: Sequence[int] | None, today: date,
                    page_url: str = "", goods_table: GoodsTable | None = None) -> dict:
    """The pack of one alert the caller may see (NotFound otherwise). With `goods_table`, a mark whose
    record gives no 类似群 has those of its goods."""
    a = get_alert(s, alert_id, visible)
    m, b = a.gazette_mark, a.brand
    page = gazette_page(m, page_url)
    others = _other_alerts(s, a, visible)
    groups = mark_groups(goods_table, m.similar_groups, m.goods, m.classes)
    grounds = _grounds(a, others, groups.groups)
    deadline = a.opposition_deadline
    return {
        "alert_id": a.id, "generated_on": today.isoformat(), "watchlist": a.watchlist.name,
        "station": a.watchlist.organisation.name,
        "opposed": {
            "mark": m.mark, "mark_type": MARK_TYPE_LABELS.get(m.mark_type, m.mark_type),
            "application_no": m.application_no, "office": m.office, "procedure": m.procedure,
            "international_registration_no": m.international_registration_no,
            "classes": list(m.classes or []), "goods": list(m.goods or []),
            "similar_groups": sorted(groups.groups), "similar_groups_from_goods": groups.from_goods,
            "applicant": m.applicant,
            "applicant_address": m.applicant_address, "agent": (m.refs or {}).get("agentName"),
            "gazette_issue": m.gazette_issue,
            "publication_date": m.publication_date.isoformat() if m.publication_date else None,
            "filing_date": m.filing_date.isoformat() if m.filing_date else None,
            "wipo_gazette": m.wipo_gazette,
            "wipo_publication_date": m.wipo_publication_date.isoformat() if m.wipo_publication_date else None,
            "designation_date": m.designation_date.isoformat() if m.designation_date else None,
            "page": page,
        },
        "opponent": {
            "brand": b.mark, "brand_id": b.brand_id, "owner": b.owner, "registration_no": b.registration_no,
            "classes": list(b.classes or []), "aliases": list(b.aliases or []), "kind": b.kind,
            "well_known": b.well_known, "key": b.key, "protection_list": b.protection_list,
            "protection_year": b.protection_year,
        },
        "deadline": {
            "date": deadline.isoformat() if deadline else None,
            "days_left": (deadline - today).days if deadline else None,
            "rule": a.deadline_rule, "rule_text": RULES.get(a.deadline_rule or "", ""),
            "calendar": a.deadline_calendar, "note": a.deadline_note,
        },
        "score": round(a.score, 4), "severity": a.severity,
        "status": STATUS_LABELS.get(a.status, a.status),
        "reasons": [{"kind": r.get("kind"), "label": KIND_LABELS.get(r.get("kind") or "", r.get("kind")),
                     "detail": r.get("detail", ""), "detail_en": r.get("detail_en", "")} for r in a.reasons or []],
        "grounds": grounds,
        "evidence": _evidence(a, page, grounds, others),
        "other_alerts": others,
    }


PACK_FORMATS = ("docx", "pdf")
PACK_MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "pdf": "application/pdf"}


def write_pack(pack: dict, fmt: str, out, *, pdf_font: str = ""):
    """The pack written as DOCX or PDF to `out`, whole or not at all."""
    from markwatch.errors import MarkwatchError
    from markwatch.fileio import atomic_output

    if fmt == "docx":
        from markwatch.documents.docx_pack import write_docx

        with atomic_output(out) as tmp:
            write_docx(pack, tmp)
        return Path(out)
    if fmt == "pdf":
        from markwatch.documents.pdf_pack import write_pdf

        with atomic_output(out) as tmp:
            write_pdf(pack, tmp, pdf_font or None)
        return Path(out)
    raise MarkwatchError(f"unknown pack format {fmt!r}; use docx or pdf (格式应为 docx 或 pdf)")


def pack_file_name(pack: dict, fmt: str) -> str:
    return f"markwatch-异议材料-{pack['opposed']['application_no']}-{pack['alert_id']}.{fmt}"
