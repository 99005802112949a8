"""Watchlists (监测名单) and their brands (重点商标)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile

from markwatch.api.deps import get_org
from markwatch.api.schemas import BrandIn, BrandPatch, WatchlistIn, WatchlistPatch
from markwatch.service.org_service import OrgService

router = APIRouter(prefix="/watchlists", tags=["watchlists"])

MAX_UPLOAD = 20 * 1024 * 1024


@router.get("", summary="Watchlists the caller owns or subscribes to")
def list_watchlists(org: OrgService = Depends(get_org)) -> list[dict]:
    return org.watchlists()


@router.post("", status_code=201, summary="Create a watchlist owned by the caller")
def create_watchlist(body: WatchlistIn, org: OrgService = Depends(get_org)) -> dict:
    return org.create_watchlist(body.name, body.description, body.organisation)


@router.get("/{watchlist_id}", summary="One watchlist")
def get_watchlist(watchlist_id: int, org: OrgService = Depends(get_org)) -> dict:
    return org.watchlist(watchlist_id)


@router.patch("/{watchlist_id}", summary="Rename or describe a watchlist (owner only)")
def update_watchlist(watchlist_id: int, body: WatchlistPatch, org: OrgService = Depends(get_org)) -> dict:
    return org.update_watchlist(watchlist_id, body.model_dump(exclude_unset=True))


@router.delete("/{watchlist_id}", status_code=204, summary="Delete a watchlist with its brands and alerts")
def delete_watchlist(watchlist_id: int, org: OrgService = Depends(get_org)) -> Response:
    org.delete_watchlist(watchlist_id)
    return Response(status_code=204)


@router.get("/{watchlist_id}/brands", summary="Brands of a watchlist")
def list_brands(watchlist_id: int, org: OrgService = Depends(get_org)) -> list[dict]:
    return org.brands(watchlist_id)


@router.post("/{watchlist_id}/brands", status_code=201, summary="Add a brand (owner only)")
def create_brand(watchlist_id: int, body: BrandIn, org: OrgService = Depends(get_org)) -> dict:
    return org.create_brand(watchlist_id, body.model_dump(exclude_none=True))


@router.post("/{watchlist_id}/brands/import", summary="Bulk import brands from an XLSX/CSV/TSV/JSONL table",
             description="Columns as in watchlist files: 编号 (brand_id), 商标 (mark), 类别 (classes), 别名, "
                         "类似群, 权利人… Rows are upserted by brand_id; bad rows are listed in `errors`. A "
                         "key-trademark protection list (重点商标保护名录: 商标, 注册号, 类别, 权利人 under a title "
                         "row) is recognised: one key brand per registration, with the list's name and year "
                         "(from the title, or `list_name` and `year`).")
def import_brands(watchlist_id: int, file: UploadFile = File(...),
                  list_name: str | None = Query(None, max_length=200, description="名录名称, e.g. 2025年度浙江省重点商标保护名录"),
                  year: int | None = Query(None, ge=1980, le=2100, description="名录年度"),
                  org: OrgService = Depends(get_org)) -> dict:
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        from markwatch.errors import FileFormatError

        raise FileFormatError(f"{file.filename}: larger than {MAX_UPLOAD // (1024 * 1024)} MiB (文件过大)")
    return org.import_brands(watchlist_id, file.filename or "", data, list_name, year)


@router.get("/{watchlist_id}/brands/{brand_id}", summary="One brand")
def get_brand(watchlist_id: int, brand_id: str, org: OrgService = Depends(get_org)) -> dict:
    return org.brand(watchlist_id, brand_id)


@router.patch("/{watchlist_id}/brands/{brand_id}", summary="Change a brand (owner only); it is matched again")
def update_brand(watchlist_id: int, brand_id: str, body: BrandPatch, org: OrgService = Depends(get_org)) -> dict:
    return org.update_brand(watchlist_id, brand_id, body.model_dump(exclude_unset=True))


@router.delete("/{watchlist_id}/brands/{brand_id}", status_code=204, summary="Remove a brand (owner only)")
def delete_brand(watchlist_id: int, brand_id: str, org: OrgService = Depends(get_org)) -> Response:
    org.delete_brand(watchlist_id, brand_id)
    return Response(status_code=204)
