"""Optimisation runs in background threads, with progress the page can poll.

No extra services (no task queue, no cache server): a run is a thread of the server
process, its progress lines and result kept in memory. At most
:data:`MAX_RUNNING_JOBS` run at once (the machines have few cores); more are refused
with a message rather than queued without end.
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from hubplan.errors import HubplanError, InfeasibleError, InputError

#: Optimisations that may run at the same time in one server process.
MAX_RUNNING_JOBS = 2
#: Finished jobs kept for polling.
KEEP_FINISHED_JOBS = 50


@dataclass
class Job:
    """One background optimisation.

    ``status`` is ``running``, ``done`` or ``failed``; ``lines`` is the progress so far;
    ``result`` the JSON-ready answer when done; ``error`` the message when failed.
    """

    id: str
    label: str
    status: str = "running"
    lines: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    started_at_seconds: float = field(default_factory=time.monotonic)
    finished_at_seconds: float | None = None

    @property
    def elapsed_seconds(self) -> float:
        end = self.finished_at_seconds if self.finished_at_seconds is not None else time.monotonic()
        return end - self.started_at_seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "label": self.label, "status": self.status,
            "progress": list(self.lines[-20:]), "elapsed_seconds": round(self.elapsed_seconds, 2),
            "result": self.result, "error": self.error,
        }


class JobRegistry:
    """Start background jobs and look them up by id."""

    def __init__(self, max_running: int = MAX_RUNNING_JOBS) -> None:
        self.max_running = max_running
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, label: str, work: Callable[[Callable[[str], None]], dict[str, Any]]) -> Job:
        """Run ``work(progress)`` in a thread; ``progress(line)`` records a progress line.

        Raises
        ------
        InputError
            When :attr:`max_running` jobs are already running.
        """
        with self._lock:
            running = sum(1 for j in self._jobs.values() if j.status == "running")
            if running >= self.max_running:
                raise InputError(
                    f"{running} optimisations are running on this server: try again when one has finished"
                )
            job = Job(id=uuid.uuid4().hex[:12], label=label)
            self._jobs[job.id] = job
            self._trim()

        def progress(line: str) -> None:
            job.lines.append(f"{job.elapsed_seconds:5.1f} s  {line.strip()}")

        def run() -> None:
            try:
                job.result = work(progress)
                job.status = "done"
            except (InputError, InfeasibleError) as exc:
                job.error, job.status = str(exc), "failed"
            except HubplanError as exc:
                job.error, job.status = str(exc), "failed"
            except Exception as exc:  # noqa: BLE001 - reported to the page, logged here
                traceback.print_exc()
                job.error, job.status = f"internal error: {type(exc).__name__}: {exc}", "failed"
            finally:
                job.finished_at_seconds = time.monotonic()

        progress(f"started: {label}")
        threading.Thread(target=run, name=f"hubplan-job-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _trim(self) -> None:
        finished = [j for j in self._jobs.values() if j.status != "running"]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED_JOBS)]:
            del self._jobs[job.id]
