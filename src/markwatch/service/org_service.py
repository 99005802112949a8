"""``Service.as_org(principal)``: the tenant-scoped use cases, each in one unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markwatch.service import tenancy as t
from markwatch.service.alerts import AlertFilter, export_alerts, with_mark_groups

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from markwatch.service.facade import Service
    from markwatch.service.orgs import Principal


@dataclass
class OrgService:
    service: Service
    principal: Principal

    def _tx(self, fn, *args, **kwargs):
        with self.service.db.session() as s:
            return fn(s, self.principal, *args, **kwargs)

    def me(self) -> dict:
        p = self.principal
        return {"id": p.id, "name": p.name, "kind": p.kind, "is_admin": p.is_admin}

    # watchlists and brands
    def watchlists(self) -> list[dict]:
        return self._tx(t.list_watchlists)

    def watchlist(self, watchlist_id: int) -> dict:
        return self._tx(t.get_watchlist, watchlist_id)

    def create_watchlist(self, name: str, description: str | None = None, organisation: str | None = None) -> dict:
        return self._tx(t.create_watchlist, name, description, organisation)

    def update_watchlist(self, watchlist_id: int, changes: Mapping[str, Any]) -> dict:
        return self._tx(t.update_watchlist, watchlist_id, changes)

    def delete_watchlist(self, watchlist_id: int) -> None:
        self._tx(t.delete_watchlist, watchlist_id)

    def brands(self, watchlist_id: int) -> list[dict]:
        return self._tx(t.list_brands, watchlist_id)

    def brand(self, watchlist_id: int, brand_id: str) -> dict:
        return self._tx(t.get_brand, watchlist_id, brand_id)

    def create_brand(self, watchlist_id: int, data: Mapping[str, Any]) -> dict:
        return self._tx(t.create_brand, watchlist_id, data)

    def update_brand(self, watchlist_id: int, brand_id: str, changes: Mapping[str, Any]) -> dict:
        return self._tx(t.update_brand, watchlist_id, brand_id, changes)

    def delete_brand(self, watchlist_id: int, brand_id: str) -> None:
        self._tx(t.delete_brand, watchlist_id, brand_id)

    def import_brands(self, watchlist_id: int, filename: str, data: bytes, list_name: str | None = None,
                      year: int | None = None) -> dict:
        return self._tx(t.import_brands, watchlist_id, filename, data, list_name, year)

    # subscriptions
    def subscriptions(self) -> list[dict]:
        return self._tx(t.list_subscriptions)

    def subscription(self, subscription_id: int) -> dict:
        return self._tx(t.get_subscription, subscription_id)

    def subscribe(self, watchlist_id: int, **targets: Any) -> dict:
        return self._tx(t.create_subscription, watchlist_id, **targets,
                        outbound_allow=self.service.settings.outbound_allow)

    def update_subscription(self, subscription_id: int, changes: Mapping[str, Any]) -> dict:
        return self._tx(t.update_subscription, subscription_id, changes,
                        outbound_allow=self.service.settings.outbound_allow)

    def unsubscribe(self, subscription_id: int) -> None:
        self._tx(t.delete_subscription, subscription_id)

    # alerts
    def alerts(self, f: AlertFilter) -> dict:
        page = self._tx(t.alert_page, f, self.service.settings.today(), self.service.settings.gazette_page_url)
        with_mark_groups(page["items"], self.service.matcher.goods_table)
        return page

    def alert(self, alert_id: int) -> dict:
        return self._tx(t.get_alert_detail, alert_id, self.service.settings.today(),
                        self.service.settings.gazette_page_url)

    def alert_page(self, alert_id: int) -> dict:
        """One alert with everything its page shows: both marks, the goods and 类似群 (named, and
        which are shared), the dates, the deadline, the parties, the reasons and the review history."""
        table = self.service.matcher.goods_table
        d = with_mark_groups([self.alert(alert_id)], table)[0]

        def named(codes):
            return [{"code": c, "name": _group_name(table, c)} for c in codes]

        d["mark_groups"] = named(d["similar_groups"])
        d["mark_groups_from_goods"] = d["similar_groups_from_goods"]
        d["brand_groups"] = named(d["brand_similar_groups"])
        d["shared_classes"] = sorted(set(d["classes"]) & set(d["brand_classes"]))
        d["shared_groups"] = sorted(set(d["similar_groups"]) & set(d["brand_similar_groups"]))
        return d

    def alert_image(self, alert_id: int, side: str) -> tuple[bytes, str]:
        """(bytes, media type) of an alert's picture, side "mark" or "logo"; a PDF region as PNG."""
        from markwatch.images.refs import sniff_format

        file, key = self._tx(t.alert_image_file, alert_id, side)
        pictures = self.service.pictures
        data = pictures.store.read(file)
        fmt = sniff_format(data) or "png"
        if fmt in ("png", "jpeg", "gif", "bmp"):
            return data, f"image/{fmt}"
        import io

        from markwatch.errors import MissingExtra, NotFound

        try:  # TIFF and PDF regions, which browsers do not show, as PNG
            buf = io.BytesIO()
            pictures.picture(file, key).save(buf, "PNG")
        except MissingExtra as exc:
            raise NotFound(f"this picture ({fmt}) is shown once markwatch[images] is installed: {exc}") from None
        return buf.getvalue(), "image/png"

    def review(self, alert_id: int, status: str, comment: str | None = None) -> dict:
        """The reviewed alert as the list hands it out (类似群 from the goods when the record has none)."""
        d = self._tx(t.review_alert, alert_id, status, comment, self.service.settings.today(),
                     self.service.settings.gazette_page_url)
        return with_mark_groups([d], self.service.matcher.goods_table)[0]

    def review_many(self, alert_ids: list[int], status: str, comment: str | None = None) -> dict:
        return self._tx(t.review_alerts, alert_ids, status, comment, self.service.settings.today())

    def timeline(self, f: AlertFilter, by: str = "brand") -> dict:
        return self._tx(t.alert_timeline, f, by, self.service.settings.today())

    def pack(self, alert_id: int, fmt: str, folder: Path) -> tuple[Path, str]:
        """The opposition pack of one of the caller's alerts, written into `folder`; (path, file name)."""
        from markwatch.service.pack import opposition_pack, pack_file_name, write_pack

        settings = self.service.settings
        pack = self._tx(lambda s, p: opposition_pack(s, alert_id, t.visible_ids(s, p), settings.today(),
                                                     settings.gazette_page_url, self.service.matcher.goods_table))
        name = pack_file_name(pack, fmt)
        return write_pack(pack, fmt, folder / f"pack.{fmt}", pdf_font=settings.pdf_font), name

    def statistics(self, f: AlertFilter) -> dict:
        from markwatch.service.statistics import station_statistics

        return self._tx(station_statistics, f, self.service.settings.today())

    def statistics_xlsx(self, f: AlertFilter, out: Path) -> Path:
        from markwatch.service.statistics import write_statistics_xlsx

        return write_statistics_xlsx(self.statistics(f), out)

    def calendar(self) -> bytes:
        """The caller's deadline calendar (iCalendar)."""
        from markwatch.service.calendar_feed import calendar_feed

        settings = self.service.settings
        return self._tx(calendar_feed, settings.today(), settings.calendar_reminder_days, settings.gazette_page_url)

    def calendar_token(self, revoke: bool = False) -> str | None:
        """A new calendar feed token for the caller (the old one stops working); None when revoking."""
        from markwatch.service.calendar_feed import issue_calendar_token, revoke_calendar_token
        from markwatch.store.tables import Organisation

        def issue(s, p):
            org = s.get(Organisation, p.id)
            if revoke:
                revoke_calendar_token(s, org)
                return None
            return issue_calendar_token(s, org, self.service.settings.token_pepper)

        return self._tx(issue)

    def export(self, fmt: str, out: Path, f: AlertFilter) -> tuple[Path, int]:
        """Every alert of the filter (no page) to a file."""
        f.limit, f.offset = None, 0
        items = self.alerts(f)["items"]
        rows = [{k: v for k, v in a.items() if k != "can_review"} for a in items]  # for the page, not the file
        return export_alerts(rows, fmt, out), len(rows)


def _group_name(table, code: str) -> str | None:
    if table is None:
        return None
    try:
        return table.group_name(code)
    except (KeyError, ValueError):
        return None
