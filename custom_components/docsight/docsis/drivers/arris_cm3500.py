"""Arris CM3500B (Touchstone) driver.

The web interface is HTTPS only, with the modem's own self-signed
certificate.  Its protocol:

* ``GET /cgi-bin/status_cgi`` serves the channel tables, or the login form
  when nobody from this address is logged in;
* ``POST /cgi-bin/login_cgi`` with ``username`` and ``password`` logs in; the
  session is bound to the client's IP address (no cookie, no token), so there
  is nothing to keep but the fact that it worked;
* ``GET /cgi-bin/config_params_cgi`` lists the provisioned service flows.
* ``GET /cgi-bin/vers_cgi`` names the firmware (read until known).

The driver asks for the status page first and logs in only when the modem
answers with its login form, so a poll within a live session costs two
requests.  A wrong password shows as the login form again after the login.

Transport only: the pages are parsed by :mod:`..parsers.arris_cm3500`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import logging

import aiohttp

from ..model import Reading
from ..parsers.arris_cm3500 import (
    ServiceFlows,
    Versions,
    build_device_info,
    is_login_page,
    parse_service_flows,
    parse_status,
    parse_versions,
)
from .base import (
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemDriver,
    ModemError,
    ModemParseError,
    UnsupportedModemError,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "https://192.168.100.1"
DEFAULT_USERNAME = "admin"
DEFAULT_TIMEOUT = 20.0

STATUS_PATH = "/cgi-bin/status_cgi"
LOGIN_PATH = "/cgi-bin/login_cgi"
CONFIG_PATH = "/cgi-bin/config_params_cgi"
VERSIONS_PATH = "/cgi-bin/vers_cgi"


class ArrisCM3500Modem(ModemDriver):
    """Arris CM3500B over its HTTPS web interface."""

    def __init__(self, config: DriverConfig, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Keep the configuration; nothing is sent before the first fetch."""
        super().__init__(config)
        self._url = (config.url or DEFAULT_URL).rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._lock = asyncio.Lock()
        # The firmware changes only with an update (which reboots the modem);
        # read it until it is known, then once per restart of the driver.
        self._versions: Versions | None = None

    async def async_fetch(self) -> Reading:
        """Read the status page (logging in if asked to) and the service flows."""
        session = self.config.session
        if session is None:
            raise ModemConnectionError("no HTTP session")
        async with self._lock:
            status_page = await self._get(session, STATUS_PATH)
            if is_login_page(status_page):
                await self._login(session)
                status_page = await self._get(session, STATUS_PATH)
                if is_login_page(status_page):
                    raise ModemAuthError("the modem refused the user name or password")
            flows_page: str | None
            try:
                flows_page = await self._get(session, CONFIG_PATH)
            except ModemConnectionError as err:
                _LOGGER.warning("No service flow page from the CM3500: %s", err)
                flows_page = None
            if self._versions is None:
                self._versions = await self._read_versions(session)
        return self._parse(status_page, flows_page)

    async def _read_versions(self, session: aiohttp.ClientSession) -> Versions | None:
        """Read the firmware; a missing or odd page costs only the firmware."""
        try:
            return parse_versions(await self._get(session, VERSIONS_PATH))
        except (ModemError, ValueError) as err:
            _LOGGER.debug("No firmware from the CM3500's version page: %s", err)
            return None

    async def _login(self, session: aiohttp.ClientSession) -> None:
        form = {
            "username": self.config.username or DEFAULT_USERNAME,
            "password": self.config.password or "",
        }
        try:
            async with session.post(
                f"{self._url}{LOGIN_PATH}",
                data=form,
                allow_redirects=False,
                timeout=self._timeout,
                # The modem only has a self-signed certificate; verification is
                # switched off for this driver's requests only, not the session.
                ssl=False,
            ) as response:
                status = response.status
                await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ModemConnectionError(f"login: {str(err) or type(err).__name__}") from err
        if status in (401, 403):
            raise ModemAuthError(f"the modem refused the login (HTTP {status})")
        if status >= 400:
            raise ModemConnectionError(f"HTTP {status} for the login")
        _LOGGER.debug("Logged in to the CM3500 (HTTP %s)", status)

    async def _get(self, session: aiohttp.ClientSession, path: str) -> str:
        try:
            async with session.get(
                f"{self._url}{path}",
                timeout=self._timeout,
                # Self-signed certificate on the modem: see _login.
                ssl=False,
            ) as response:
                status = response.status
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ModemConnectionError(f"{path}: {str(err) or type(err).__name__}") from err
        if status == 404:
            raise UnsupportedModemError(f"HTTP 404 for {path}: not an Arris CM3500")
        if status in (401, 403):
            raise ModemAuthError(f"HTTP {status} for {path}")
        if status >= 400:
            raise ModemConnectionError(f"HTTP {status} for {path}")
        return body.decode("utf-8", errors="replace")

    def _parse(self, status_page: str, flows_page: str | None) -> Reading:
        if "<h4>" not in status_page.lower():
            raise UnsupportedModemError("the status page has no channel tables: not a CM3500")
        try:
            status = parse_status(status_page)
        except ValueError as err:
            raise ModemParseError(f"unreadable channel table: {err}") from err
        # The service flows are a bonus: a broken page must not cost the channels.
        flows: ServiceFlows | None = None
        if flows_page is not None:
            try:
                flows = parse_service_flows(flows_page)
            except ValueError as err:
                _LOGGER.warning("Unreadable service flow page from the CM3500: %s", err)
        return Reading(
            read_at=datetime.now(UTC),
            device=build_device_info(status, flows, self._versions),
            downstream=status.downstream,
            upstream=status.upstream,
        )
