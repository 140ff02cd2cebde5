"""Exponential backoff for pollers, as the reference's collectors apply it.

After the n-th consecutive failure the next attempt waits the normal interval
plus a penalty of ``base * 2**(n-1)`` seconds, capped; a success clears it, and
a failure count older than a day is forgotten, so a modem that was briefly
away last week does not start today's trouble at an hour's delay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(slots=True)
class Backoff:
    """Failure bookkeeping for one poller; the caller passes the time in."""

    base_seconds: float = 30.0
    cap_seconds: float = 3600.0
    reset_after: timedelta = timedelta(hours=24)
    failures: int = 0
    last_failure: datetime | None = None

    def penalty_seconds(self, now: datetime) -> float:
        """Return the delay added to the poll interval after the failures so far."""
        self._expire(now)
        if not self.failures:
            return 0.0
        return float(min(self.base_seconds * 2 ** (self.failures - 1), self.cap_seconds))

    def record_failure(self, now: datetime) -> float:
        """Count a failure and return the new penalty."""
        self._expire(now)
        self.failures += 1
        self.last_failure = now
        return self.penalty_seconds(now)

    def record_success(self) -> None:
        """Clear the failures."""
        self.failures = 0
        self.last_failure = None

    def _expire(self, now: datetime) -> None:
        if self.last_failure is not None and now - self.last_failure >= self.reset_after:
            self.record_success()


def stable_boot_time(
    read_at: datetime, uptime_seconds: int | None, previous: datetime | None
) -> datetime | None:
    """Return when the modem booted, without the jitter of uptime arithmetic.

    ``read_at - uptime`` wanders by a second or two between polls (request
    latency, uptime resolution); a sensor that changed on every poll would
    write a recorder row each time.  Keep the previous value unless it moved
    by more than five minutes, which only a real reboot does.
    """
    if uptime_seconds is None:
        return None
    boot = (read_at - timedelta(seconds=uptime_seconds)).replace(microsecond=0)
    if previous is not None and abs(boot - previous) <= timedelta(minutes=5):
        return previous
    return boot
