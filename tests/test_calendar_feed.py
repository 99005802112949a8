"""The deadline calendar: an iCalendar feed per organisation, token-protected, parsed back."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from icalendar import Calendar
from typer.testing import CliRunner

from markwatch.api import create_app

from .servicekit import OTHER, STATION, make_service, seed

API = "/api/v1"
FEED = f"{API}/calendar/deadlines.ics"


def _events(body: bytes) -> dict[str, object]:
    cal = Calendar.from_ical(body)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def test_feed_per_organisation_with_reminders(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/t.db", tmp_path)
    world = seed(svc, tmp_path)
    client = TestClient(create_app(svc))
    h = {"Authorization": f"Bearer {world.tokens[STATION]}"}
    issued = client.post(f"{API}/calendar/token", headers=h).json()
    assert issued["token"].startswith("mwcal_") and issued["url"].endswith(f"{FEED}?token={issued['token']}")

    r = client.get(FEED, params={"token": issued["token"]})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    assert str(cal["x-wr-calname"]) == f"{STATION} 商标异议期限"
    alerts = client.get(f"{API}/alerts", headers=h, params={"limit": 500}).json()["items"]
    assert alerts
    events = _events(r.content)
    assert len(events) == len(alerts)
    station_id = svc.authenticate(world.tokens[STATION]).id
    for a in alerts:
        e = events[f"alert-{a['alert_id']}-org-{station_id}@markwatch"]
        assert e.decoded("dtstart") == date.fromisoformat(a["opposition_deadline"])
        assert e.decoded("dtend") == date.fromisoformat(a["opposition_deadline"]) + timedelta(days=1)
        assert a["mark"] in str(e["summary"]) and a["application_no"] in str(e["summary"])
        assert a["applicant"] in str(e["description"])
        triggers = sorted(alarm.decoded("trigger") for alarm in e.walk("VALARM"))
        assert triggers == [timedelta(days=-7), timedelta(days=-1)]

    # a dismissed alert leaves the calendar; the API token as a header works too
    first = alerts[0]["alert_id"]
    client.post(f"{API}/alerts/{first}/status", headers=h, json={"status": "dismissed"})
    assert len(_events(client.get(FEED, headers=h).content)) == len(alerts) - 1

    # another organisation sees only its own alerts
    other = client.get(FEED, headers={"Authorization": f"Bearer {world.tokens[OTHER]}"})
    assert not set(_events(other.content)) & set(events)


def test_the_feed_token_is_checked_and_can_be_replaced(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/t.db", tmp_path)
    world = seed(svc, tmp_path, run=False)
    client = TestClient(create_app(svc))
    h = {"Authorization": f"Bearer {world.tokens[STATION]}"}
    r = client.get(FEED)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer" and "token" in r.json()["detail"]
    assert client.get(FEED, params={"token": "mwcal_" + "x" * 43}).status_code == 401
    # the API token does not open the feed from a URL (URLs end up in logs): only the calendar token does
    assert client.get(FEED, params={"token": world.tokens[STATION]}).status_code == 401
    old = client.post(f"{API}/calendar/token", headers=h).json()["token"]
    new = client.post(f"{API}/calendar/token", headers=h).json()["token"]
    assert client.get(FEED, params={"token": old}).status_code == 401
    assert client.get(FEED, params={"token": new}).status_code == 200
    assert client.delete(f"{API}/calendar/token", headers=h).status_code == 204
    assert client.get(FEED, params={"token": new}).status_code == 401

    from markwatch.cli import app, common

    original = common.service
    common.service = lambda: svc
    try:
        result = CliRunner().invoke(app, ["org", "calendar-token", STATION, "--base-url", "https://markwatch.example.cn"])
    finally:
        common.service = original
    assert result.exit_code == 0, result.output
    url = next(line for line in result.output.splitlines() if line.startswith("https://"))
    assert url.startswith(f"https://markwatch.example.cn{FEED}?token=mwcal_")
    assert client.get(FEED, params={"token": url.split("token=")[1]}).status_code == 200
