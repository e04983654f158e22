"""Load check of the HTTP API: concurrent evaluate requests on loopback.

Starts the planner's server (waitress, 8 threads) on a free 127.0.0.1 port in this
process, warms it, times ``SEQUENTIAL`` national requests sent one at a time (what one
planner's click costs on the server), then sends ``REQUESTS`` evaluate requests from
``CLIENT_THREADS`` client threads (stopping early after ``TIME_BUDGET_SECONDS``) and prints latency
percentiles and errors. Half the requests are the national thrombectomy network with
varying bypass minutes (so each is a fresh evaluation, not a cached answer), half the
Hampshire vascular option. Only loopback addresses are used.
"""

from __future__ import annotations

import http.client
import json
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REQUESTS = 200
CLIENT_THREADS = 8
SERVER_THREADS = 8
TIME_BUDGET_SECONDS = 60.0
SEQUENTIAL = 20  # national requests sent one at a time first: the latency of a single planner click


def _bodies(n: int) -> list[dict]:
    bodies = []
    for i in range(n):
        if i % 2 == 0:
            bodies.append({"country": "England", "pathway": "treat_and_transfer", "bypass_minutes": float(i % 97)})
        else:
            bodies.append({"service": "vascular_arterial", "region": "Hampshire and Isle of Wight",
                           "hubs": ["SO166YD"] if i % 4 == 1 else ["SO166YD", "PO63LY"], "pathway": "direct"})
    return bodies


def main() -> None:
    from waitress import create_server

    from hubplan.planning.store import ScenarioStore
    from hubplan.web.app import create_app
    from hubplan.web.plans import bundled_network

    bundled_network()
    with tempfile.TemporaryDirectory() as folder:
        store = ScenarioStore(Path(folder) / "bench.db")
        app = create_app(store)
        server = create_server(app.server, host="127.0.0.1", port=0, threads=SERVER_THREADS)
        port = server.effective_port
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            _run(port)
        finally:
            server.task_dispatcher.shutdown()  # no request is being answered any more
            # close every socket from the server's own loop thread (closing them from here
            # while it waits in select() makes it fail with EBADF); the loop ends when none is left
            server.trigger.pull_trigger(lambda: [d.close() for d in list(server._map.values())])
            thread.join(timeout=30)
            store.close()


def _post(port: int, body: dict) -> tuple[int, float, int]:
    data = json.dumps(body)
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/api/evaluate", body=data, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = response.read()
        return response.status, time.perf_counter() - start, len(payload)
    finally:
        conn.close()


def _run(port: int) -> None:
    for body in _bodies(4):  # warm: restricted networks built, code paths loaded
        _post(port, body)
    # bypass minutes not used by any other request, so none is answered from a cache
    sequential = [_post(port, {"country": "England", "pathway": "treat_and_transfer", "bypass_minutes": i + 0.5})
                  for i in range(SEQUENTIAL)]
    one_at_a_time = [seconds * 1000 for _, seconds, _ in sequential]
    failed = sum(status != 200 for status, _, _ in sequential)
    print(f"POST /api/evaluate, national thrombectomy option (beds and workforce), {SEQUENTIAL} requests one at a "
          f"time: median {np.median(one_at_a_time):.0f} ms, p90 {np.percentile(one_at_a_time, 90):.0f} ms, "
          f"best {min(one_at_a_time):.0f} ms; errors: {failed}")
    bodies = _bodies(REQUESTS)
    latencies: list[float] = []
    errors: list[str] = []
    sizes: list[int] = []
    lock = threading.Lock()
    next_index = [0]
    deadline = time.perf_counter() + TIME_BUDGET_SECONDS

    def client() -> None:
        while time.perf_counter() < deadline:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(bodies):
                return
            try:
                status, seconds, size = _post(port, bodies[i])
            except OSError as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                latencies.append(seconds)
                sizes.append(size)
                if status != 200:
                    errors.append(f"HTTP {status}")

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENT_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    ms = np.array(latencies) * 1000
    print(f"POST /api/evaluate on 127.0.0.1: {len(latencies)} requests from {CLIENT_THREADS} client threads, "
          f"{SERVER_THREADS} server threads, in {wall:.1f} s ({len(latencies) / wall:.1f} requests/s)")
    if len(ms):
        print(f"latency ms: p50 {np.percentile(ms, 50):.0f}, p90 {np.percentile(ms, 90):.0f}, "
              f"p99 {np.percentile(ms, 99):.0f}, max {ms.max():.0f}; mean response {np.mean(sizes) / 1000:.0f} kB")
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    if len(latencies) < len(bodies):
        print(f"stopped after the {TIME_BUDGET_SECONDS:.0f} s budget: {len(bodies) - len(latencies)} requests not sent")


if __name__ == "__main__":
    main()
