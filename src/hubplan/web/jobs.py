"""Optimisation runs in background threads, with progress the page can poll.

No extra services (no task queue, no cache server): a run is a thread of the server
process, its progress lines and result kept in memory. At most
:data:`MAX_RUNNING_JOBS` run at once (the machines have few cores); more are refused
with a message rather than queued without end.

With several worker processes (``hubplan serve --workers N``) a poll may reach another
worker than the one running the job, so the registries share a folder
(:meth:`JobRegistry.share_through`): each job's state is written there as JSON (replaced
whole, never half-written) at every progress line, and a worker that does not hold a job
reads it from there. The limit then counts the running jobs of every live worker.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
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
    #: Process that runs the job (another worker's, for a job read from the shared folder).
    worker_pid: int = field(default_factory=os.getpid)

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


    def state(self) -> dict[str, Any]:
        """What the shared folder keeps: :meth:`to_json` with every line and wall-clock times."""
        now = time.time()
        return {**self.to_json(), "progress": list(self.lines), "worker_pid": self.worker_pid,
                "started_at_epoch": now - (time.monotonic() - self.started_at_seconds),
                "finished_at_epoch": None if self.finished_at_seconds is None
                else now - (time.monotonic() - self.finished_at_seconds)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Job":
        """A job of another worker, from its state in the shared folder."""
        def monotonic(epoch: Any) -> float | None:
            return None if epoch is None else time.monotonic() - (time.time() - float(epoch))

        return cls(id=str(state["id"]), label=str(state["label"]), status=str(state["status"]),
                   lines=list(state.get("progress") or []), result=state.get("result"), error=state.get("error"),
                   started_at_seconds=monotonic(state["started_at_epoch"]) or 0.0,
                   finished_at_seconds=monotonic(state.get("finished_at_epoch")),
                   worker_pid=int(state.get("worker_pid") or 0))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobRegistry:
    """Start background jobs and look them up by id."""

    def __init__(self, max_running: int = MAX_RUNNING_JOBS) -> None:
        self.max_running = max_running
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._folder: Path | None = None

    def share_through(self, folder: str | Path) -> None:
        """Keep every job's state in ``folder`` too, where the other workers' registries
        sharing it find it (``hubplan serve --workers N``)."""
        self._folder = Path(folder)
        self._folder.mkdir(parents=True, exist_ok=True)

    def _write(self, job: Job) -> None:
        if self._folder is None:
            return
        fd, temporary = tempfile.mkstemp(dir=self._folder, prefix=f".{job.id}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(job.state(), handle)
            os.replace(temporary, self._folder / f"{job.id}.json")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _shared(self, job_id: str) -> Job | None:
        if self._folder is None or not job_id.isalnum():
            return None
        try:
            state = json.loads((self._folder / f"{job_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        job = Job.from_state(state)
        if job.status == "running" and not _alive(job.worker_pid):
            job.status, job.error = "failed", "the worker process running this optimisation stopped"
        return job

    def _running_elsewhere(self) -> int:
        if self._folder is None:
            return 0
        count = 0
        for path in self._folder.glob("*.json"):
            if path.stem in self._jobs:
                continue
            job = self._shared(path.stem)
            if job is not None and job.status == "running":
                count += 1
        return count

    def start(self, label: str, work: Callable[[Callable[[str], None]], dict[str, Any]]) -> Job:
        """Run ``work(progress)`` in a thread; ``progress(line)`` records a progress line.

        Raises
        ------
        InputError
            When :attr:`max_running` jobs are already running.
        """
        with self._lock:
            running = sum(1 for j in self._jobs.values() if j.status == "running") + self._running_elsewhere()
            if running >= self.max_running:
                raise InputError(
                    f"{running} optimisations are running on this server: try again when one has finished"
                )
            job = Job(id=uuid.uuid4().hex[:12], label=label)
            self._jobs[job.id] = job
            self._trim()

        def progress(line: str) -> None:
            job.lines.append(f"{job.elapsed_seconds:5.1f} s  {line.strip()}")
            self._write(job)

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
                self._write(job)

        progress(f"started: {label}")
        threading.Thread(target=run, name=f"hubplan-job-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        """The job of that id: this worker's, or another's from the shared folder."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None else self._shared(job_id)

    def _trim(self) -> None:
        finished = [j for j in self._jobs.values() if j.status != "running"]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED_JOBS)]:
            del self._jobs[job.id]
            if self._folder is not None:
                (self._folder / f"{job.id}.json").unlink(missing_ok=True)
