"""The entry's history database, run on one thread of its own.

SQLite connections belong to the thread that opened them, and every store
call blocks; so each entry gets a single worker thread that opens the store,
runs every call in order, and is shut down (after closing the store) when the
entry unloads.  Nothing of it outlives the entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
import shutil

from homeassistant.core import HomeAssistant

from .const import DOMAIN
from .docsis.storage import HistoryStore

HISTORY_FILE = "history.db"


def history_dir(hass: HomeAssistant, entry_id: str) -> Path:
    """Return the entry's data folder: under the config dir, never in custom_components.

    HACS replaces custom_components/docsight on every upgrade, so nothing the
    user would miss may live there.
    """
    return Path(hass.config.path(DOMAIN, entry_id))


class HistoryWorker:
    """Owns the store and the one thread it may be used from."""

    def __init__(self, hass: HomeAssistant, path: Path) -> None:
        """Prepare the thread; :meth:`async_open` opens the database on it."""
        self.hass = hass
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docsight_history")
        self._store: HistoryStore | None = None

    async def async_open(self) -> None:
        """Open (and migrate) the database on the worker thread."""
        self._store = await self._submit(HistoryStore.open, self.path)

    async def run[T](self, function: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Run ``function(store, *args, **kwargs)`` on the worker thread."""
        store = self._store
        if store is None:
            raise RuntimeError("history store is not open")
        return await self._submit(partial(function, store, *args, **kwargs))

    async def _submit[T](self, function: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, *args))

    async def async_close(self) -> None:
        """Close the store, then stop the thread (waiting for work already queued)."""
        if self._store is not None:
            store, self._store = self._store, None
            await self._submit(store.close)
        await self.hass.async_add_executor_job(partial(self._executor.shutdown, wait=True))


def remove_history(path: Path) -> None:
    """Delete an entry's data folder (blocking; run it in an executor)."""
    shutil.rmtree(path, ignore_errors=True)
