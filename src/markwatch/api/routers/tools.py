"""The caller, compare, search and the run history."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile

from markwatch.api.deps import get_org, get_principal, get_service
from markwatch.api.responses import json_response
from markwatch.api.schemas import CompareIn
from markwatch.api.throttle import ToolLimits
from markwatch.service.facade import Service
from markwatch.service.org_service import OrgService
from markwatch.service.orgs import Principal

router = APIRouter(tags=["tools"])


async def get_tool_limits(request: Request) -> ToolLimits:
    return request.app.state.tool_limits


@router.get("/me", summary="The organisation of the token")
def me(org: OrgService = Depends(get_org)) -> dict:
    return org.me()


@router.post("/compare", summary="Compare a brand with a candidate mark: sound, look, meaning, goods",
             response_model=dict)
def compare(body: CompareIn, principal: Principal = Depends(get_principal), service: Service = Depends(get_service),
            limits: ToolLimits = Depends(get_tool_limits)) -> Response:
    with limits.admit(principal.id):
        match = service.compare(body.brand, body.candidate, brand_classes=body.brand_classes,
                                candidate_classes=body.candidate_classes)
    return json_response({"brand": body.brand, "candidate": body.candidate, **match.as_dict()})


@router.get("/search", summary="Clearance search: the stored gazette marks most similar to a mark",
            response_model=dict)
def search(mark: str = Query(min_length=1, max_length=500), classes: list[int] = Query([]),
           top: int = Query(10, ge=1, le=100), principal: Principal = Depends(get_principal),
           service: Service = Depends(get_service), limits: ToolLimits = Depends(get_tool_limits)) -> Response:
    """From the register index as of its last update (the nightly cycle): `index_marks`,
    `index_built_at`, `index_updated_at`, and `marks_not_indexed`, the marks stored since, not searched."""
    with limits.admit(principal.id):
        return json_response(service.search(mark, classes=classes, top=top))


MAX_PICTURE_UPLOAD = 20 << 20  # the picture itself; the body (with its multipart framing) is capped at 21 MiB


@router.post("/search/image", summary="Search by image: the stored marks whose pictures are nearest to an upload")
def search_image(file: UploadFile = File(..., description="PNG, JPEG, GIF, TIFF, BMP or a one-page PDF"),
                 mark: str = Query("", max_length=500, description="The query mark's words, when it has some"),
                 classes: list[int] = Query([]), top: int = Query(10, ge=1, le=100),
                 principal: Principal = Depends(get_principal), service: Service = Depends(get_service),
                 limits: ToolLimits = Depends(get_tool_limits)) -> dict:
    """From the register's picture index as of its last update (ingest, the nightly cycle):
    `index_pictures`, `index_updated_at`, and `pictures_not_indexed`, the pictured marks stored since.
    Without the images extra: no results and `not_compared` says so."""
    from markwatch.errors import FileFormatError

    data = file.file.read(MAX_PICTURE_UPLOAD + 1)
    if len(data) > MAX_PICTURE_UPLOAD:
        raise FileFormatError(f"{file.filename}: larger than {MAX_PICTURE_UPLOAD >> 20} MiB (图样文件过大)")
    if not data:
        raise FileFormatError(f"{file.filename}: empty file (图样文件为空)")
    with limits.admit(principal.id):
        return service.search_image(data, name=file.filename or "upload", mark=mark, classes=classes, top=top)


@router.get("/runs", summary="Run history: status and the caller's new alerts; counts and errors for admins",
            description="Admins see every count and the error text; other organisations see each run's status "
                        "and the new alerts on the watchlists they own or subscribe to.")
def runs(limit: int = Query(20, ge=1, le=200), principal: Principal = Depends(get_principal),
         service: Service = Depends(get_service)) -> list[dict]:
    return service.runs(limit, principal)
