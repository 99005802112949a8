"""Watchlist file readers (重点商标监测名单): YAML, JSON Lines, CSV/TSV and XLSX.

A YAML file holds one watchlist (owner organisation, subscribers, brands). In the tabular
formats every row is one brand with ``watchlist`` and ``organisation`` columns; rows are grouped
into watchlists by (organisation, watchlist), in order of first appearance.

Bad brands are reported as ``(locator, reason)`` pairs by ``read_watchlist_file_with_errors``
so a caller can show them all at once; ``read_watchlist_file`` refuses a file with any problem.
Hand-written YAML is strict about unknown keys (a typo like ``clases:`` must not silently
widen a watch to every class); tables refuse a misspelt column the same way ("unknown column 'mrak';
did you mean 'mark'?") and ignore, saying so, other columns such as 备注.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from markwatch.errors import FileFormatError, RecordError
from markwatch.model import BRAND_KINDS, ORG_KINDS, Brand, Subscriber, WatchlistSpec
from markwatch.sources.decoding import read_text_file
from markwatch.sources.fields import (
    alias_table,
    canonical_mapping,
    is_blank,
    normalise_key,
    optional_text,
    parse_classes,
    parse_similar_groups,
    parse_text_list,
    scalar_text,
    suggest,
    unknown_key_message,
)
from markwatch.sources.tables import check_readable, iter_table_rows, table_format_for

__all__ = [
    "BRAND_FIELD_ALIASES",
    "WATCHLIST_FIELD_ALIASES",
    "parse_bool",
    "parse_brand_mapping",
    "parse_watchlist_mapping",
    "read_watchlist_file",
    "read_watchlist_file_with_errors",
]

BRAND_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "brand_id": ("id", "编号", "商标编号", "品牌编号"),
    "mark": ("商标", "商标名称", "品牌", "品牌名称"),
    "aliases": ("alias", "别名", "别称", "其他名称"),
    "classes": ("class", "nice_classes", "类别", "国际分类", "类号"),
    "similar_groups": ("similar_group", "类似群", "类似群组", "类似群号"),
    "owner": ("权利人", "注册人", "商标权人", "所有人"),
    "kind": ("brand_kind", "种类", "商标种类", "商标性质"),
    "key": ("is_key", "key_mark", "重点", "重点商标"),
    "well_known": ("wellknown", "驰名", "驰名商标"),
    "threshold": ("阈值",),
    "exclude_applicants": ("排除申请人", "例外申请人"),
    "exclude_words": ("排除词", "例外词"),
    "logo": ("logo_file", "image", "商标图样", "图样", "标志图片"),
    "vienna_codes": ("vienna", "vienna_code", "图形要素编码", "图形要素"),
    "registration_no": ("registration_number", "reg_no", "注册号", "商标注册号", "注册证号"),
    "protection_list": ("list", "list_name", "保护名录", "名录", "名录名称"),
    "protection_year": ("list_year", "名录年度", "年度"),
}
WATCHLIST_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "watchlist": ("name", "watchlist_name", "监测名单", "名单", "名单名称"),
    "organisation": ("organization", "org", "单位", "机构", "组织"),
    "organisation_kind": ("organization_kind", "org_kind", "单位类型", "机构类型"),
    "description": ("说明", "描述"),
    "subscribers": ("订阅者", "订阅"),
    "brands": ("商标列表", "重点商标列表"),
}
_SUBSCRIBER_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "organisation": ("organization", "org", "单位", "机构"),
    "email": ("e_mail", "mail", "邮箱", "电子邮件"),
    "webhook": ("url", "回调地址"),
}
_BRAND_KEYS = alias_table(BRAND_FIELD_ALIASES)
_WATCHLIST_KEYS = alias_table(WATCHLIST_FIELD_ALIASES)
_SUBSCRIBER_KEYS = alias_table(_SUBSCRIBER_FIELD_ALIASES)
# a table row names its watchlist and its brand; "name" alone would be ambiguous there
_ROW_KEYS = {**_BRAND_KEYS, **{k: v for k, v in _WATCHLIST_KEYS.items()
                               if v in ("watchlist", "organisation", "organisation_kind", "description")
                               and k != "name"}}

# names (aliases, applicants) keep their commas: "Apple, Inc." is one applicant
_NAME_SPLIT = re.compile(r"[;；|\n\r]+")

_ORG_KIND_ALIASES = {
    **{k: k for k in ORG_KINDS},
    "指导站": "station", "商标品牌指导站": "station", "品牌指导站": "station", "工作站": "station", "站": "station",
    "协会": "association", "行业协会": "association", "商会": "association",
    "行政": "admin", "行政机关": "admin", "管理部门": "admin", "监管部门": "admin", "市场监管局": "admin",
    "市场监督管理局": "admin", "administration": "admin", "authority": "admin",
}
_BRAND_KIND_ALIASES = {
    **{k: k for k in BRAND_KINDS},
    "企业": "enterprise", "企业商标": "enterprise", "普通": "enterprise", "普通商标": "enterprise",
    "商品商标": "enterprise", "服务商标": "enterprise", "ordinary": "enterprise", "company": "enterprise",
    "集体": "collective", "集体商标": "collective",
    "证明": "certification", "证明商标": "certification",
    "地理标志": "geographical_indication", "地理标志商标": "geographical_indication",
    "地理标志证明商标": "geographical_indication", "地理标志集体商标": "geographical_indication",
    "gi": "geographical_indication", "geographical_indication": "geographical_indication",
}
_TRUE = {"true", "yes", "y", "1", "是", "对", "on", "t", "√", "✓"}
_FALSE = {"false", "no", "n", "0", "否", "不是", "off", "f", "×", "✗"}


# ---------------------------------------------------------------------------------------------
# Field parsers
# ---------------------------------------------------------------------------------------------


def parse_bool(value: Any, field: str, default: bool = False) -> bool:
    """true/false, yes/no, 是/否, 1/0 (and real booleans); empty → default."""
    if is_blank(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RecordError(f"{field} must be true/false (yes/no, 是/否, 1/0), not {value!r} ({field} 应为是/否)")


def _choice(value: Any, table: Mapping[str, str], field: str, choices: Sequence[str], default: str,
            chinese: str) -> str:
    if is_blank(value):
        return default
    found = table.get(normalise_key(value))
    if found is None:
        raise RecordError(f"unknown {field} {value!r}; use one of {', '.join(choices)} ({chinese})")
    return found


def _org_kind(value: Any) -> str:
    return _choice(value, _ORG_KIND_ALIASES, "organisation_kind", ORG_KINDS, "station",
                   "单位类型无效：指导站/协会/行政")


def _brand_kind(value: Any) -> str:
    return _choice(value, _BRAND_KIND_ALIASES, "kind", BRAND_KINDS, "enterprise",
                   "商标种类无效：企业/集体/证明/地理标志")


def _threshold(value: Any) -> float | None:
    if is_blank(value):
        return None
    bad = RecordError(f"threshold {value!r} must be a number between 0 and 1, like 0.7 (阈值应在 0 到 1 之间)")
    if isinstance(value, bool):
        raise bad
    try:
        if isinstance(value, str):
            text = value.strip()
            number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        else:
            number = float(value)
    except (TypeError, ValueError):
        raise bad from None
    if math.isnan(number) or not 0 < number <= 1:
        raise bad
    return number


def _year(value: Any) -> int | None:
    if is_blank(value):
        return None
    text = scalar_text(value, "protection_year").removesuffix("年度").removesuffix("年").strip()
    if not text.isdecimal() or not 1980 <= int(text) <= 2100:
        raise RecordError(f"protection_year {value!r} is not a year like 2025 (名录年度无效)")
    return int(text)


# Limits of a watched brand's texts, shared by the API, bulk import and watchlist files (all
# go through parse_brand_mapping). Key building grows with text length, so one long mark or
# alias would cost every tenant's nightly run; real marks are a few characters.
MAX_BRAND_ID_CHARS = 100
MAX_MARK_CHARS = 100
MAX_BRAND_TEXT_CHARS = 100
MAX_BRAND_LIST_ITEMS = 50
MAX_NAME_CHARS = 200
_CONTROL_RUN = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def clean_text(text: str) -> str:
    """Control characters (newlines, tabs...) replaced by one space: they end up in mail headers."""
    return _CONTROL_RUN.sub(" ", text).strip()


def _bounded(text: str, field: str, limit: int) -> str:
    text = clean_text(text)
    if len(text) > limit:
        raise RecordError(f"{field} is {len(text)} characters, at most {limit} allowed "
                          f"({field} 过长，最多 {limit} 个字符)")
    return text


def _bounded_list(items: tuple[str, ...], field: str) -> tuple[str, ...]:
    if len(items) > MAX_BRAND_LIST_ITEMS:
        raise RecordError(f"{field} has {len(items)} entries, at most {MAX_BRAND_LIST_ITEMS} allowed "
                          f"({field} 条目过多，最多 {MAX_BRAND_LIST_ITEMS} 个)")
    out: list[str] = []
    for item in items:
        text = _bounded(item, field, MAX_BRAND_TEXT_CHARS)
        if text and text not in out:
            out.append(text)
    return tuple(out)


def _logo(value: Any) -> str | None:
    from markwatch.images.refs import parse_ref

    text = optional_text(value, "logo")
    return parse_ref(text).text if text else None


def _vienna(value: Any) -> tuple[str, ...]:
    from markwatch.images.vienna import parse_codes

    return () if is_blank(value) else parse_codes(value)


def _required_text(value: Any, field: str, missing: str) -> str:
    text = None if is_blank(value) else clean_text(scalar_text(value, field))
    if not text:
        raise RecordError(missing)
    return text


def _unknown_keys(d: Mapping[Any, Any], known: Mapping[str, str]) -> str | None:
    unknown = [str(k) for k in d if normalise_key(k) not in known]
    if not unknown:
        return None
    return "; ".join(unknown_key_message(k, known) for k in unknown)


def parse_brand_mapping(d: Mapping[str, Any], *, strict: bool = False) -> Brand:
    """One watched brand (重点商标) from a mapping; RecordError lists all of its problems.

    With ``strict`` unknown keys are errors (YAML); otherwise they are ignored (table rows).
    """
    if not isinstance(d, Mapping):
        raise RecordError("brand entry is not a mapping of fields (商标条目格式无效)")
    problems: list[str] = []
    if strict and (unknown := _unknown_keys(d, _BRAND_KEYS)):
        problems.append(unknown)
    fields = canonical_mapping(d, _BRAND_KEYS)
    values: dict[str, Any] = {}
    parsers: dict[str, Callable[[Any], Any]] = {
        "brand_id": lambda v: _bounded(re.sub(r"\s+", "", _required_text(v, "brand_id", "missing brand_id (缺少商标编号)")),
                                       "brand_id", MAX_BRAND_ID_CHARS),
        "mark": lambda v: _bounded(_required_text(v, "mark", "missing mark text (缺少商标名称)"),
                                   "mark", MAX_MARK_CHARS),
        "aliases": lambda v: _bounded_list(parse_text_list(v, "aliases", _NAME_SPLIT), "aliases"),
        "classes": parse_classes,
        "similar_groups": parse_similar_groups,
        "owner": lambda v: _bounded(optional_text(v, "owner") or "", "owner", MAX_NAME_CHARS) or None,
        "kind": _brand_kind,
        "key": lambda v: parse_bool(v, "key"),
        "well_known": lambda v: parse_bool(v, "well_known"),
        "threshold": _threshold,
        "exclude_applicants": lambda v: _bounded_list(parse_text_list(v, "exclude_applicants", _NAME_SPLIT), "exclude_applicants"),
        "exclude_words": lambda v: _bounded_list(parse_text_list(v, "exclude_words", _NAME_SPLIT), "exclude_words"),
        "logo": _logo,
        "vienna_codes": _vienna,
        "registration_no": lambda v: _bounded(re.sub(r"\s+", "", optional_text(v, "registration_no") or ""),
                                              "registration_no", 40) or None,
        "protection_list": lambda v: _bounded(optional_text(v, "protection_list") or "", "protection_list",
                                              MAX_NAME_CHARS) or None,
        "protection_year": _year,
    }
    for name, parse in parsers.items():
        try:
            values[name] = parse(fields.get(name))
        except RecordError as exc:
            problems.append(str(exc))
    if problems:
        raise RecordError("; ".join(problems))
    return Brand(**values)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WEBHOOK = re.compile(r"^https?://[^\s/]+\S*$", re.IGNORECASE)


def _subscriber(d: Any, default_organisation: str) -> Subscriber:
    if isinstance(d, str):
        text = d.strip()
        d = {"webhook": text} if _WEBHOOK.match(text) else {"email": text}
    if not isinstance(d, Mapping):
        raise RecordError("subscriber must be a mapping with organisation/email/webhook (订阅者格式无效)")
    problems: list[str] = []
    if unknown := _unknown_keys(d, _SUBSCRIBER_KEYS):
        problems.append(unknown)
    fields = canonical_mapping(d, _SUBSCRIBER_KEYS)
    organisation = optional_text(fields.get("organisation"), "organisation") or default_organisation
    email = optional_text(fields.get("email"), "email")
    webhook = optional_text(fields.get("webhook"), "webhook")
    if email and not _EMAIL.match(email):
        problems.append(f"email {email!r} is not an e-mail address (邮箱地址无效)")
    if webhook and not _WEBHOOK.match(webhook):
        problems.append(f"webhook {webhook!r} must be an http(s):// URL (webhook 地址无效)")
    if not email and not webhook:
        problems.append("subscriber needs an email or a webhook (订阅者缺少邮箱或 webhook)")
    if problems:
        raise RecordError("; ".join(problems))
    return Subscriber(organisation=organisation, email=email, webhook=webhook)


# ---------------------------------------------------------------------------------------------
# One watchlist from a mapping (the YAML form)
# ---------------------------------------------------------------------------------------------


def _as_list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"{field} must be a list (YAML '- ...' items) ({field} 应为列表)")
    return value


def _parse_watchlist(
    d: Any,
    *,
    strict: bool = True,
    brand_locators: Sequence[str] = (),
    subscriber_locators: Sequence[str] = (),
    key_locators: Mapping[str, str] | None = None,
) -> tuple[WatchlistSpec | None, list[tuple[str, str]]]:
    """The spec (None if the watchlist itself is unusable) and every (locator, reason)."""
    if not isinstance(d, Mapping):
        return None, [("watchlist", "a watchlist must be a mapping with watchlist/organisation/brands "
                                    "(监测名单应为映射)")]
    key_locators = key_locators or {}
    errors: list[tuple[str, str]] = []
    fields = canonical_mapping(d, _WATCHLIST_KEYS)

    def where(name: str) -> str:
        return key_locators.get(name, "watchlist")

    if strict and (unknown := _unknown_keys(d, _WATCHLIST_KEYS)):
        errors.append(("watchlist", unknown))
    head: dict[str, Any] = {}
    for name, parse in (
        ("watchlist", lambda v: _bounded(_required_text(v, "watchlist", "missing watchlist name (缺少监测名单名称)"),
                                      "watchlist", MAX_NAME_CHARS)),
        ("organisation", lambda v: _required_text(v, "organisation", "missing organisation (缺少所属单位)")),
        ("organisation_kind", _org_kind),
        ("description", lambda v: optional_text(v, "description")),
    ):
        try:
            head[name] = parse(fields.get(name))
        except RecordError as exc:
            errors.append((where(name), str(exc)))

    subscribers: list[Subscriber] = []
    try:
        raw_subscribers = _as_list(fields.get("subscribers"), "subscribers")
    except RecordError as exc:
        errors.append((where("subscribers"), str(exc)))
        raw_subscribers = []
    for index, item in enumerate(raw_subscribers):
        locator = (subscriber_locators[index] if index < len(subscriber_locators)
                   else f"subscriber {index + 1}")
        try:
            subscribers.append(_subscriber(item, head.get("organisation") or ""))
        except RecordError as exc:
            errors.append((locator, str(exc)))

    brands: list[Brand] = []
    seen: dict[str, str] = {}
    try:
        raw_brands = _as_list(fields.get("brands"), "brands")
    except RecordError as exc:
        errors.append((where("brands"), str(exc)))
        raw_brands = []
    for index, item in enumerate(raw_brands):
        locator = brand_locators[index] if index < len(brand_locators) else f"brand {index + 1}"
        try:
            brand = parse_brand_mapping(item, strict=strict)
        except RecordError as exc:
            errors.append((locator, str(exc)))
            continue
        if brand.brand_id in seen:
            errors.append((locator, f"duplicate brand_id {brand.brand_id!r}, also at {seen[brand.brand_id]} "
                                    "(商标编号重复)"))
            continue
        seen[brand.brand_id] = locator
        brands.append(brand)

    if len(head) < 4:  # a head field failed: no usable watchlist
        return None, errors
    spec = WatchlistSpec(
        name=head["watchlist"],
        organisation=head["organisation"],
        organisation_kind=head["organisation_kind"],
        description=head["description"],
        brands=tuple(brands),
        subscribers=tuple(subscribers),
    )
    return spec, errors


def parse_watchlist_mapping(d: Mapping[str, Any], *, strict: bool = True) -> WatchlistSpec:
    """A WatchlistSpec from the YAML form (watchlist, organisation, organisation_kind,
    description, subscribers, brands). RecordError lists every problem as "locator: reason"."""
    spec, errors = _parse_watchlist(d, strict=strict)
    if errors or spec is None:
        raise RecordError("; ".join(f"{loc}: {reason}" for loc, reason in errors))
    return spec


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


class _WatchlistLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 scalars: "0101" stays a string (1.1 would read octal 65) and
    yes/no/on/off stay words (a brand may be called NO); true/false are still booleans."""


_WatchlistLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_WatchlistLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
_WatchlistLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _yaml_locators(root: yaml.Node) -> tuple[list[str], list[str], dict[str, str]]:
    """Line numbers of the brand and subscriber items and of the top-level keys."""
    brands: list[str] = []
    subscribers: list[str] = []
    keys: dict[str, str] = {}
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            name = _WATCHLIST_KEYS.get(normalise_key(getattr(key_node, "value", "")))
            if name is None:
                continue
            keys[name] = f"line {key_node.start_mark.line + 1}"
            if isinstance(value_node, yaml.SequenceNode):
                items = [f"line {n.start_mark.line + 1}" for n in value_node.value]
                if name == "brands":
                    brands = [f"brand {i} ({line})" for i, line in enumerate(items, start=1)]
                elif name == "subscribers":
                    subscribers = [f"subscriber {i} ({line})" for i, line in enumerate(items, start=1)]
    return brands, subscribers, keys


def _read_yaml(path: Path) -> tuple[list[WatchlistSpec], list[tuple[str, str]]]:
    text = read_text_file(path)
    loader = _WatchlistLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.composer.ComposerError as exc:
        if "single document" in str(exc):
            raise FileFormatError(f"{path}: a watchlist YAML file holds one watchlist, but it has several "
                                  "documents (---) (每个文件只能有一个监测名单)") from None
        raise FileFormatError(f"{path}: not valid YAML: {exc} (YAML 格式错误)") from None
    except yaml.YAMLError as exc:
        raise FileFormatError(f"{path}: not valid YAML: {exc} (YAML 格式错误)") from None
    finally:
        loader.dispose()
    if root is None or data is None:
        raise FileFormatError(f"{path}: the YAML file is empty (文件为空)")
    if not isinstance(data, dict):
        raise FileFormatError(f"{path}: the YAML must be a mapping with watchlist, organisation and brands "
                              "at the top level (顶层应为映射)")
    brands, subscribers, keys = _yaml_locators(root)
    spec, errors = _parse_watchlist(data, strict=True, brand_locators=brands,
                                    subscriber_locators=subscribers, key_locators=keys)
    return ([spec] if spec else []), errors


@dataclass
class _Group:
    name: str
    organisation: str
    organisation_kind: str | None = None
    kind_locator: str = ""
    description: str | None = None
    brands: list[Brand] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)


def _table_header_check(path: Path, notes: list[str] | None = None) -> Callable[[list[str]], None]:
    """Refuses a header without the required columns, or with a misspelt one ('mrak': did you mean
    'mark'?); other columns it does not know (备注) are ignored, and said so in `notes`."""
    def check(header: list[str]) -> None:
        unknown = [h for h in header if h and normalise_key(h) not in _ROW_KEYS]
        misspelt = [h for h in unknown if suggest(h, _ROW_KEYS) is not None]
        if misspelt:
            raise FileFormatError(f"{path}: " + "; ".join(unknown_key_message(h, _ROW_KEYS, "column") for h in misspelt))
        if unknown and notes is not None:
            notes.append(f"{path}: ignored column(s) {', '.join(repr(h) for h in unknown)} (已忽略的列)")
        present = {_ROW_KEYS.get(normalise_key(h)) for h in header}
        missing = [f"{name} / {alias}" for name, alias in
                   (("watchlist", "监测名单"), ("organisation", "单位"), ("mark", "商标"), ("brand_id", "编号"))
                   if name not in present]
        if missing:
            shown = ", ".join(repr(h) for h in header if h) or "(none)"
            raise FileFormatError(f"{path}: the header lacks the column(s) {'; '.join(missing)} "
                                  f"(found {shown}); "
                                  "is the delimiter right? (表头缺少必需列)")

    return check


def _read_table(path: Path, fmt: str, notes: list[str] | None = None
                ) -> tuple[list[WatchlistSpec], list[tuple[str, str]]]:
    groups: dict[tuple[str, str], _Group] = {}
    errors: list[tuple[str, str]] = []
    for row in iter_table_rows(path, fmt, check_header=_table_header_check(path, notes)):
        if row.mapping is None:
            errors.append((row.locator, row.error or "unreadable row"))
            continue
        fields = canonical_mapping(row.mapping, _ROW_KEYS)
        problems: list[str] = [unknown_key_message(k, _ROW_KEYS) for k in row.mapping  # JSON Lines keys
                               if normalise_key(k) not in _ROW_KEYS and suggest(k, _ROW_KEYS) is not None]
        head: dict[str, Any] = {}
        for name, parse in (
            ("watchlist", lambda v: _bounded(_required_text(v, "watchlist", "missing watchlist name (缺少监测名单名称)"),
                                      "watchlist", MAX_NAME_CHARS)),
            ("organisation", lambda v: _required_text(v, "organisation", "missing organisation (缺少所属单位)")),
            ("organisation_kind", lambda v: None if is_blank(v) else _org_kind(v)),
            ("description", lambda v: optional_text(v, "description")),
        ):
            try:
                head[name] = parse(fields.get(name))
            except RecordError as exc:
                problems.append(str(exc))
        try:
            brand = parse_brand_mapping(row.mapping)
        except RecordError as exc:
            problems.append(str(exc))
        if problems:
            errors.append((row.locator, "; ".join(problems)))
            continue
        group = groups.setdefault((head["organisation"], head["watchlist"]),
                                  _Group(head["watchlist"], head["organisation"]))
        kind = head["organisation_kind"]
        if kind and group.organisation_kind and kind != group.organisation_kind:
            errors.append((row.locator, f"organisation_kind {kind!r} conflicts with "
                                        f"{group.organisation_kind!r} "
                                        f"given at {group.kind_locator} for this watchlist (单位类型前后不一致)"))
            continue
        if brand.brand_id in group.seen:
            errors.append((row.locator, f"duplicate brand_id {brand.brand_id!r} in watchlist {group.name!r}, "
                                        f"also at {group.seen[brand.brand_id]} (商标编号重复)"))
            continue
        if kind and not group.organisation_kind:
            group.organisation_kind, group.kind_locator = kind, row.locator
        group.description = group.description or head["description"]
        group.seen[brand.brand_id] = row.locator
        group.brands.append(brand)
    specs = [
        WatchlistSpec(name=g.name, organisation=g.organisation,
                      organisation_kind=g.organisation_kind or "station",
                      description=g.description, brands=tuple(g.brands))
        for g in groups.values()
    ]
    return specs, errors


_YAML_EXTENSIONS = {".yaml": "yaml", ".yml": "yaml"}


def read_watchlist_file_with_errors(path: Path, notes: list[str] | None = None
                                    ) -> tuple[list[WatchlistSpec], list[tuple[str, str]]]:
    """Watchlists of a file plus every (locator, reason) for brands or rows that were left out.

    A file that cannot be read at all (missing, unknown type, undecodable, invalid YAML, wrong or
    misspelt header) raises FileFormatError; table columns it ignores are said in `notes`.
    """
    path = Path(path)
    check_readable(path)
    fmt = table_format_for(path, {"jsonl", "csv", "tsv", "xlsx"}, extra=_YAML_EXTENSIONS)
    if fmt == "yaml":
        return _read_yaml(path)
    return _read_table(path, fmt, notes)


_MAX_LISTED = 50


def read_watchlist_file(path: Path) -> list[WatchlistSpec]:
    """Watchlists of a file; FileFormatError listing every problem if any brand or row is bad."""
    specs, errors = read_watchlist_file_with_errors(path)
    if errors:
        lines = [f"  {loc}: {reason}" for loc, reason in errors[:_MAX_LISTED]]
        if len(errors) > _MAX_LISTED:
            lines.append(f"  ... and {len(errors) - _MAX_LISTED} more")
        raise FileFormatError(f"{path}: {len(errors)} problem(s) in the watchlist file (监测名单文件有误):\n"
                              + "\n".join(lines))
    return specs
