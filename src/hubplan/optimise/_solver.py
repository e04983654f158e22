"""One HiGHS instance per solve, silent from its first call, with a safe thread setting.

Two properties of HiGHS that hubplan must manage:

* **Output.** HiGHS logs to the process's standard output, and writes its banner
  ("Running HiGHS ... Copyright ...") at the first logging call on a new instance
  unless ``output_flag`` is already off. In highspy 1.16 that first call is inside
  ``highspy.Highs.__init__`` itself (it enables the Python callbacks), so calling
  ``silent()`` afterwards is too late and every ``--format json`` was broken. The raw
  binding class ``highspy._core._Highs`` does nothing in its constructor, so we set
  ``output_flag`` off before anything else. hubplan uses none of the Python callbacks.
* **Threads.** HiGHS runs one *global* task scheduler per process, created with the
  thread count of the first solve; a later solve asking for a different count stops
  with model status "Not Set". :func:`highs_session` resets the scheduler when the
  count changes, waiting until no other solve is running (the planner solves in
  background threads).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator

__all__ = ["highs_session"]

_lock = threading.Condition()
_active = 0
_scheduler_threads: int | None = None  # the thread option the global scheduler was made with


def _new_silent_highs() -> Any:
    import highspy

    raw = getattr(getattr(highspy, "_core", None), "_Highs", None)
    if raw is None:  # older highspy: the public class does not log in its constructor
        h = highspy.Highs()
    else:
        h = raw()
    h.setOptionValue("output_flag", False)
    return h


@contextmanager
def highs_session(threads: int | None) -> Iterator[Any]:
    """A silent HiGHS instance whose ``threads`` option is ``threads`` (None: HiGHS' default).

    Concurrent sessions with the same thread count run side by side; a session with a
    different count waits until the others finish, then resets the global scheduler.
    """
    global _active, _scheduler_threads
    wanted = 0 if threads is None else int(threads)  # 0 is HiGHS' own "automatic"
    with _lock:
        while _scheduler_threads is not None and _scheduler_threads != wanted and _active:
            _lock.wait()
        if _scheduler_threads is not None and _scheduler_threads != wanted:
            import highspy

            highspy.Highs.resetGlobalScheduler(True)
        _scheduler_threads = wanted
        _active += 1
    try:
        h = _new_silent_highs()
        h.setOptionValue("threads", wanted)
        yield h
    finally:
        with _lock:
            _active -= 1
            _lock.notify_all()
