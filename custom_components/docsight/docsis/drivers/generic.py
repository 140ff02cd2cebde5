"""A router that is not a cable modem: no DOCSIS data at all.

People on fibre or DSL (or behind a modem we cannot read) still want the rest
of DOCSight: speed tests, BQM, BNetzA measurements, the journal and the
reports.  This type gives them an entry to hang those on.  Its "reading" has
no channels, and the integration neither polls nor analyses it.

The address is optional; when given, fetching checks that something answers
there (any HTTP status will do: we know nothing about the device's pages), so
that the config flow can still refuse a mistyped address.
"""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp

from ..model import DeviceInfo, Reading
from .base import DriverConfig, ModemConnectionError, ModemDriver

MODEL = "Generic router"
DEFAULT_TIMEOUT = 10.0


class GenericRouter(ModemDriver):
    """No DOCSIS data; at most a check that the router's address answers."""

    def __init__(self, config: DriverConfig, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Keep the configuration; nothing is sent before a fetch."""
        super().__init__(config)
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def async_fetch(self) -> Reading:
        """Return an empty reading, after checking the address if there is one."""
        url = (self.config.url or "").strip()
        if url:
            await self._check_answers(url if "://" in url else f"http://{url}")
        return Reading(read_at=datetime.now(UTC), device=DeviceInfo(model=MODEL))

    async def _check_answers(self, url: str) -> None:
        session = self.config.session
        if session is None:
            raise ModemConnectionError("no HTTP session")
        try:
            # Routers' own certificates are self-signed; nothing secret is sent.
            async with session.get(url, timeout=self._timeout, ssl=False) as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise ModemConnectionError(
                f"nothing answered at {url}: {str(err) or type(err).__name__}"
            ) from err
