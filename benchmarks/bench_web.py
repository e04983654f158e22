"""Load and browser checks of the planner's server, as users meet it (``make bench``).

A real ``hubplan serve`` is started as a subprocess (its own free 127.0.0.1 port and a
temporary scenario database), for ``--workers 1`` and ``--workers 2``. The load comes from
a *separate* client process (so the clients do not share the server's interpreter):
``CLIENTS`` threads each send ``POST /api/evaluate`` back to back for ``SECONDS`` on a
connection it keeps open (as a browser or a ``requests.Session`` does), every
request a different random set of national thrombectomy hubs (so nothing is answered
from a cache), once for the default answer (the summary, the what-if) and once for the
whole answer with every table (``"include": "all"``). Then headless Chromium
(Playwright) opens the page: the first load until the summary and the map are drawn, and the median over ``CLICKS`` clicks on
hospitals of the time from the click until the map has repainted and the summary has
changed. Figures are printed beside the targets, never asserted: these machines are
shared and noisy.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

CLIENTS = 20
SECONDS = 20.0
CLICKS = 20
LOADS = 5
TARGET_P95_MS = 100.0
TARGET_CLICK_MS = 300.0
TARGET_LOAD_S = 2.0
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json"} if body is not None else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Server:
    """``hubplan serve`` in a subprocess until :meth:`stop`."""

    def __init__(self, workers: int, folder: Path) -> None:
        self.port = _free_port()
        exe = Path(sys.executable).with_name("hubplan")
        self.process = subprocess.Popen(
            [str(exe), "serve", "--port", str(self.port), "--workers", str(workers), "--db",
             str(folder / f"bench-{workers}.db")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(1200):
            try:
                if _request(self.port, "GET", "/api/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("hubplan serve did not start in 120 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def _client_process(port: int, codes: list[str], include: str | None, seconds: float, clients: int,
                     seed: int, out: "multiprocessing.Queue[dict]") -> None:
    """The load, in its own process: ``clients`` threads, each request a fresh random option."""
    latencies: list[float] = []
    errors: list[str] = []
    sizes: list[int] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        conn: http.client.HTTPConnection | None = None
        while time.perf_counter() < deadline:
            body: dict = {"country": "England", "pathway": "direct", "hubs": rng.sample(codes, rng.randint(10, 40))}
            if include is not None:
                body["include"] = include
            start = time.perf_counter()
            try:  # one kept-alive connection per client, as a browser or a requests.Session keeps
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                conn.request("POST", "/api/evaluate", body=json.dumps(body), headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                status, payload = response.status, response.read()
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                if conn is not None:
                    conn.close()
                conn = None
                continue
            with lock:
                latencies.append(time.perf_counter() - start)
                sizes.append(len(payload))
                if status != 200:
                    errors.append(f"HTTP {status} {payload[:300].decode('utf-8', 'replace')}")

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put({"latencies": latencies, "errors": errors, "sizes": sizes, "wall": time.perf_counter() - start})


def _load(port: int, codes: list[str], include: str | None, seed: int) -> dict:
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[dict] = context.Queue()
    process = context.Process(target=_client_process, args=(port, codes, include, SECONDS, CLIENTS, seed, queue))
    process.start()
    result = queue.get(timeout=SECONDS + 300)
    process.join()
    return result


def _print_load(label: str, r: dict) -> float:
    ms = np.array(r["latencies"]) * 1000
    if not len(ms):
        print(f"{label}: no answers; errors {len(r['errors'])}")
        return float("nan")
    p95 = float(np.percentile(ms, 95))
    print(f"{label}: {len(ms)} requests in {r['wall']:.1f} s ({len(ms) / r['wall']:.1f}/s); ms p50 "
          f"{np.percentile(ms, 50):.0f}, p95 {p95:.0f}, p99 {np.percentile(ms, 99):.0f}; "
          f"{np.mean(r['sizes']) / 1000:.0f} kB each; errors {len(r['errors'])}"
          + (f" (first: {r['errors'][0]})" if r["errors"] else "")
          + f"; target p95 < {TARGET_P95_MS:.0f} ms: {'met' if p95 < TARGET_P95_MS else 'NOT met'}")
    return p95


SITE_POSITION = """(code) => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const sites = gd._fullData.find(t => t.name === 'sites');
  const i = sites.customdata.indexOf(code);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
  return [box.left + xa._offset + xa.l2p(sites.x[i]), box.top + ya._offset + ya.l2p(sites.y[i])];
}"""
WATCH = """() => { const gd = document.querySelector('#map .js-plotly-plot'); window.__plotT = 0; window.__sumT = 0;
  gd.on('plotly_afterplot', () => { window.__plotT = performance.now(); });
  new MutationObserver(() => { window.__sumT = performance.now(); }).observe(
    document.querySelector('#summary'), {subtree: true, childList: true, characterData: true}); }"""
DRAWN = """() => { const gd = document.querySelector('#map .js-plotly-plot');
  return gd && gd._fullData && gd._fullData.length >= 4 && document.querySelector('#summary-mean-hub'); }"""


def _browser(port: int) -> None:
    if not CHROMIUM.exists():
        print(f"browser: skipped ({CHROMIUM} is absent)")
        return
    from playwright.sync_api import sync_playwright

    url = f"http://127.0.0.1:{port}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        loads = []
        page = None
        for _ in range(LOADS):
            if page is not None:
                page.close()
            page = browser.new_page(viewport={"width": 1500, "height": 950})
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_function(DRAWN, timeout=120_000)
            loads.append(time.perf_counter() - start)
        assert page is not None
        page.evaluate(WATCH)
        codes = page.evaluate("() => document.querySelector('#map .js-plotly-plot')._fullData"
                              ".find(t => t.name === 'sites').customdata")
        rng = random.Random(7)
        clicks: list[float] = []
        for _ in range(CLICKS * 3):
            if len(clicks) >= CLICKS:
                break
            code = rng.choice(codes)
            x, y = page.evaluate(SITE_POSITION, code)
            page.mouse.move(x, y)
            try:  # plotly picks the hovered point: wait until it names this site
                page.wait_for_function("(c) => { const t = document.querySelector('#map .hovertext');"
                                       " return t && t.textContent.includes(c); }", arg=code, timeout=5000)
            except Exception:  # another site on top of it: pick another
                continue
            start = page.evaluate("() => performance.now()")
            page.mouse.click(x, y)
            try:
                page.wait_for_function("(t) => window.__plotT > t && window.__sumT > t", arg=start, timeout=30_000)
            except Exception:  # the summary did not change (a click that changed no figure)
                continue
            page.wait_for_timeout(200)  # later changes of the same click count too
            clicks.append(page.evaluate("() => Math.max(window.__plotT, window.__sumT)") - start)
        browser.close()
    load = statistics.median(loads)
    print(f"first page load (national, until the map and the summary are drawn), median of {LOADS}: {load:.2f} s "
          f"(all: {', '.join(f'{v:.2f}' for v in loads)}); target < {TARGET_LOAD_S:.0f} s: "
          f"{'met' if load < TARGET_LOAD_S else 'NOT met'}")
    if clicks:
        click = statistics.median(clicks)
        print(f"click to repainted map and summary, median of {len(clicks)} clicks: {click:.0f} ms (p90 "
              f"{np.percentile(clicks, 90):.0f}); target < {TARGET_CLICK_MS:.0f} ms: "
              f"{'met' if click < TARGET_CLICK_MS else 'NOT met'}")


def main() -> None:
    print(f"{os.cpu_count()} cores; {CLIENTS} clients back to back for {SECONDS:.0f} s per line, from a separate "
          "process on kept-alive connections, each request a new random set of 10-40 national hubs (direct pathway)")
    with tempfile.TemporaryDirectory() as folder:
        for workers in (1, 2):
            server = Server(workers, Path(folder))
            try:
                _, payload = _request(server.port, "GET", "/api/sites?country=England")
                codes = [row["site_code"] for row in json.loads(payload)]
                _request(server.port, "POST", "/api/evaluate", {"country": "England", "hubs": codes[:5]})  # warm
                for include, what in ((None, "the what-if answer (the summary, the default)"),
                                      ("all", 'the whole answer, include "all"')):
                    _print_load(f"--workers {workers}, {what}",
                                _load(server.port, codes, include, seed=workers * 10 + (include is None)))
                if workers == 1:
                    _browser(server.port)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
