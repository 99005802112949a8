"""E-mail addresses confirm that they want the digests (no mail relay): the link e-mailed to a new
address, the page behind it (a button, so that fetching the link confirms nothing), digests waiting
meanwhile; addresses from the operator's files, and those in use before the upgrade, need no link."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from markwatch.store.tables import EmailAddress

from .servicekit import ASSOCIATION, MORE_KNOCKOFFS, OTHER, STATION, make_service, seed
from .test_delivery import _alert_ids, _outbox, smtp

__all__ = ["smtp"]  # the local SMTP server fixture

API = "/api/v1"
PUBLIC = "https://markwatch.example.cn/"


def _world(tmp_path, smtp, name: str):
    from markwatch.api import create_app

    svc = make_service(f"sqlite:///{tmp_path}/{name}.db", tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port,
                       public_url=PUBLIC)
    w = seed(svc, tmp_path, run=False, extra_records=MORE_KNOCKOFFS)
    return svc, w, TestClient(create_app(svc))


def _h(w, org: str) -> dict:
    return {"Authorization": f"Bearer {w.tokens[org]}"}


def _mail(raw: bytes):
    msg = message_from_bytes(raw, policy=policy.default)
    body = msg.get_body(preferencelist=("plain",)).get_content()
    return msg, body


def _token(raw: bytes) -> str:
    _msg, body = _mail(raw)
    m = re.search(r"https://markwatch\.example\.cn/confirm-email\?token=[\w-]+", body)
    assert m, body
    return parse_qs(urlsplit(m.group(0)).query)["token"][0]


def _sub(client, w, org: str, sub_id: int) -> dict:
    return client.get(f"{API}/subscriptions/{sub_id}", headers=_h(w, org)).json()


def test_digests_wait_for_the_address_to_confirm_by_its_link(tmp_path, smtp):
    svc, w, client = _world(tmp_path, smtp, "c")
    r = client.post(f"{API}/subscriptions", headers=_h(w, STATION),
                    json={"watchlist_id": w.watchlist_a, "organisation": ASSOCIATION, "email": "alerts@food.example.org"})
    assert r.status_code == 201 and r.json()["email_confirmed"] is False, r.text
    sub_id = r.json()["id"]
    svc.run()
    n = len(_alert_ids(svc, w.watchlist_a))

    d = svc.deliver()
    assert d.confirmations_sent == 1 and d.emails_sent == 0 and d.email_failures == 0
    assert d.awaiting_confirmation == n
    assert len(smtp.messages) == 1 and smtp.messages[0][1] == ["alerts@food.example.org"]
    msg, body = _mail(smtp.messages[0][2])
    assert "请确认" in msg["Subject"] and ASSOCIATION in body and "alerts@food.example.org" in body
    # nothing the watchlist's owner wrote is in it: no watchlist or brand names, no alerts
    for owners_text in ("杭州重点商标", "辖区驰名商标", "康师傅", "康帅傅", "雷碧"):
        assert owners_text not in body and owners_text not in msg["Subject"]
    assert all(m.status == "pending" and m.attempts == 0 for m in _outbox(svc))  # waiting is not failing
    # a second pass asks no second time
    d = svc.deliver()
    assert d.confirmations_sent == 0 and d.emails_sent == 0 and len(smtp.messages) == 1

    token = _token(smtp.messages[0][2])
    # opening the link, as a mail scanner does, only shows the button
    r = client.get("/confirm-email", params={"token": token})
    assert r.status_code == 200 and 'name="token"' in r.text and "确认" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert _sub(client, w, STATION, sub_id)["email_confirmed"] is False
    assert svc.deliver().emails_sent == 0
    # pressing it confirms: the waiting digest goes
    r = client.post("/confirm-email", data={"token": token})
    assert r.status_code == 200 and "alerts@food.example.org" in r.text and ASSOCIATION in r.text
    assert _sub(client, w, ASSOCIATION, sub_id)["email_confirmed"] is True
    d = svc.deliver()
    assert d.emails_sent == 1 and d.email_alerts == n and d.awaiting_confirmation == 0
    digest, digest_text = _mail(smtp.messages[-1][2])
    assert f"{n} 条" in digest["Subject"] and "康帅傅" in digest_text
    assert all(m.status == "delivered" and m.attempts == 1 for m in _outbox(svc))
    # the link works once
    r = client.post("/confirm-email", data={"token": token})
    assert r.status_code == 404 and "链接无效" in r.text


def test_an_address_is_confirmed_once_per_organisation_and_a_new_one_asks_again(tmp_path, smtp):
    svc, w, client = _world(tmp_path, smtp, "o")
    first = client.post(f"{API}/subscriptions", headers=_h(w, STATION),
                        json={"watchlist_id": w.watchlist_a, "organisation": ASSOCIATION,
                              "email": "alerts@food.example.org"}).json()
    svc.deliver()
    assert client.post("/confirm-email", data={"token": _token(smtp.messages[-1][2])}).status_code == 200
    # the same organisation at the same address (any case) on another watchlist: confirmed already
    again = client.post(f"{API}/subscriptions", headers=_h(w, OTHER),
                        json={"watchlist_id": w.watchlist_c, "organisation": ASSOCIATION,
                              "email": "Alerts@Food.example.org"}).json()
    assert again["email_confirmed"] is True
    # another organisation naming that address: it is asked for that organisation
    own = client.post(f"{API}/subscriptions", headers=_h(w, OTHER),
                      json={"watchlist_id": w.watchlist_c, "email": "alerts@food.example.org"}).json()
    assert own["email_confirmed"] is False
    d = svc.deliver()
    assert d.confirmations_sent == 1 and OTHER in _mail(smtp.messages[-1][2])[1]
    # the subscriber moves its subscription to a new address: asked again
    moved = client.patch(f"{API}/subscriptions/{first['id']}", headers=_h(w, ASSOCIATION),
                         json={"email": "review@food.example.org"}).json()
    assert moved["email_confirmed"] is False
    svc.deliver()
    old = _token(smtp.messages[-1][2])
    assert smtp.messages[-1][1] == ["review@food.example.org"]
    # setting it once more sends a new link, and the previous one stops working
    client.patch(f"{API}/subscriptions/{first['id']}", headers=_h(w, ASSOCIATION), json={"email": "review@food.example.org"})
    assert svc.deliver().confirmations_sent == 1
    new = _token(smtp.messages[-1][2])
    assert new != old
    assert client.post("/confirm-email", data={"token": old}).status_code == 404
    assert client.post("/confirm-email", data={"token": new}).status_code == 200
    assert _sub(client, w, ASSOCIATION, first["id"])["email_confirmed"] is True


def test_a_confirmation_that_could_not_be_sent_is_sent_at_the_next_pass(tmp_path, smtp):
    from .servicekit import clone_service, free_port

    svc, w, _client = _world(tmp_path, smtp, "down")
    dead = clone_service(svc, smtp_port=free_port())
    svc.as_org(svc.authenticate(w.tokens[STATION])).subscribe(w.watchlist_a, email="clerk@station.example.org")
    d = dead.deliver()
    assert d.confirmations_sent == 0 and d.email_failures == 1 and "confirmation e-mail" in d.errors[0]
    d = svc.deliver()
    assert d.confirmations_sent == 1 and len(smtp.messages) == 1


@pytest.mark.parametrize("token", ["", "x" * 43, "y" * 5000])
def test_bad_links_confirm_nothing(tmp_path, smtp, token):
    svc, w, client = _world(tmp_path, smtp, "bad")
    r = client.post("/confirm-email", data={"token": token})
    assert r.status_code == 404 and "链接无效" in r.text
    with svc.db.session() as s:
        assert all(row.confirmed_at is None for row in s.scalars(select(EmailAddress)))
    if not token:
        assert "链接不完整" in client.get("/confirm-email").text


def test_addresses_from_the_operators_files_need_no_link(tmp_path, smtp):
    svc, w, _client = _world(tmp_path, smtp, "file")
    yaml = tmp_path / "wl.yaml"
    yaml.write_text(f"""watchlist: 杭州重点商标
organisation: {STATION}
subscribers:
  - organisation: {ASSOCIATION}
    email: alerts@food.example.org
brands:
  - brand_id: HZ-0002
    mark: 康师傅
    classes: [30]
""", encoding="utf-8")
    assert svc.import_watchlists([yaml]).subscriptions == 1
    svc.run()
    d = svc.deliver()
    assert d.confirmations_sent == 0 and d.emails_sent == 1 and d.awaiting_confirmation == 0


def test_addresses_in_use_before_the_upgrade_stay_confirmed(tmp_path):
    from alembic import command
    from alembic.config import Config

    from markwatch.service.facade import Service
    from markwatch.store.db import MIGRATIONS, Database

    url = f"sqlite:///{tmp_path}/old.db"
    old = Database(url, migrate=False)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with old.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")  # the revision before email_addresses
        now = "2026-11-30 08:00:00"
        conn.execute(text("INSERT INTO organisations (id, name, kind, created_at) VALUES "
                          f"(1, '{STATION}', 'station', '{now}'), (2, '{ASSOCIATION}', 'association', '{now}')"))
        conn.execute(text(f"INSERT INTO watchlists (id, name, organisation_id, created_at) VALUES (1, 'W', 1, '{now}')"))
        conn.execute(text("INSERT INTO subscriptions (watchlist_id, organisation_id, email, created_at) VALUES "
                          f"(1, 2, ' Alerts@Food.example.org ', '{now}'), (1, 1, NULL, '{now}')"))
    old.dispose()
    svc = make_service(url, tmp_path)
    assert isinstance(svc, Service)
    with svc.db.session() as s:
        rows = [(r.organisation_id, r.address, r.confirmed_at is not None) for r in s.scalars(select(EmailAddress))]
    assert rows == [(2, "alerts@food.example.org", True)]
