"""Load test: N concurrent clients against a local `markwatch serve` for a fixed time.

Seeds a fresh SQLite database with the demo gazette and watchlists (or uses --database-url), starts
`markwatch serve` on 127.0.0.1, and runs the clients — a mix of clearance search, compare and alert
listing — for --seconds. Prints throughput, p50/p95/p99 latency per operation and errors. Traffic goes
to the loopback address only, and the run stops by itself.

    .venv/bin/python scripts/load.py --clients 50 --seconds 30 [--workers 2] [--tool-limits open] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
SEARCHES = ["康师傅", "雪碧", "娃哈哈", "五常大米", "农夫山泉", "周黑鸭", "蜜雪冰城", "安吉白茶", "WAHAHA", "小米"]
PAIRS = [("康师傅", "康帅傅"), ("雪碧", "雷碧"), ("奥利奥", "粤利粤"), ("华为", "华硕"), ("红牛", "RED BULL"),
         ("五常大米", "五常醇香米"), ("农夫山泉", "農夫山泉"), ("六个核桃", "六个石磨核桃")]
MIX = (("search", 0.3), ("compare", 0.3), ("alerts", 0.4))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(url: str, workdir: Path) -> str:
    """Demo data in, one run, and a token for the guidance station."""
    sys.path.insert(0, str(ROOT / "src"))
    from markwatch.config import Settings
    from markwatch.service.facade import Service

    svc = Service(settings=Settings(database_url=url, index_dir=workdir / "indexes"))
    svc.ingest(sorted((ROOT / "data" / "demo").glob("gazette*")))
    svc.import_watchlists(sorted((ROOT / "watchlists").glob("*.yaml")))
    svc.run()
    svc.update_register_index()  # the nightly cycle's job: a search never builds it
    _, token = svc.create_org("杭州市商标品牌指导站", "station")
    svc.db.dispose()
    return token


def start_server(url: str, port: int, workdir: Path, *, workers: int, limits: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, "MARKWATCH_DATABASE_URL": url, **limits}
    proc = subprocess.Popen([sys.executable, "-m", "markwatch", "serve", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warning", "--workers", str(workers)], cwd=workdir, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited with status {proc.returncode}") from None
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not come up within 60 s")


class HTTPError(Exception):
    """The connection failed or the answer was not HTTP/1.1 this client reads."""


class Connection:
    """One HTTP/1.1 keep-alive connection to the server, on asyncio streams.

    The load generator runs on the same cores as the server, so its own CPU a call is part of every
    figure: this client does only what the calls here need (answers framed by Content-Length, JSON
    bodies, a reconnect when the server closes) and nothing a general client must (redirects, cookies,
    pools, header models), at a fraction of a general client's CPU.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str], timeout: float = 30) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, *, params: dict | None = None,
                      json_body: object = None) -> tuple[int, bytes]:
        """The status and body of one call; HTTPError when the connection fails or times out (the
        connection is then dropped and the next call opens another)."""
        target = f"{path}?{urlencode(params, doseq=True)}" if params else path
        body = b"" if json_body is None else json.dumps(json_body, ensure_ascii=False).encode()
        head = f"{method} {target} HTTP/1.1\r\n{self.head}"
        if json_body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        try:
            return await asyncio.wait_for(self._exchange((head + "\r\n").encode() + body), self.timeout)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
                ValueError) as exc:
            self.close()
            raise HTTPError(type(exc).__name__) from exc
        except HTTPError:
            self.close()
            raise

    async def _exchange(self, message: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(message)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *lines = head[:-4].decode("latin-1").split("\r\n")
        version, status = status_line.split(" ", 2)[:2]
        if not version.startswith("HTTP/1."):
            raise HTTPError(f"not HTTP/1.x: {status_line!r}")
        fields = {}
        for line in lines:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if "content-length" not in fields:
            raise HTTPError("answer without Content-Length")
        body = await self.reader.readexactly(int(fields["content-length"]))
        if fields.get("connection", "").lower() == "close":
            self.close()
        return int(status), body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def client(conn: Connection, until: float, rng: random.Random, results: list) -> None:
    try:
        while time.monotonic() < until:
            op = rng.choices([m for m, _ in MIX], [w for _, w in MIX])[0]
            started = time.perf_counter()
            try:
                if op == "search":
                    status, _ = await conn.request("GET", "/api/v1/search",
                                                   params={"mark": rng.choice(SEARCHES), "top": 10})
                elif op == "compare":
                    brand, cand = rng.choice(PAIRS)
                    status, _ = await conn.request("POST", "/api/v1/compare", json_body={
                        "brand": brand, "candidate": cand, "brand_classes": [30], "candidate_classes": [30]})
                else:
                    status, _ = await conn.request("GET", "/api/v1/alerts",
                                                   params={"limit": 20, "offset": rng.randint(0, 40)})
                ok = status == 200
                detail = "" if ok else f"HTTP {status}"
            except HTTPError as exc:
                ok, detail = False, str(exc)
            results.append((op, time.perf_counter() - started, ok, detail))
    finally:
        conn.close()


async def warm_up(conn: Connection) -> None:
    """Indexes and dictionaries load on first use: one search and one compare, outside the measured time."""
    for method, path, kw in (("GET", "/api/v1/search", {"params": {"mark": SEARCHES[0]}}),
                             ("POST", "/api/v1/compare", {"json_body": {"brand": "雪碧", "candidate": "雷碧"}})):
        status, body = await conn.request(method, path, **kw)
        if status != 200:
            raise SystemExit(f"warm-up {path}: HTTP {status} {body[:200]!r}")
    conn.close()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop where it is installed (less CPU a call for the generator), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def process_tree_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a process and its live descendants (the server's workers), from
    /proc; None where there is no /proc."""
    total, todo = 0.0, [pid]
    try:
        tick = os.sysconf("SC_CLK_TCK")
        while todo:
            p = todo.pop()
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
    except (OSError, ValueError):
        return None
    return total


def settle(pid: int, *, quiet: float = 0.05, within: float = 60) -> None:
    """Wait until the server's processes are idle (under `quiet` CPU seconds in half a second): each
    worker warms up before it takes a connection, so one still warming would take none of the clients'
    connections and its warm-up would count as the CPU of the calls."""
    deadline = time.monotonic() + within
    last = process_tree_cpu(pid)
    while last is not None and time.monotonic() < deadline:
        time.sleep(0.5)
        now = process_tree_cpu(pid)
        if now is None or now - last < quiet:
            return
        last = now


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def summarise(results: list, seconds: float, clients: int, server_cpu: float | None = None,
              client_cpu: float | None = None) -> dict:
    def stats(rows):
        # latency of the answered calls: a refusal (429/503) is fast and would flatter the figures
        lat = [r[1] * 1000 for r in rows if r[2]]
        return {"requests": len(rows), "errors": sum(1 for r in rows if not r[2]),
                "p50_ms": round(percentile(lat, 50), 1), "p95_ms": round(percentile(lat, 95), 1),
                "p99_ms": round(percentile(lat, 99), 1), "mean_ms": round(statistics.fmean(lat), 1) if lat else 0}

    out = {"clients": clients, "seconds": round(seconds, 1), **stats(results),
           "throughput_rps": round(len(results) / seconds, 1),
           "by_operation": {op: stats([r for r in results if r[0] == op]) for op, _ in MIX},
           "error_kinds": sorted({r[3] for r in results if not r[2]})}
    # CPU per answered call: the server's (all its workers) and the load generator's own, which runs on
    # the same cores. By Little's law the latency is about clients / throughput, and the throughput at
    # most cores / (CPU per call): these say where the time goes.
    if results and server_cpu is not None:
        out["server_cpu_ms_per_request"] = round(1000 * server_cpu / len(results), 2)
    if results and client_cpu is not None:
        out["client_cpu_ms_per_request"] = round(1000 * client_cpu / len(results), 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1, help="markwatch serve --workers")
    ap.add_argument("--tool-limits", choices=("default", "open"), default="default",
                    help="open: no per-token rate and a queue for every client, to measure capacity "
                         "rather than the throttle (one token makes all the calls here)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not 1 <= args.clients <= 500 or not 0 < args.seconds <= 600:
        raise SystemExit("--clients must be 1..500 and --seconds 0..600")

    workdir = Path(tempfile.mkdtemp(prefix="markwatch-load-"))
    url = f"sqlite:///{workdir}/load.db"
    token = seed(url, workdir)
    port = free_port()
    limits = ({} if args.tool_limits == "default" else
              {"MARKWATCH_TOOL_RATE_PER_MINUTE": "0", "MARKWATCH_TOOL_QUEUE": str(args.clients)})
    server = start_server(url, port, workdir, workers=args.workers, limits=limits)
    headers = {"Authorization": f"Bearer {token}"}
    loop = new_event_loop()
    try:
        loop.run_until_complete(warm_up(Connection("127.0.0.1", port, headers, timeout=120)))
        settle(server.pid)
        rng = random.Random(args.seed)
        results: list = []
        server_cpu = process_tree_cpu(server.pid)
        client_cpu = time.process_time()
        started = time.monotonic()
        until = started + args.seconds

        async def all_clients() -> None:
            await asyncio.gather(*(client(Connection("127.0.0.1", port, headers), until,
                                          random.Random(rng.random()), results) for _ in range(args.clients)))

        loop.run_until_complete(all_clients())
        elapsed = time.monotonic() - started
        client_cpu = time.process_time() - client_cpu
        server_after = process_tree_cpu(server.pid)
        report = summarise(results, elapsed, args.clients,
                           server_after - server_cpu if server_cpu is not None and server_after is not None else None,
                           client_cpu)
    finally:
        loop.close()
        server.terminate()
        server.wait(timeout=30)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(f"{report['clients']} clients for {report['seconds']} s: {report['requests']} requests, "
          f"{report['throughput_rps']} req/s, errors {report['errors']}")
    print(f"{'operation':10s} {'requests':>9s} {'errors':>7s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s}"
          "   (latency of answered calls)")
    for op, s in [("all", report)] + list(report["by_operation"].items()):
        print(f"{op:10s} {s['requests']:9d} {s['errors']:7d} {s['p50_ms']:8.1f} {s['p95_ms']:8.1f} {s['p99_ms']:8.1f}")
    if "server_cpu_ms_per_request" in report:
        print(f"CPU a request: server {report['server_cpu_ms_per_request']} ms (all workers), "
              f"load generator {report.get('client_cpu_ms_per_request')} ms")
    if report["error_kinds"]:
        print("errors:", ", ".join(report["error_kinds"]))
    sys.exit(1 if report["errors"] else 0)


if __name__ == "__main__":
    main()
