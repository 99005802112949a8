"""Secrets of delivery: no webhook signed with the shipped default secret, a random secret per new
webhook subscription (shown once), secrets kept out of repr(), no SMTP password sent without TLS."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from markwatch.config import DEFAULT_WEBHOOK_SECRET, Settings
from markwatch.errors import ConfigError
from markwatch.service.delivery import SIGNATURE_HEADER, verify
from markwatch.store.tables import Subscription

from .servicekit import ASSOCIATION, OTHER, STATION, clone_service, confirm_addresses, free_port, make_service, seed
from .test_delivery import Inbox, _outbox, _parts, receiver

__all__ = ["receiver"]  # the webhook receiver fixture

API = "/api/v1"


def _file_subscription(svc, tmp_path, url: str) -> None:
    """A subscriber from a watchlist file: it has no secret of its own, the global one signs."""
    yaml = tmp_path / "wl.yaml"
    yaml.write_text(f"""watchlist: 杭州重点商标
organisation: {STATION}
subscribers:
  - organisation: {ASSOCIATION}
    webhook: {url}
brands:
  - brand_id: HZ-0002
    mark: 康师傅
    classes: [30]
""", encoding="utf-8")
    summary = svc.import_watchlists([yaml])
    assert summary.subscriptions == 1 and not summary.errors, summary


# ---------------------------------------------------------------- L1: the default secret
def test_default_secret_is_never_used_to_sign(tmp_path, receiver):
    svc = make_service(f"sqlite:///{tmp_path}/d.db", tmp_path)
    assert svc.settings.webhook_secret == DEFAULT_WEBHOOK_SECRET
    seed(svc, tmp_path, run=False)
    _file_subscription(svc, tmp_path, receiver.url)
    svc.run()
    receiver.set("up")
    d = svc.deliver()
    assert d.webhooks_sent == 0 and d.webhook_failures == 1 and receiver.keys_seen == []
    assert "change-me" in d.errors[0] and "MARKWATCH_WEBHOOK_SECRET" in d.errors[0]
    rows = _outbox(svc)
    assert rows and all(m.status == "pending" and m.attempts == 0 for m in rows)  # not an attempt
    assert "MARKWATCH_WEBHOOK_SECRET" in rows[0].last_error
    for _ in range(3):  # it never gives up on its own: it waits for the setting
        assert svc.deliver().webhooks_sent == 0
    assert all(m.status == "pending" and m.attempts == 0 for m in _outbox(svc))
    # the operator sets a secret: everything goes, signed with it
    fixed = clone_service(svc, webhook_secret="一个很长的随机字符串-7f3a9c")
    d = fixed.deliver()
    assert d.webhooks_sent == len(rows) and d.webhook_failures == 0
    assert all(verify(r.body, "一个很长的随机字符串-7f3a9c", r.headers[SIGNATURE_HEADER]) for r in receiver.accepted)
    assert not any(verify(r.body, DEFAULT_WEBHOOK_SECRET, r.headers[SIGNATURE_HEADER]) for r in receiver.accepted)


def test_new_webhook_subscription_gets_a_random_secret_shown_once(tmp_path, receiver):
    from markwatch.api import create_app

    svc = make_service(f"sqlite:///{tmp_path}/n.db", tmp_path)  # the global secret stays the default
    w = seed(svc, tmp_path, run=False)
    client = TestClient(create_app(svc))
    hdr = {"Authorization": f"Bearer {w.tokens[STATION]}"}
    r = client.post(f"{API}/subscriptions", headers=hdr,
                    json={"watchlist_id": w.watchlist_a, "organisation": ASSOCIATION, "webhook": receiver.url})
    assert r.status_code == 201, r.text
    sub = r.json()
    secret = sub["webhook_secret"]
    assert len(secret) >= 40 and secret != DEFAULT_WEBHOOK_SECRET and sub["has_webhook_secret"] is True
    # shown once: listings and reads only say that there is one
    listed = client.get(f"{API}/subscriptions", headers=hdr).json()
    assert listed and all("webhook_secret" not in x and x["has_webhook_secret"] for x in listed)
    assert "webhook_secret" not in client.get(f"{API}/subscriptions/{sub['id']}", headers=hdr).json()
    # a secret given by the owner is kept, and not echoed
    r = client.post(f"{API}/subscriptions", headers=hdr,
                    json={"watchlist_id": w.watchlist_a, "webhook": receiver.url + "/own", "webhook_secret": "s3cret-自定"})
    assert r.status_code == 201 and "webhook_secret" not in r.json() and r.json()["has_webhook_secret"] is True
    # nobody can choose the public default as its own secret
    r = client.patch(f"{API}/subscriptions/{sub['id']}", headers=hdr, json={"webhook_secret": DEFAULT_WEBHOOK_SECRET})
    assert r.status_code == 422 and "change-me" in r.json()["detail"]
    # an e-mail-only subscription has none; adding a webhook later generates one, shown in that answer
    other = svc.as_org(svc.authenticate(w.tokens[OTHER]))
    mail = other.subscribe(w.watchlist_c, email="clerk@nb.example.org")
    assert mail["has_webhook_secret"] is False and "webhook_secret" not in mail
    changed = other.update_subscription(mail["id"], {"webhook": receiver.url + "/nb"})
    assert changed["has_webhook_secret"] is True and len(changed["webhook_secret"]) >= 40
    assert "webhook_secret" not in other.update_subscription(mail["id"], {"email": None})  # kept, not shown
    with svc.db.session() as s:
        stored = {x.id: x.webhook_secret for x in s.scalars(select(Subscription))}
    assert stored[sub["id"]] == secret and stored[mail["id"]] == changed["webhook_secret"]
    assert len(set(stored.values())) == 3
    # deliveries are signed with the subscription's own secret, though the global one is the default
    svc.run()
    receiver.set("up")
    d = svc.deliver()
    assert d.webhooks_sent > 0 and d.webhook_failures == 0, d.errors
    mine = [x for x in receiver.accepted if x.path == "/hooks/markwatch"]
    assert mine and all(verify(x.body, secret, x.headers[SIGNATURE_HEADER]) for x in mine)


def test_serve_and_schedule_report_the_default_secret(tmp_path, monkeypatch, caplog):
    import uvicorn

    from markwatch.cli import app
    from markwatch.cli import common as cli_common

    svc = make_service(f"sqlite:///{tmp_path}/c.db", tmp_path)
    monkeypatch.setattr(cli_common, "service", lambda: svc)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    runner = CliRunner()
    r = runner.invoke(app, ["serve"])
    assert r.exit_code == 0 and "error:" in r.output and "webhook_secret is the default" in r.output, r.output
    with caplog.at_level(logging.ERROR, logger="markwatch"):
        r = runner.invoke(app, ["schedule", "--once"])
    assert r.exit_code == 0, r.output
    assert any("webhook_secret is the default" in m for m in caplog.messages), caplog.messages
    # with a secret of its own: not a word
    good = clone_service(svc, webhook_secret="a-long-random-string-0b9e")
    monkeypatch.setattr(cli_common, "service", lambda: good)
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="markwatch"):
        assert runner.invoke(app, ["schedule", "--once"]).exit_code == 0
        r = runner.invoke(app, ["serve"])
    assert "webhook_secret" not in r.output and not any("webhook_secret" in m for m in caplog.messages)


# ---------------------------------------------------------------- L9: repr, plain SMTP login
def test_repr_of_settings_and_service_leaves_secrets_out(tmp_path):
    secrets = {"smtp_password": "smtp-口令-9f1", "webhook_secret": "hook-secret-4c2", "token_pepper": "pepper-77e",
               "database_url": "postgresql+psycopg://mw:db-pass-31@db.example.cn/markwatch",
               "source_urls": ("https://gazette-user:src-pass-58@gazette.example.cn/feed?api_key=K3Y",)}
    settings = Settings(smtp_host="smtp.example.cn", smtp_user="mw", smtp_tls="ssl", **secrets)
    svc = make_service("sqlite://", tmp_path, smtp_host="smtp.example.cn", smtp_user="mw", smtp_tls="ssl", **secrets)
    for text in (repr(settings), str(settings), repr(svc)):
        assert "smtp.example.cn" in text  # the rest is still shown
        for leak in ("smtp-口令-9f1", "hook-secret-4c2", "pepper-77e", "db-pass-31", "src-pass-58", "K3Y"):
            assert leak not in text, (leak, text)
    # a subscriber from a watchlist file, and a subscription request: the webhook's token and the secret
    from markwatch.api.schemas import SubscriptionIn, SubscriptionPatch
    from markwatch.model import Subscriber

    hook = "https://oapi.dingtalk.com/robot/send?access_token=T0KEN-8d1"
    texts = [repr(Subscriber(ASSOCIATION, email="a@food.example.org", webhook=hook)),
             repr(SubscriptionIn(watchlist_id=1, email="a@food.example.org", webhook=hook, webhook_secret="sub-secret-5a")),
             repr(SubscriptionPatch(webhook=hook, webhook_secret="sub-secret-5a"))]
    for text in texts:
        assert "T0KEN-8d1" not in text and "sub-secret-5a" not in text, text
    assert "a@food.example.org" in texts[0] and "a@food.example.org" in texts[1]


def test_smtp_login_without_tls_is_refused_at_start_up(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="smtp_allow_plain_login"):
        Settings(smtp_host="smtp.example.cn", smtp_user="mw@example.cn", smtp_password="pw")
    with pytest.raises(ConfigError, match="smtp_tls"):
        Settings.load(env={"MARKWATCH_SMTP_USER": "mw@example.cn"})
    with pytest.raises(ConfigError, match="smtp_tls must be"):
        Settings(smtp_tls="tls")
    assert Settings(smtp_user="mw", smtp_tls="starttls").smtp_user == "mw"
    assert Settings(smtp_user="mw", smtp_tls="ssl").smtp_user == "mw"
    assert Settings.load(env={"MARKWATCH_SMTP_USER": "mw", "MARKWATCH_SMTP_ALLOW_PLAIN_LOGIN": "true"}) \
        .smtp_allow_plain_login is True
    assert Settings().smtp_allow_plain_login is False
    # the command line stops before anything is sent, and does not print the password
    from markwatch.cli import app

    for k in [k for k in __import__("os").environ if k.startswith("MARKWATCH_")]:
        monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MARKWATCH_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("MARKWATCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MARKWATCH_SMTP_USER", "mw")
    monkeypatch.setenv("MARKWATCH_SMTP_PASSWORD", "pw-5ec9e7")
    r = CliRunner().invoke(app, ["deliver"])
    assert r.exit_code == 2 and "smtp_allow_plain_login" in r.output and "pw-5ec9e7" not in r.output, r.output


class AuthInbox(Inbox):
    def __init__(self) -> None:
        super().__init__()
        self.logins: list[tuple[str, str]] = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=auth_data.password == b"pw-7")
        return AuthResult(success=False)


@pytest.fixture
def auth_smtp():
    from aiosmtpd.controller import Controller

    inbox = AuthInbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, authenticator=inbox.authenticate,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    yield inbox
    controller.stop()


def test_plain_login_only_with_the_opt_in(tmp_path, auth_smtp):
    svc = make_service(f"sqlite:///{tmp_path}/p.db", tmp_path, smtp_host="127.0.0.1", smtp_port=auth_smtp.port,
                       smtp_user="mw", smtp_password="pw-7", smtp_allow_plain_login=True)
    w = seed(svc, tmp_path, run=False)
    svc.as_org(svc.authenticate(w.tokens[STATION])).subscribe(w.watchlist_a, email="clerk@station.example.org")
    confirm_addresses(svc)
    svc.run()
    d = svc.deliver()
    assert d.emails_sent == 1 and d.email_failures == 0, d.errors
    assert auth_smtp.logins == [("mw", "pw-7")] and len(auth_smtp.messages) == 1
    _msg, text, _html = _parts(auth_smtp.messages[0][2])
    assert "康帅傅" in text
