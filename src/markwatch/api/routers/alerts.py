"""Alerts (预警): filter, page, review status with history, timeline, export."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Literal, TypeVar

from fastapi import APIRouter, BackgroundTasks, Depends, Query
from fastapi.responses import FileResponse, Response

from markwatch.api.deps import get_org
from markwatch.api.responses import json_response
from markwatch.api.schemas import BulkStatusIn, SeverityName, Status, StatusIn
from markwatch.service.alerts import SORT_KEYS, AlertFilter, export_filename
from markwatch.service.org_service import OrgService

router = APIRouter(prefix="/alerts", tags=["alerts"])
T = TypeVar("T")

MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


async def alert_filter(watchlist_id: int | None = Query(None, description="Only this watchlist"),
                 brand_id: str | None = Query(None, description="Only this brand (商标编号)"),
                 severity: SeverityName | None = None, status: Status | None = None,
                 since: date | None = Query(None, description="Publication date from (YYYY-MM-DD)"),
                 until: date | None = Query(None, description="Publication date to (YYYY-MM-DD)"),
                 mark_class: int | None = Query(None, alias="class", ge=1, le=45,
                                                description="A Nice class of the new mark (类别)"),
                 q: str | None = Query(None, max_length=200, description="Text in the marks, applicant, agent or "
                                                                          "application number"),
                 deadline_from: date | None = Query(None, description="Opposition deadline from (YYYY-MM-DD)"),
                 deadline_to: date | None = Query(None, description="Opposition deadline to (YYYY-MM-DD)"),
                 due: Literal["week", "month"] | None = Query(
                     None, description="Deadlines from today to the end of this week or month (本周/本月到期)"),
                 sort: str | None = Query(None, description="One of " + ", ".join(SORT_KEYS)
                                          + "; a leading - for descending. Default: deadline, then score")
                 ) -> AlertFilter:
    return AlertFilter(watchlist_ids=[watchlist_id] if watchlist_id is not None else None, brand_id=brand_id,
                       severity=severity, status=status, since=since, until=until, mark_class=mark_class, text=q,
                       deadline_from=deadline_from, deadline_to=deadline_to, due=due, sort=sort)


@router.get("", summary="Alerts sorted by opposition deadline, paginated, with the total", response_model=dict)
def list_alerts(f: AlertFilter = Depends(alert_filter), limit: int = Query(50, ge=1, le=500),
                offset: int = Query(0, ge=0), org: OrgService = Depends(get_org)) -> Response:
    f.limit, f.offset = limit, offset
    return json_response(org.alerts(f))


@router.get("/export", summary="Download alerts as XLSX, CSV or JSONL (Chinese column headers)",
            response_class=FileResponse)
def export(background: BackgroundTasks, format: Literal["xlsx", "csv", "jsonl"] = "xlsx",
           f: AlertFilter = Depends(alert_filter), org: OrgService = Depends(get_org)) -> FileResponse:
    path, _ = in_temp_folder(background, "markwatch-export-",
                             lambda tmp: org.export(format, tmp / f"alerts.{format}", f))
    return FileResponse(path, media_type=MEDIA[format], filename=export_filename(format, org.service.settings.today()))


def in_temp_folder(background: BackgroundTasks, prefix: str, make: Callable[[Path], T]) -> T:
    """Run `make` in a fresh temporary folder for a file the answer sends. The folder goes once the
    answer is sent, or at once when `make` fails (a bad filter, a full disk): nothing is left behind."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        made = make(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    background.add_task(shutil.rmtree, tmp, ignore_errors=True)
    return made


@router.get("/timeline", summary="Alerts per month per brand, Nice class or severity (for a chart)")
def timeline(by: Literal["brand", "class", "severity"] = "brand", f: AlertFilter = Depends(alert_filter),
             org: OrgService = Depends(get_org)) -> dict:
    return org.timeline(f, by)


@router.get("/statistics", summary="Station statistics: alerts by brand, region, class, week and month with outcomes")
def statistics(f: AlertFilter = Depends(alert_filter), org: OrgService = Depends(get_org)) -> dict:
    """统计分析: per brand, per region of the applicant (province and city from its address), per Nice class,
    per ISO week and per month of publication, each with its review outcomes."""
    return org.statistics(f)


@router.get("/statistics/export", summary="Station statistics as an XLSX workbook", response_class=FileResponse)
def statistics_export(background: BackgroundTasks, f: AlertFilter = Depends(alert_filter),
                      org: OrgService = Depends(get_org)) -> FileResponse:
    path = in_temp_folder(background, "markwatch-stats-",
                          lambda tmp: org.statistics_xlsx(f, tmp / "statistics.xlsx"))
    day = org.service.settings.today().strftime("%Y%m%d")
    return FileResponse(path, media_type=MEDIA["xlsx"], filename=f"markwatch-statistics-{day}.xlsx")


@router.get("/{alert_id}/pack", summary="The opposition pack of an alert (异议材料) as DOCX or PDF",
            description="The opposed mark as published, the opponent, the deadline and days left, a grounds "
                        "outline from the reasons, an evidence index and the applicant's other alerts.",
            response_class=FileResponse)
def pack(alert_id: int, background: BackgroundTasks, format: Literal["docx", "pdf"] = "docx",
         org: OrgService = Depends(get_org)) -> FileResponse:
    from urllib.parse import quote

    from markwatch.service.pack import PACK_MEDIA

    path, name = in_temp_folder(background, "markwatch-pack-", lambda tmp: org.pack(alert_id, format, tmp))
    ascii_name = f"markwatch-pack-{alert_id}.{format}"
    return FileResponse(path, media_type=PACK_MEDIA[format],
                        headers={"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                                        f"filename*=UTF-8''{quote(name)}"})


@router.get("/{alert_id}/image/{side}", summary="An alert's picture: the gazette mark's image or the brand's logo",
            response_class=Response)
def image(alert_id: int, side: Literal["mark", "logo"], org: OrgService = Depends(get_org)) -> Response:
    data, media = org.alert_image(alert_id, side)
    return Response(content=data, media_type=media, headers={"Cache-Control": "private, max-age=3600",
                                                             "X-Content-Type-Options": "nosniff"})


@router.post("/status", summary="Bulk review: one status (and comment) for many alerts, all or none",
             description="A move the workflow does not allow for any of the alerts is 409 and nothing changes. "
                         "Alerts that already have this status and comment are left as they are (no history).")
def set_status_many(body: BulkStatusIn, org: OrgService = Depends(get_org)) -> dict:
    return org.review_many(body.alert_ids, body.status, body.comment)


@router.get("/{alert_id}", summary="One alert: both marks, goods and 类似群, dates, parties, reasons, history")
def get_alert(alert_id: int, org: OrgService = Depends(get_org)) -> dict:
    return org.alert_page(alert_id)


@router.post("/{alert_id}/status", summary="Review: new → reviewing → opposition_filed / dismissed",
             description="The actor is the calling organisation; every change is kept in the history. "
                         "A move the workflow does not allow is 409. Saving the status and comment the alert "
                         "already has changes nothing (`changed` is false, no history entry).")
def set_status(alert_id: int, body: StatusIn, org: OrgService = Depends(get_org)) -> dict:
    return org.review(alert_id, body.status, body.comment)


@router.get("/{alert_id}/history", summary="Review history of an alert")
def history(alert_id: int, org: OrgService = Depends(get_org)) -> list[dict]:
    return org.alert(alert_id)["history"]
