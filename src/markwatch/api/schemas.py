"""Request bodies. Field meaning follows the watchlist files (markwatch.sources.watchlists)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from markwatch.sources.watchlists import (
    MAX_BRAND_ID_CHARS,
    MAX_BRAND_LIST_ITEMS,
    MAX_BRAND_TEXT_CHARS,
    MAX_MARK_CHARS,
    MAX_NAME_CHARS,
)

Status = Literal["new", "reviewing", "opposition_filed", "dismissed"]
SeverityName = Literal["high", "medium", "low"]
BrandKind = Literal["enterprise", "collective", "certification", "geographical_indication"]


# The limits themselves live with the one brand validator (parse_brand_mapping); these only
# make the API answer 422 before any parsing.
BrandText = Annotated[str, Field(max_length=MAX_BRAND_TEXT_CHARS)]
BrandTexts = Annotated[list[BrandText], Field(max_length=MAX_BRAND_LIST_ITEMS)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WatchlistIn(Strict):
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS, description="监测名单名称")
    description: str | None = Field(None, max_length=5000)
    organisation: str | None = Field(None, description="Owner; admins only, default the caller")


class WatchlistPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=MAX_NAME_CHARS)
    description: str | None = Field(None, max_length=5000)


class BrandFields(Strict):
    mark: str | None = Field(None, min_length=1, max_length=MAX_MARK_CHARS, description="商标名称")
    aliases: BrandTexts | None = None
    classes: list[int] | None = Field(None, description="Nice classes 1-45 (类别)")
    similar_groups: list[str] | None = Field(None, description="类似群, e.g. 3002")
    owner: str | None = Field(None, max_length=MAX_NAME_CHARS)
    kind: BrandKind | None = None
    key: bool | None = None
    well_known: bool | None = None
    threshold: float | None = Field(None, gt=0, le=1)
    exclude_applicants: BrandTexts | None = None
    exclude_words: BrandTexts | None = None
    registration_no: str | None = Field(None, max_length=40, description="注册号")
    protection_list: str | None = Field(None, max_length=MAX_NAME_CHARS, description="重点商标保护名录 it comes from")
    protection_year: int | None = Field(None, ge=1980, le=2100, description="the list's year")


class BrandIn(BrandFields):
    brand_id: str = Field(min_length=1, max_length=MAX_BRAND_ID_CHARS, description="商标编号, unique in the watchlist")
    mark: str = Field(min_length=1, max_length=MAX_MARK_CHARS, description="商标名称")


class BrandPatch(BrandFields):
    pass


class SubscriptionIn(Strict):
    watchlist_id: int
    organisation: str | None = Field(None, description="Subscriber organisation; default the caller")
    email: str | None = Field(None, max_length=300)
    webhook: str | None = Field(None, max_length=1000)
    webhook_secret: str | None = Field(None, min_length=8, max_length=200)


class SubscriptionPatch(Strict):
    email: str | None = Field(None, max_length=300)
    webhook: str | None = Field(None, max_length=1000)
    webhook_secret: str | None = Field(None, min_length=8, max_length=200)


class StatusIn(Strict):
    status: Status
    comment: str | None = Field(None, max_length=2000)


class CompareIn(Strict):
    brand: str = Field(min_length=1, max_length=500)
    candidate: str = Field(min_length=1, max_length=500)
    brand_classes: list[int] = []
    candidate_classes: list[int] = []
