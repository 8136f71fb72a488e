"""The virtual clock and everything that waits on it.

Step Functions Wait states, Retry back-off sleeps and the handlers all read one clock. Execution
threads that wait register a deadline here and block; :meth:`Scheduler.release_due` lets them go
once the clock reaches it. ``busy`` counts execution threads doing work (not waiting), so the
runtime knows when nothing is left to run at the current instant.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

_SAFETY_POLL_SECONDS = 5.0  # waiters are woken explicitly; this only bounds a missed wake-up


@dataclass(order=True)
class _Waiter:
    deadline: datetime
    seq: int
    released: bool = field(default=False, compare=False)
    gone: bool = field(default=False, compare=False)
    wake: threading.Event = field(default_factory=threading.Event, compare=False)
    is_running: Callable[[], bool] = field(default=lambda: True, compare=False)


class Scheduler:
    """One virtual clock shared by handlers, Wait states and retries."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)
        self._cond = threading.Condition()
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()
        self._busy = 0
        self.invoke_lock = threading.RLock()

    # ------------------------------------------------------------------ clock
    def now(self) -> datetime:
        return self._now

    def set_now(self, at: datetime) -> None:
        with self._cond:
            if at < self._now:
                raise ValueError(f"the virtual clock cannot go back from {self._now} to {at}")
            self._now = at.astimezone(UTC)

    # ------------------------------------------------------------------ activity
    def begin(self) -> None:
        with self._cond:
            self._busy += 1

    def end(self) -> None:
        with self._cond:
            self._busy -= 1
            self._cond.notify_all()

    @property
    def busy(self) -> int:
        return self._busy

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Block until no execution thread is doing work; fail after ``timeout`` without progress."""
        with self._cond:
            while self._busy > 0:
                before = self._busy

                def progressed(before: int = before) -> bool:
                    return self._busy < before or self._busy <= 0

                if not self._cond.wait_for(progressed, timeout=timeout):
                    raise TimeoutError(
                        f"{self._busy} state machine executions made no progress in {timeout}s"
                    )

    # ------------------------------------------------------------------ waiting
    def wait_until(self, deadline: datetime, is_running: Callable[[], bool]) -> None:
        """Called on an execution thread: block until the clock reaches ``deadline``.

        Returns early when the execution stops (``is_running`` turns false).
        """
        with self._cond:
            if deadline <= self._now:
                return
            waiter = _Waiter(deadline, next(self._seq), is_running=is_running)
            heapq.heappush(self._waiters, waiter)
            self._busy -= 1
            self._cond.notify_all()
        while True:
            waiter.wake.wait(_SAFETY_POLL_SECONDS)
            with self._cond:
                waiter.wake.clear()
                if waiter.released or waiter.gone:  # gone: poke() saw it stop and counted it busy
                    return
                if not is_running():
                    waiter.gone = True
                    self._busy += 1
                    return

    def sleep(self, seconds: float, is_running: Callable[[], bool] = lambda: True) -> None:
        self.wait_until(self._now + timedelta(seconds=seconds), is_running)

    def next_deadline(self) -> datetime | None:
        with self._cond:
            while self._waiters and self._waiters[0].gone:
                heapq.heappop(self._waiters)
            return self._waiters[0].deadline if self._waiters else None

    def release_due(self) -> int:
        """Let every waiter whose deadline has come go on; answers how many."""
        released = 0
        with self._cond:
            while self._waiters and (self._waiters[0].gone or self._waiters[0].deadline <= self._now):
                waiter = heapq.heappop(self._waiters)
                if waiter.gone:
                    continue
                waiter.released = True
                self._busy += 1
                released += 1
                waiter.wake.set()
        return released

    def poke(self) -> None:
        """An execution was stopped: its waiter counts as busy from now on (so settling waits for
        the execution to end, not only for it to notice), and every waiter checks."""
        with self._cond:
            for waiter in self._waiters:
                if not waiter.gone and not waiter.released and not waiter.is_running():
                    waiter.gone = True
                    self._busy += 1
                waiter.wake.set()

    def waiting(self) -> int:
        with self._cond:
            return sum(1 for waiter in self._waiters if not waiter.gone)

    def release_all(self) -> None:
        """Shutdown: let every waiter go (their executions have been stopped)."""
        with self._cond:
            for waiter in self._waiters:
                waiter.released = True
                waiter.wake.set()
            self._waiters.clear()
            self._cond.notify_all()
