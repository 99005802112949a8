"""The outbound address policy (outbound.py) on webhooks, and the bounds of one webhook request.

Every test talks only to 127.0.0.1: a name that "resolves" elsewhere is simulated by replacing the
policy's resolver and the socket module's lookup, and a connection to anything but loopback is cut
before it leaves the machine.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time

import pytest

from markwatch import outbound
from markwatch.outbound import OutboundRefused, check_url

from .servicekit import STATION, LocalServer, make_service, seed

PUBLIC = "93.184.215.14"  # a global address; no test ever connects to it


# ---------------------------------------------------------------- the policy itself
@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://127.8.9.10:8080/", "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5:9200/_bulk", "http://172.16.3.4/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://[::1]:6379/", "http://[::ffff:127.0.0.1]/", "http://[fe80::1]/", "http://[fd00::1]/",
    "http://0.0.0.0/", "http://localhost:5432/", "https://0x7f000001/", "http://2130706433/",
    "http://user:pw@hooks.example.org/x", "http://token@hooks.example.org/x", "ftp://hooks.example.org/",
    "file:///etc/passwd", "http:///nohost",
])
def test_internal_addresses_userinfo_and_other_schemes_are_refused(url):
    with pytest.raises(OutboundRefused) as exc:
        check_url(url, ())
    assert "pw" not in str(exc.value) and "token" not in str(exc.value)


def test_operator_allow_list_names_a_host_or_a_range():
    check_url("http://10.0.0.5:9200/_bulk", ("10.0.0.0/8",))
    check_url("http://[::1]:8080/", ("::1",))
    check_url("http://localhost:8080/", ("localhost",))
    check_url("http://127.0.0.1/", (" 127.0.0.0/8 ", "not a range"))
    for url, allow in (("http://10.1.0.5/", ("10.0.0.0/16",)), ("http://169.254.169.254/", ("10.0.0.0/8",)),
                       ("http://127.0.0.1/", ("localhost",)), ("http://localhost/", ("127.0.0.2/32",))):
        with pytest.raises(OutboundRefused):
            check_url(url, allow)
    # the allow list opens addresses, never credentials in the URL
    with pytest.raises(OutboundRefused):
        check_url("http://user:pw@10.0.0.5/", ("10.0.0.0/8",))


def test_public_addresses_pass(monkeypatch):
    monkeypatch.setattr(outbound, "resolve", lambda host, port: [ipaddress.ip_address(PUBLIC)])
    check_url("https://hooks.example.org/robot/send?access_token=T", ())


# ---------------------------------------------------------------- webhooks end to end
class Hook:
    """A webhook receiver on 127.0.0.1 that records what reaches it."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.server = LocalServer(self._handle).start()

    def _handle(self, _server, req):
        self.hits.append(req.path)
        return 200, {"Content-Type": "application/json"}, b'{"ok": true}'

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.port}/hooks/markwatch?access_token=T0KEN"


@pytest.fixture
def hook():
    h = Hook()
    yield h
    h.server.stop()


def _subscribed(tmp_path, url: str, **settings):
    svc = make_service(f"sqlite:///{tmp_path}/o.db", tmp_path, **{"webhook_timeout": 2.0, **settings})
    w = seed(svc, tmp_path, run=False)
    svc.as_org(svc.authenticate(w.tokens[STATION])).subscribe(w.watchlist_a, webhook=url)
    svc.run()
    return svc


def _dns(monkeypatch, name: str, policy_sees: list[str], socket_sees: str) -> list[tuple[str, int]]:
    """`name` resolves to the addresses in `policy_sees` (one per lookup, the last one repeated) for the
    policy, and to `socket_sees` for any other lookup; connections to anything but loopback are refused
    (and recorded) before they leave the machine."""
    answers = list(policy_sees)

    def fake_resolve(host, port):
        if host != name:
            return real_resolve(host, port)
        addr = answers.pop(0) if len(answers) > 1 else answers[0]
        return [ipaddress.ip_address(addr)]

    def fake_getaddrinfo(host, *args, **kwargs):
        return real_getaddrinfo(socket_sees if host == name else host, *args, **kwargs)

    attempts: list[tuple[str, int]] = []

    def fake_create_connection(address, *args, **kwargs):
        attempts.append(address)
        host = address[0]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = True  # a name: resolved through fake_getaddrinfo, which points at loopback
        if not loopback:
            raise OSError(101, "network is unreachable (tests stay on this machine)")
        return real_create_connection(address, *args, **kwargs)

    real_resolve, real_getaddrinfo, real_create_connection = outbound.resolve, socket.getaddrinfo, socket.create_connection
    monkeypatch.setattr(outbound, "resolve", fake_resolve)
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", fake_create_connection)
    return attempts


def test_webhook_allowed_by_host_name_in_the_allow_list(tmp_path, hook):
    svc = _subscribed(tmp_path, hook.url("localhost"), outbound_allow=("localhost",))
    d = svc.deliver()
    assert d.webhooks_sent > 0 and d.webhook_failures == 0 and len(hook.hits) == d.webhooks_sent


def test_webhook_allowed_by_range_in_the_allow_list(tmp_path, hook):
    svc = _subscribed(tmp_path, hook.url(), outbound_allow=("127.0.0.0/8",))
    d = svc.deliver()
    assert d.webhooks_sent > 0 and d.webhook_failures == 0


def test_webhook_refused_at_save_time(tmp_path, hook):
    svc = make_service(f"sqlite:///{tmp_path}/o.db", tmp_path, outbound_allow=())
    w = seed(svc, tmp_path, run=False)
    station = svc.as_org(svc.authenticate(w.tokens[STATION]))
    for url in (hook.url(), hook.url("localhost"), f"http://user:pw@127.0.0.1:{hook.server.port}/x"):
        with pytest.raises(OutboundRefused):
            station.subscribe(w.watchlist_a, webhook=url)


def test_name_that_resolves_to_loopback_after_it_was_saved_is_refused_at_connect_time(tmp_path, hook, monkeypatch):
    """DNS rebinding: public when the webhook was saved, loopback when delivery connects."""
    attempts = _dns(monkeypatch, "hooks.rebind.test", [PUBLIC, "127.0.0.1"], "127.0.0.1")
    svc = _subscribed(tmp_path, hook.url("hooks.rebind.test"), outbound_allow=())
    d = svc.deliver()
    assert d.webhooks_sent == 0 and d.webhook_failures == 1 and hook.hits == []
    assert "internal address" in d.errors[0] and "T0KEN" not in d.errors[0]
    assert attempts == []


def test_connection_goes_to_the_address_the_policy_checked(tmp_path, hook, monkeypatch):
    """The policy's lookup says public, a second lookup would say loopback: the connection must be made
    to the checked address, never to whatever a later lookup of the name returns."""
    attempts = _dns(monkeypatch, "hooks.rebind.test", [PUBLIC], "127.0.0.1")
    svc = _subscribed(tmp_path, hook.url("hooks.rebind.test"), outbound_allow=())
    d = svc.deliver()
    assert d.webhooks_sent == 0 and hook.hits == []
    assert attempts and {a[0] for a in attempts} == {PUBLIC}


# ---------------------------------------------------------------- one request's bounds
class Trickle:
    """A raw receiver: reads the request, then writes `answer` `chunk` bytes every `pause` seconds."""

    def __init__(self, answer: bytes | None = None, *, chunk: int = 1, pause: float = 0.0,
                 body_chunks: int = 0) -> None:
        self.answer, self.chunk, self.pause, self.body_chunks = answer, chunk, pause, body_chunks
        self.sent = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                try:
                    if self.answer is not None:
                        for i in range(0, len(self.answer), self.chunk):
                            conn.sendall(self.answer[i:i + self.chunk])
                            self.sent += self.chunk
                            time.sleep(self.pause)
                    else:  # 500 with a chunked body of body_chunks x 1 MiB, no Content-Length
                        conn.sendall(b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n")
                        piece = b"100000\r\n" + b"e" * (1 << 20) + b"\r\n"
                        for _ in range(self.body_chunks):
                            conn.sendall(piece)
                            self.sent += 1 << 20
                        conn.sendall(b"0\r\n\r\n")
                except OSError:
                    pass  # the sender hung up

    def close(self) -> None:
        self.sock.close()


def test_receiver_trickling_its_headers_is_cut_at_the_deadline(tmp_path):
    """Each byte comes well within the read timeout; the whole answer would take ~20 s."""
    answer = b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 40 + b"\r\nContent-Length: 0\r\n\r\n"
    trickle = Trickle(answer, chunk=1, pause=0.25)
    try:
        svc = _subscribed(tmp_path, trickle.url, webhook_timeout=1.0)
        t0 = time.monotonic()
        d = svc.deliver()
        took = time.monotonic() - t0
    finally:
        trickle.close()
    assert d.webhooks_sent == 0 and d.webhook_failures == 1, d
    assert "Timeout" in d.errors[0]
    assert took < 4.0, took


def test_receiver_answering_a_50_mb_error_body_is_not_read_whole(tmp_path):
    big = Trickle(body_chunks=50)
    try:
        svc = _subscribed(tmp_path, big.url, webhook_timeout=5.0)
        t0 = time.monotonic()
        d = svc.deliver()
        took = time.monotonic() - t0
        time.sleep(0.3)  # let the receiver notice the hang-up
    finally:
        big.close()
    assert d.webhook_failures == 1 and d.errors[0].count("e") >= 100 and len(d.errors[0]) < 400
    assert big.sent < 20 << 20 and took < 4.0, (big.sent, took)
