"""One ingestion at a time, off the event loop, with throttled progress reports.

/reingest and the scheduled ingestion share one `IngestRunner`: a second run while one is
going raises `IngestBusy`. The pipeline calls its progress callback from the worker thread;
the runner hops back to the loop and forwards at most one report per `interval` seconds,
and none once the run is over (so the final message is never overwritten by a late one).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable

from ingest.pipeline import run_ingest
from ingest.report import IngestReport
from newsbot.errors import IngestBusy
from newsbot.library import Library

log = logging.getLogger(__name__)
OnProgress = Callable[[int, int, str], Awaitable[None]]
AfterRun = Callable[[IngestReport], Awaitable[None]]


class _Forwarder:
    def __init__(self, callback: OnProgress, interval: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._callback, self._interval = callback, interval
        self._last = float("-inf")
        self._lock = asyncio.Lock()
        self._closed = False

    def from_thread(self, done: int, total: int, current: str) -> None:
        """Called by the pipeline in its worker thread; never blocks it, never raises."""
        now = time.monotonic()
        if now - self._last < self._interval:
            return
        self._last = now
        with contextlib.suppress(RuntimeError):  # the loop is closing: drop the report
            asyncio.run_coroutine_threadsafe(self._send(done, total, current), self._loop)

    async def _send(self, done: int, total: int, current: str) -> None:
        async with self._lock:
            if self._closed:
                return
            try:
                await self._callback(done, total, current)
            except Exception:  # a failed progress edit must not stop the run
                log.warning("could not report ingestion progress", exc_info=True)

    async def close(self) -> None:
        async with self._lock:
            self._closed = True


class IngestRunner:
    def __init__(self, library: Library, *, interval: float = 1.0) -> None:
        self.library = library
        self.interval = interval
        self._lock = asyncio.Lock()
        self._work: asyncio.Future[IngestReport] | None = None  # the worker thread's run
        self.after_run: list[AfterRun] = []  # awaited after each finished run (alerts)

    @property
    def busy(self) -> bool:
        return self._lock.locked() or (self._work is not None and not self._work.done())

    async def idle(self) -> None:
        """Wait for a run's thread to finish, e.g. before closing the library at shutdown:
        the thread of a cancelled run keeps going until it is done."""
        if self._work is not None and not self._work.done():
            await asyncio.wait({self._work})

    async def run(self, *, full: bool = False, on_progress: OnProgress | None = None,
                  ) -> IngestReport:
        """Ingest the followed feeds in a worker thread; IngestBusy if a run is going."""
        if self.busy:
            raise IngestBusy()
        async with self._lock:
            forwarder = _Forwarder(on_progress, self.interval) if on_progress else None
            progress = forwarder.from_thread if forwarder else None
            job = functools.partial(run_ingest, self.library, None, full=full, progress=progress)
            self._work = asyncio.get_running_loop().run_in_executor(None, job)
            try:
                report = await asyncio.shield(self._work)
            finally:
                if forwarder:
                    await forwarder.close()
        for hook in self.after_run:
            try:
                await hook(report)
            except Exception:  # the run itself succeeded: report it, log the hook
                log.exception("after-ingest step failed")
        return report
