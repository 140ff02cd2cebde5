"""Reads a modem reading published over HTTP in DOCSight's JSON form.

For anything that can already produce the documented reading format: an
exporter script on a router, the command line's ``poll --output`` served by a
web server, or a modem we do not support yet but a user can scrape.  Optional
HTTP Basic authentication.
"""

from __future__ import annotations

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
        self._auth = (
            aiohttp.BasicAuth(config.username, config.password or "") if config.username else None
        )

    async def async_fetch(self) -> Reading:
        """GET the URL and parse the reading it serves."""
        session = self.config.session
        if session is None:
            raise ModemConnectionError("no HTTP session")
        try:
            async with session.get(self._url, auth=self._auth, timeout=REQUEST_TIMEOUT) as response:
                if response.status in (401, 403):
                    raise ModemAuthError(f"HTTP {response.status}")
                if response.status == 429:
                    raise ModemLockedError("HTTP 429: too many requests")
                if response.status >= 400:
                    raise ModemConnectionError(f"HTTP {response.status}")
                body = await response.text()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ModemConnectionError(str(err) or type(err).__name__) from err
        try:
            raw = json.loads(body)
        except ValueError as err:
            raise UnsupportedModemError("the URL does not serve JSON") from err
        try:
            return reading_from_json(raw)
        except (ValueError, KeyError, TypeError) as err:
            raise ModemParseError(f"not a DOCSight reading: {err}") from err
