"""Uncertainty: draws a second of a national appraisal in-process and on a 2-worker Dask cluster.

Each draw is a whole national appraisal (examples/national_thrombectomy.toml without its
sweep and benchmark: three options, one of them re-optimised exactly at k = 30, beds,
workforce, outcomes, scores). The bench runs the same draws in-process and on a Dask
``LocalCluster`` of two single-threaded workers, checks that the numbers are the same,
and measures what distribution costs: cluster start-up, scattering the network, the
overhead of one task (empty tasks) and the memory of each worker, so a reader can work
out where more workers pay: with ``w`` workers a run of ``n`` draws takes about
``start-up + scatter + n x (draw seconds / w + overhead)``. Then 1,000 draws of the Mid and
South Essex example in-process: short regional draws, where the work around the numbers shows.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

DRAWS = 24
ESSEX_DRAWS = 1000
UNCERTAINTY = """
[uncertainty]
draws = {draws}
seed = 1
[uncertainty.parameters]
service.transfer_delay_minutes = {{ distribution = "triangular", low = 45, mode = 60, high = 120 }}
service.length_of_stay_days = {{ distribution = "lognormal", median = 3, sigma = 0.25 }}
"demand.multiplier" = {{ distribution = "uniform", low = 1.0, high = 1.1 }}
travel_times.multiplier = {{ distribution = "normal", mean = 1.0, sd = 0.05, low = 0.85, high = 1.15 }}
"""


def _nothing(shared: object, item: int) -> int:
    return item


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def main() -> None:
    from distributed import Client

    from hubplan.executor import Executor, local_cluster
    from hubplan.geography import load_bundled
    from hubplan.planning.scenario import load_scenario
    from hubplan.planning.uncertainty import run_uncertainty

    root = Path(__file__).resolve().parents[1]
    text = (root / "examples" / "national_thrombectomy.toml").read_text(encoding="utf-8")
    text = text[: text.index("\n[sweep]")] + UNCERTAINTY.format(draws=DRAWS)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "national.toml"
        path.write_text(text, encoding="utf-8")
        spec = load_scenario(path)
        assert spec.uncertainty is not None
        docs, seconds, total = {}, {}, {}
        for name, executor in (("in-process", Executor("in-process")), ("local", Executor("local", 2))):
            marks: dict[str, float] = {}

            def say(message: str) -> None:
                if "draws" in message:
                    marks["draws"] = time.perf_counter()

            t0 = time.perf_counter()
            try:
                doc = run_uncertainty(spec, spec.uncertainty, executor=executor, say=say).to_json()
            except Exception as exc:  # a peer back end that fails is reported, not hidden
                print(f"{executor.description}: failed ({type(exc).__name__}: {exc})")
                continue
            end = time.perf_counter()
            total[name], seconds[name] = end - t0, end - marks.get("draws", t0)
            doc.pop("executor")
            docs[name] = json.dumps(doc, sort_keys=True)
    print(f"national appraisal, {DRAWS} draws (3 options, k = 30 re-optimised exactly in each; the deterministic "
          "appraisal first, in both):")
    print(f"{'back end':<44}{'draws s':>9}{'draws/s':>9}{'all s':>8}")
    for name, label in (("in-process", "in-process (one core)"), ("local", "Dask LocalCluster, 2 workers x 1 thread")):
        if name in seconds:
            print(f"{label:<44}{seconds[name]:>9.1f}{DRAWS / seconds[name]:>9.2f}{total[name]:>8.1f}")
    print("(draws s: the draws, with the cluster's start-up and scatter; all s: with the deterministic appraisal "
          "and loading)")
    if len(docs) == 2:
        from _compare import factor_words

        print(f"same numbers on both: {docs['in-process'] == docs['local']}; on the draws the cluster is "
              f"{factor_words(seconds['local'], seconds['in-process'], 'faster', 'slower')} than in-process")

    # what distribution costs
    network = load_bundled().restrict(country="England")
    t0 = time.perf_counter()
    cluster = local_cluster(2)  # as --scheduler local starts it
    client = Client(cluster)
    start = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        future = client.scatter(network, broadcast=True)
        future.result()
        scatter = time.perf_counter() - t0
        n = 400
        t0 = time.perf_counter()
        client.gather(client.map(_nothing, [None] * n, range(n), pure=False))
        per_task = (time.perf_counter() - t0) / n
        memory = client.run(_rss_mb)
    finally:
        client.close()
        cluster.close()
    print(f"\nDask LocalCluster: start-up {start:.1f} s, scatter of the national network {scatter:.2f} s, "
          f"{1000 * per_task:.1f} ms per empty task ({n} tasks)")
    print("memory of each worker holding the network: " + ", ".join(f"{v:,.0f} MB" for v in memory.values())
          + f" (this process: {_rss_mb():,.0f} MB)")
    if "in-process" in seconds:
        draw = seconds["in-process"] / DRAWS
        print(f"one draw takes about {draw:.1f} s on one core against {1000 * per_task:.1f} ms of task overhead: "
              f"distribution pays from a few draws on; with w workers expect about w x the draws a second "
              "until the workers run out of cores (2 here)")

    # a regional appraisal: short draws, where the work around the numbers shows
    essex = load_scenario(root / "examples" / "essex_vascular.toml")
    assert essex.uncertainty is not None
    t0 = time.perf_counter()
    run_uncertainty(essex, essex.uncertainty, draws=ESSEX_DRAWS, executor=Executor("in-process"))
    essex_s = time.perf_counter() - t0
    print(f"\nMid and South Essex (examples/essex_vascular.toml, 2 options, 705 areas), {ESSEX_DRAWS:,} draws "
          f"in-process: {essex_s:.1f} s, {1000 * essex_s / ESSEX_DRAWS:.1f} ms a draw "
          "(docs/uncertainty.md: 34.1 s before the beds and workforce tables were built from arrays, 23.6 s after)")

