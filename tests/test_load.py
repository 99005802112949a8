"""scripts/load.py's HTTP client: keep-alive calls, the answer's status and body, and every answer that is
not a 200 or not readable counted as an error in the report."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import random
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_module():
    spec = importlib.util.spec_from_file_location("markwatch_load_script", ROOT / "scripts" / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


load = _load_module()


class CannedServer:
    """An HTTP/1.1 server on the loopback that answers each request with the next of `answers` (raw bytes,
    or None to drop the connection) and records what it was sent."""

    def __init__(self, answers: list[bytes | None]) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.answers:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *lines = head[:-4].decode().split("\r\n")
                fields = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
                body = await reader.readexactly(int(fields.get("content-length", 0)))
                self.requests.append((line, fields, body))
                answer = self.answers.pop(0)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> int:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        await self.server.wait_closed()


def answer(status: int, body: bytes, *extra: str) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"content-length: {len(body)}", "content-type: application/json", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def test_calls_share_one_connection_and_send_json_bodies_and_query_strings():
    server = CannedServer([answer(200, b'{"a": 1}'), answer(404, b'{"detail": "no"}')])

    async def go():
        async with server as port:
            conn = load.Connection("127.0.0.1", port, {"Authorization": "Bearer t"})
            first = await conn.request("POST", "/api/v1/compare", json_body={"brand": "雪碧", "candidate": "雷碧"})
            second = await conn.request("GET", "/api/v1/search", params={"mark": "康师傅", "top": 10})
            conn.close()
            return first, second

    first, second = asyncio.run(go())
    assert first == (200, b'{"a": 1}')
    assert second == (404, b'{"detail": "no"}')
    assert server.connections == 1
    (line1, fields1, body1), (line2, fields2, _) = server.requests
    assert line1 == "POST /api/v1/compare HTTP/1.1"
    assert fields1["authorization"] == "Bearer t" and fields1["content-type"] == "application/json"
    assert json.loads(body1) == {"brand": "雪碧", "candidate": "雷碧"}
    assert line2 == "GET /api/v1/search?mark=%E5%BA%B7%E5%B8%88%E5%82%85&top=10 HTTP/1.1"


def test_a_connection_the_server_closes_is_opened_again_for_the_next_call():
    server = CannedServer([answer(200, b"{}", "connection: close"), answer(200, b"[]")])

    async def go():
        async with server as port:
            conn = load.Connection("127.0.0.1", port, {})
            got = [await conn.request("GET", "/x"), await conn.request("GET", "/y")]
            conn.close()
            return got

    assert asyncio.run(go()) == [(200, b"{}"), (200, b"[]")]
    assert server.connections == 2


@pytest.mark.parametrize("bad, kind", [(None, "IncompleteReadError"),
                                        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
                                         "answer without Content-Length")])
def test_a_dropped_connection_or_an_unframed_answer_is_an_http_error(bad, kind):
    server = CannedServer([bad])

    async def go():
        async with server as port:
            with pytest.raises(load.HTTPError) as raised:
                await load.Connection("127.0.0.1", port, {}).request("GET", "/x")
            return str(raised.value)

    assert asyncio.run(go()) == kind


def test_answers_other_than_200_are_errors_in_the_report():
    answers = [answer(200, b"{}"), answer(500, b"{}"), answer(429, b"{}"), answer(200, b"{}"), None]
    server = CannedServer(answers)
    results: list = []

    async def go():
        async with server as port:
            await load.client(load.Connection("127.0.0.1", port, {}), time.monotonic() + 5, random.Random(3),
                              results)

    # the canned server drops the connection after its four answers: the client keeps reconnecting
    # (each refused call is an error) until the time is up, so stop it there
    async def bounded():
        task = asyncio.create_task(go())
        while len(results) < 5:
            await asyncio.sleep(0.01)
        task.cancel()

    asyncio.run(bounded())
    details = [r[3] for r in results[:5]]
    assert [r[2] for r in results[:4]] == [True, False, False, True]
    assert details[1:3] == ["HTTP 500", "HTTP 429"]
    assert details[4]  # the dropped connection
    report = load.summarise(results[:5], 1.0, 1)
    assert report["errors"] == 3 and report["requests"] == 5
    assert {"HTTP 500", "HTTP 429"} <= set(report["error_kinds"])
