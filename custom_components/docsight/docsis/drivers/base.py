"""What every modem driver provides, and the errors it may raise.

A driver is transport plus a parser: it logs in, fetches what the modem
serves, hands that to a pure parser and returns a :class:`Reading`.  Callers
(the Home Assistant coordinator, the command line) only see this interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import ClientSession

    from ..model import Reading


class ModemError(Exception):
    """Base of every driver error."""


class ModemConnectionError(ModemError):
    """The modem could not be reached or did not answer in time."""


class ModemAuthError(ModemError):
    """The modem refused the credentials."""


class ModemLockedError(ModemError):
    """The modem locked logins after failed attempts; retrying makes it worse."""


class ModemParseError(ModemError):
    """The modem answered, but not with a page the parser understands."""


class UnsupportedModemError(ModemError):
    """What answered is not a modem of the selected type."""


@dataclass(frozen=True, slots=True)
class DriverConfig:
    """How to reach one modem.  ``session`` is shared and owned by the caller.

    ``time_zone`` is the modem's local zone, for drivers that must interpret
    local times (and for the demo's day cycle); None means the machine's.
    """

    url: str | None = None
    username: str | None = None
    password: str | None = None
    session: ClientSession | None = None
    seed: int | None = None
    time_zone: tzinfo | None = None
    # What the driver learned about this modem last time (see ModemDriver.remember).
    hints: Mapping[str, str] = field(default_factory=dict)


class ModemDriver(ABC):
    """A connection to one modem."""

    def __init__(self, config: DriverConfig) -> None:
        """Keep the configuration; drivers connect lazily on the first fetch."""
        self.config = config

    @abstractmethod
    async def async_fetch(self) -> Reading:
        """Log in if needed, read device and channel data, and return it parsed."""

    def remember(self) -> dict[str, str]:
        """Return what is worth keeping about this modem for the next start.

        For example which firmware variant answered, so that the next start
        does not have to probe for it again.  Handed back as ``config.hints``.
        """
        return {}

    async def async_close(self) -> None:  # noqa: B027 - optional hook, most drivers hold nothing
        """Release what the driver holds (log out, drop the session cookie)."""
