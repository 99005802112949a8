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

import httpx

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
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not come up within 60 s")


async def client(base: str, token: str, until: float, rng: random.Random, results: list) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        while time.monotonic() < until:
            op = rng.choices([m for m, _ in MIX], [w for _, w in MIX])[0]
            started = time.perf_counter()
            try:
                if op == "search":
                    r = await http.get("/api/v1/search", params={"mark": rng.choice(SEARCHES), "top": 10})
                elif op == "compare":
                    brand, cand = rng.choice(PAIRS)
                    r = await http.post("/api/v1/compare", json={"brand": brand, "candidate": cand,
                                                                 "brand_classes": [30], "candidate_classes": [30]})
                else:
                    r = await http.get("/api/v1/alerts", params={"limit": 20, "offset": rng.randint(0, 40)})
                ok = r.status_code == 200
                detail = "" if ok else f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                ok, detail = False, type(exc).__name__
            results.append((op, time.perf_counter() - started, ok, detail))


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
    try:
        # Warm up (indexes and dictionaries load on first use), outside the measured time.
        warm = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"},
                            timeout=120)
        warm.get("/api/v1/search", params={"mark": SEARCHES[0]}).raise_for_status()
        warm.post("/api/v1/compare", json={"brand": "雪碧", "candidate": "雷碧"}).raise_for_status()
        warm.close()
        rng = random.Random(args.seed)
        results: list = []
        server_cpu = process_tree_cpu(server.pid)
        client_cpu = time.process_time()
        started = time.monotonic()
        until = started + args.seconds

        async def all_clients() -> None:
            await asyncio.gather(*(client(f"http://127.0.0.1:{port}", token, until, random.Random(rng.random()),
                                          results) for _ in range(args.clients)))

        asyncio.run(all_clients())
        elapsed = time.monotonic() - started
        client_cpu = time.process_time() - client_cpu
        server_after = process_tree_cpu(server.pid)
        report = summarise(results, elapsed, args.clients,
                           server_after - server_cpu if server_cpu is not None and server_after is not None else None,
                           client_cpu)
    finally:
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
