"""Reads a modem reading published over HTTP in DOCSight's JSON form.

For anything that can already produce the documented reading format: an
exporter script on a router, the command line's ``poll --output`` served by a
web server, or a modem we do not support yet but a user can scrape.  Optional
HTTP Basic authentication.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
import json
from typing import TYPE_CHECKING

import aiohttp

from ..serialize import reading_from_json
from .base import (
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemDriver,
    ModemLockedError,
    ModemParseError,
    UnsupportedModemError,
)

if TYPE_CHECKING:
    from ..model import Reading

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=20)


class JsonHttpModem(ModemDriver):
    """Fetches one JSON document per poll."""

    def __init__(self, config: DriverConfig) -> None:
        """Check that the configuration names a URL; the session is the caller's."""
        super().__init__(config)
        if not config.url:
            raise ValueError("a URL is required")
        self._url = config.url

    async def async_fetch(self) -> Reading:
        """GET the URL and parse the reading it serves."""
        session = self.config.session
        if session is None:
            raise ModemConnectionError("no HTTP session")
        auth = self._basic_auth()
        try:
            async with session.get(self._url, auth=auth, timeout=REQUEST_TIMEOUT) as response:
                if response.status in (401, 403):
                    raise ModemAuthError(f"HTTP {response.status}")
                if response.status == 429:
                    raise ModemLockedError("HTTP 429: too many requests")
                if response.status >= 400:
                    raise ModemConnectionError(f"HTTP {response.status}")
                # Bytes, not text: a router's login page in Latin-1 without a
                # charset must come out as "not JSON", not as a decode crash.
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ModemConnectionError(str(err) or type(err).__name__) from err
        try:
            raw = json.loads(body)
        except ValueError as err:  # UnicodeDecodeError is a ValueError too
            raise UnsupportedModemError("the URL does not serve JSON") from err
        try:
            reading = reading_from_json(raw)
        except (ValueError, KeyError, TypeError) as err:
            raise ModemParseError(f"not a DOCSight reading: {err}") from err
        # A poll happens when we fetch: an endpoint serving a file written
        # once (or a modem with a wrong clock) must not stamp every poll
        # with the same stale time.
        return replace(reading, read_at=datetime.now(UTC))

    def _basic_auth(self) -> aiohttp.BasicAuth | None:
        """Return the credentials as HTTP Basic auth, in UTF-8 (RFC 7617).

        Basic auth cannot carry a ':' in the username; that is a credential
        problem the user can fix, so it is reported as one.
        """
        username = self.config.username
        if not username:
            return None
        try:
            return aiohttp.BasicAuth(username, self.config.password or "", encoding="utf-8")
        except ValueError as err:
            raise ModemAuthError(f"unusable username: {err}") from err
