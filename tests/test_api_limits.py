"""Request bodies: refused without a valid token before they are read, and capped while they stream in."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from fastapi.testclient import TestClient

from markwatch.api import create_app

from .servicekit import STATION, World, free_port, make_service, seed, wait_for

API = "/api/v1"
MiB = 1 << 20


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    tmp = tmp_path_factory.mktemp("limits")
    return seed(make_service(f"sqlite:///{tmp}/limits.db", tmp), tmp)


@pytest.fixture(scope="module")
def live(world: World):
    """The app on a real port, so that the tests see what a client on the wire sees."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(world.svc), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for(lambda: server.started, timeout=20)
    yield port
    server.should_exit = True
    thread.join(10)


def _read_answer(sock: socket.socket) -> tuple[int, dict]:
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body[:_length(data)] or b"{}")


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def _send_all(sock: socket.socket, chunks) -> None:
    """Send until the server closes on us (it may answer and hang up before the end)."""
    try:
        for chunk in chunks:
            sock.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass


def test_a_body_without_token_is_refused_before_it_is_sent(live: int, world: World, monkeypatch):
    reached = []
    monkeypatch.setattr(type(world.svc), "compare", lambda *a, **k: reached.append(a))
    with socket.create_connection(("127.0.0.1", live), timeout=10) as sock:
        # headers only: a server that reads the 5 MB body first would never answer
        sock.sendall(b"POST /api/v1/compare HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % (5 * MiB))
        status, body = _read_answer(sock)
    assert status == 401 and "缺少令牌" in body["detail"]
    # a wrong token is refused the same way, also before the body
    with socket.create_connection(("127.0.0.1", live), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/compare HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer mw_wrong\r\n"
                     b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (5 * MiB))
        status, body = _read_answer(sock)
    assert status == 401 and "令牌无效" in body["detail"]
    assert reached == []


def test_the_guard_never_receives_the_body_of_an_unauthenticated_request(world: World):
    import anyio

    app = create_app(world.svc)
    received, sent = [], []

    async def receive():
        received.append(1)
        return {"type": "http.request", "body": b"{" + b" " * (5 * MiB) + b"}", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": f"{API}/compare", "raw_path": f"{API}/compare".encode(), "query_string": b"",
             "headers": [(b"host", b"x"), (b"content-type", b"application/json")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "root_path": ""}
    anyio.run(app, scope, receive, send)
    assert sent[0]["status"] == 401 and received == []


def test_a_declared_body_over_the_limit_is_413(world: World):
    client = TestClient(create_app(world.svc))
    hdr = {"Authorization": f"Bearer {world.tokens[STATION]}", "Content-Type": "application/json"}
    big = json.dumps({"brand": "康师傅", "candidate": "康帅傅", "pad": "x" * (2 * MiB)})
    r = client.post(f"{API}/compare", headers=hdr, content=big)
    assert r.status_code == 413 and "请求体过大" in r.json()["detail"]
    # under the limit the same route answers
    r = client.post(f"{API}/compare", headers=hdr, json={"brand": "康师傅", "candidate": "康帅傅"})
    assert r.status_code == 200, r.text


def _multipart_head(boundary: bytes) -> bytes:
    return (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="names.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n")


def _chunked(parts):
    for part in parts:
        yield b"%x\r\n%s\r\n" % (len(part), part)
    yield b"0\r\n\r\n"


def _import_request(port: int, token: str, watchlist_id: int, parts) -> tuple[int, dict]:
    boundary = b"mwboundary"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST /api/v1/watchlists/%d/brands/import HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: multipart/form-data; boundary=%s\r\n\r\n" % (watchlist_id, token.encode(), boundary))
        _send_all(sock, _chunked([_multipart_head(boundary), *parts, b"\r\n--" + boundary + b"--\r\n"]))
        return _read_answer(sock)


def test_a_chunked_upload_is_cut_off_at_the_limit(live: int, world: World):
    limit = world.svc.settings.max_import_bytes
    part = "HZ-9999,商标,30\n".encode() * 5000  # about 100 KiB
    parts = (part for _ in range(2 * limit // len(part)))  # twice the limit, never announced
    status, body = _import_request(live, world.tokens[STATION], world.watchlist_a, parts)
    assert status == 413 and "请求体过大" in body["detail"]


def test_a_normal_chunked_import_still_works(live: int, world: World):
    table = "编号,商标,类别\nHZ-0801,五芳斋,30\n".encode()
    status, body = _import_request(live, world.tokens[STATION], world.watchlist_a, [table])
    assert status == 200, body
    assert body["brands_new"] == 1


def test_a_body_request_looks_its_token_up_once(world: World, monkeypatch):
    calls = []
    real = type(world.svc).authenticate
    monkeypatch.setattr(type(world.svc), "authenticate", lambda self, t: calls.append(t) or real(self, t))
    client = TestClient(create_app(world.svc))
    r = client.post(f"{API}/compare", headers={"Authorization": f"Bearer {world.tokens[STATION]}"},
                    json={"brand": "康师傅", "candidate": "康帅傅"})
    assert r.status_code == 200 and calls == [world.tokens[STATION]]


# ---------------------------------------------------------------- search by image: a picture upload
def _picture_request(port: int, token: str, parts, *, filename: bytes = b"logo.png") -> tuple[int, dict]:
    boundary = b"mwpicture"
    head = (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="' + filename
            + b'"\r\nContent-Type: image/png\r\n\r\n')
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(b"POST /api/v1/search/image?top=5&classes=30 HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: multipart/form-data; boundary=%s\r\n\r\n" % (token.encode(), boundary))
        _send_all(sock, _chunked([head, *parts, b"\r\n--" + boundary + b"--\r\n"]))
        return _read_answer(sock)


def test_a_picture_upload_is_capped_at_21_mib_and_its_token_checked_first(live: int, world: World):
    assert world.svc.settings.max_import_bytes == 21 * MiB
    # announced over the cap: answered at once, before one byte of the body is sent
    with socket.create_connection(("127.0.0.1", live), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/search/image HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                     b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n"
                     % (world.tokens[STATION].encode(), 22 * MiB))
        status, body = _read_answer(sock)
    assert status == 413 and "请求体过大" in body["detail"]
    # without a token, refused before the body, however small it says it is
    with socket.create_connection(("127.0.0.1", live), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/search/image HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n" % (1 * MiB))
        status, body = _read_answer(sock)
    assert status == 401 and "缺少令牌" in body["detail"]
    # never announced (chunked), cut off once the bytes received pass the cap
    piece = b"\x00" * (256 << 10)
    status, body = _picture_request(live, world.tokens[STATION], (piece for _ in range(22 * 4)))
    assert status == 413 and "请求体过大" in body["detail"]
    # under the body's cap but over the picture's 20 MiB: the route says so
    status, body = _picture_request(live, world.tokens[STATION], (piece for _ in range(20 * 4 + 2)))
    assert status == 400 and "larger than 20 MiB" in body["detail"]


def test_a_picture_upload_under_the_cap_is_searched(live: int, world: World):
    from markwatch.images.features import available

    pil = pytest.importorskip("PIL.Image")
    import io

    world.svc.update_picture_indexes()  # what ingest or the cycle does; the search itself never builds it
    img = pil.new("RGB", (120, 120), "white")
    from PIL import ImageDraw

    ImageDraw.Draw(img).ellipse((20, 20, 100, 100), outline="black", width=8)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    status, body = _picture_request(live, world.tokens[STATION], [buf.getvalue()], filename="圆环.png".encode())
    assert status == 200, body
    assert body["query_image"] == "圆环.png" and body["results"] == []  # the seeded register has no pictures
    if available():
        assert body["index_pictures"] == 0 and body["pictures_not_indexed"] == 0
    else:
        assert body["not_compared"] == "图形未比较（请安装 markwatch[images]）"
