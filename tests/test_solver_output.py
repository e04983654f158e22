"""The exact solver writes nothing to stdout or stderr, and its thread setting can change.

HiGHS writes its banner straight to file descriptor 1 (not through ``sys.stdout``), so
these tests watch the descriptors with ``capfd``.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap

import numpy as np

from hubplan.optimise import SiteSelectionProblem, solve


def small_problem() -> SiteSelectionProblem:
    rng = np.random.default_rng(1)
    return SiteSelectionProblem(
        cost_minutes=rng.uniform(5, 90, size=(40, 9)),
        demand=rng.uniform(1, 10, 40),
        candidate_codes=tuple(f"S{i}" for i in range(9)),
        k=3,
    )


def brute_force_sites(problem: SiteSelectionProblem) -> tuple[str, ...]:
    best = min(itertools.combinations(range(problem.n_candidates), problem.k),
               key=lambda sites: problem.objective_value(list(sites)))
    return tuple(problem.candidate_codes[i] for i in best)


def test_exact_solve_is_silent_on_both_descriptors(capfd):
    problem = small_problem()
    solution = solve(problem)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert solution.status == "optimal"
    assert tuple(sorted(solution.sites)) == tuple(sorted(brute_force_sites(problem)))


def test_thread_count_can_change_between_solves():
    # HiGHS keeps one global scheduler per process: a second solve with another thread
    # count used to stop with status "Not Set" (SolverError).
    problem = small_problem()
    expected = tuple(sorted(brute_force_sites(problem)))
    for threads in (None, 1, 2, None, 1):
        solution = solve(problem, threads=threads)
        assert solution.status == "optimal", threads
        assert tuple(sorted(solution.sites)) == expected


def test_cli_keeps_stdout_for_results_when_compiled_code_prints(tmp_path):
    # A command whose compiled code writes to descriptor 1 (as HiGHS' banner did) still
    # prints exactly one JSON document on stdout; the stray text goes to stderr.
    script = textwrap.dedent(
        """
        import ctypes, sys
        from hubplan.cli import app, main
        from hubplan.cli._app import print_json

        @app.command("noisy")
        def noisy() -> None:
            libc = ctypes.CDLL(None)
            libc.puts(b"banner from C")
            libc.fflush(None)
            print_json({"answer": 42})

        sys.argv = ["hubplan", "noisy"]
        main()
        """
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {"answer": 42}
    assert "banner from C" in res.stderr
