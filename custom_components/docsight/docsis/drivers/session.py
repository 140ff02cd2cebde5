"""Session discipline shared by modems that allow one web session at a time.

Such modems (the Vodafone Station, the Ultra Hub 7) end or refuse a second
session, and lock their login after a few failures.  So a driver for them
holds one lock per modem address (two drivers for the same modem, say the
config flow's test and the coordinator, take turns), remembers a lockout and
does not touch the modem again until it is over, and by default logs out
after every poll so that the user can still use the modem's web page.
Subclasses provide the poll itself, the logout and forgetting a session.
"""

from __future__ import annotations

from abc import abstractmethod
import asyncio
from collections.abc import Callable
import time
from typing import TYPE_CHECKING, ClassVar
import weakref

from .base import DriverConfig, ModemDriver, ModemLockedError

if TYPE_CHECKING:
    from ..model import Reading

# Seconds to stay away after a lockout the modem did not put a number on,
# and the bounds put on the numbers it gives.
LOCKOUT_BACKOFF = 300.0
MIN_LOCKOUT_BACKOFF = 30.0
MAX_LOCKOUT_BACKOFF = 3600.0

_ADDRESS_LOCKS: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def address_lock(base_url: str) -> asyncio.Lock:
    """Return the lock every driver for this modem address shares."""
    lock = _ADDRESS_LOCKS.get(base_url)
    if lock is None:
        lock = asyncio.Lock()
        _ADDRESS_LOCKS[base_url] = lock
    return lock


class SingleSessionModem(ModemDriver):
    """A driver for a modem with one web session at a time and a login lockout."""

    # How the messages name the device ("modem", "hub").
    device_noun: ClassVar[str] = "modem"

    def __init__(
        self,
        config: DriverConfig,
        base_url: str,
        *,
        logout_after_poll: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep the configuration; nothing is contacted before the first fetch."""
        super().__init__(config)
        self.logout_after_poll = logout_after_poll
        self._clock = clock
        self._lock = address_lock(base_url)
        self._locked_until: float | None = None

    async def async_fetch(self) -> Reading:
        """Log in (once, whatever runs concurrently), read, and log out."""
        async with self._lock:
            self._check_lockout()
            try:
                return await self._poll()
            finally:
                if self.logout_after_poll:
                    await self._logout()

    async def async_close(self) -> None:
        """Log out if a session is open."""
        async with self._lock:
            await self._logout()

    def _check_lockout(self) -> None:
        if self._locked_until is None:
            return
        remaining = self._locked_until - self._clock()
        if remaining > 0:
            raise ModemLockedError(
                f"the {self.device_noun} locked logins; not trying again for {remaining:.0f} s"
            )
        self._locked_until = None

    def _locked(self, message: str, wait: float | None) -> ModemLockedError:
        """Remember a lockout and return the error to raise."""
        seconds = LOCKOUT_BACKOFF if wait is None else wait
        seconds = min(max(seconds, MIN_LOCKOUT_BACKOFF), MAX_LOCKOUT_BACKOFF)
        self._locked_until = self._clock() + seconds
        self._forget_session()
        return ModemLockedError(f"{message} (backing off for {seconds:.0f} s)")

    @abstractmethod
    async def _poll(self) -> Reading:
        """Log in if needed and read the modem (the lock is held)."""

    @abstractmethod
    async def _logout(self) -> None:
        """End the session, if one is open (the lock is held)."""

    @abstractmethod
    def _forget_session(self) -> None:
        """Drop what identifies the session, without telling the modem."""
