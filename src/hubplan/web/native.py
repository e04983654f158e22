"""The planner's server computes with one native thread per request thread.

numpy's BLAS (OpenBLAS) splits a dot product of a national column (about 33,000 areas)
across threads it wakes for the purpose. In a server whose own threads and worker processes
already fill the cores, waking them costs far more than the product: measured on the
national network on a busy 2-core machine, ``POST /api/evaluate`` with ``"include": []``
took 42 ms with BLAS's default threads and 10 ms with one (the whole answer 174 ms and
70 ms). The server therefore sets every native pool to one thread when it starts
(``threadpoolctl``), as :mod:`hubplan.executor` does for its tasks; forked workers inherit it.
"""

from __future__ import annotations


def one_native_thread() -> None:
    """Limit BLAS and OpenMP pools in this process to one thread (for the rest of its life)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
