"""Reads an AVM FRITZ!Box Cable over its web interface (transport only).

Login follows AVM's ``login_sid.lua?version=2`` handshake: fetch a challenge,
answer it (PBKDF2 or legacy MD5, see :mod:`..parsers.fritzbox`), receive a
session ID.  A FRITZ!Box keeps few sessions and punishes failed logins with a
growing ``BlockTime``, so this driver:

* reuses its SID while it is fresh.  A FRITZ!Box forgets a SID after 10
  (older FRITZ!OS) or 20 minutes without use, and a request with a forgotten
  SID is logged on the box as "invalid session ID" and ends every session
  from this address.  So a SID idle for longer than ``sid_idle_limit`` is
  first shown to ``login_sid.lua``, which confirms it or, in the same answer,
  hands out the challenge for a new login.  A page that still answers 403
  (box rebooted, session revoked) gets one new login per poll;
* serialises polls with an :class:`asyncio.Lock`, so two fetches never log in
  at the same time;
* never answers a challenge while the box announces a ``BlockTime``: it raises
  :class:`ModemLockedError` and lets the caller back off.

Per poll: ``data.lua`` ``page=docInfo`` (channels), ``page=overview`` (model,
firmware, uptime; falling back to ``/tr064/tr64desc.xml``, which needs no
login) and, until it once succeeds, ``page=netMoni`` (provisioned rates).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
import logging
import time
from typing import TYPE_CHECKING

import aiohttp

from ..model import DeviceInfo, Reading
from ..parsers.fritzbox import (
    LoginChallenge,
    login_response,
    parse_connection,
    parse_device,
    parse_doc_info,
    parse_login_challenge,
)
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
    from collections.abc import Mapping

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "http://192.168.178.1"
DEFAULT_TIMEOUT = 20.0
# Below the 10-minute idle expiry of older FRITZ!OS (newer ones keep 20 minutes).
SID_IDLE_LIMIT = 540.0
LOGIN_PATH = "/login_sid.lua"
DATA_PATH = "/data.lua"
TR064_PATH = "/tr064/tr64desc.xml"


class _SessionExpiredError(Exception):
    """A page answered 403: the SID is no longer valid."""


class FritzBoxModem(ModemDriver):
    """A FRITZ!Box Cable, polled through ``login_sid.lua`` and ``data.lua``."""

    def __init__(
        self,
        config: DriverConfig,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        ofdma_power_offset_db: float = 0.0,
        sid_idle_limit: float = SID_IDLE_LIMIT,
    ) -> None:
        """Check the configuration; the HTTP session belongs to the caller."""
        super().__init__(config)
        if not config.password:
            raise ValueError("a password is required")
        self._base = (config.url or DEFAULT_URL).rstrip("/")
        if "://" not in self._base:
            self._base = f"http://{self._base}"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._ofdma_offset = ofdma_power_offset_db
        self._lock = asyncio.Lock()
        self._sid: str | None = None
        self._sid_used_at = 0.0
        self._sid_idle_limit = sid_idle_limit
        self._static_device: DeviceInfo | None = None
        self._rates: tuple[int | None, int | None] | None = None
        self.logins = 0

    @property
    def sid(self) -> str | None:
        """Return the session ID in use (None before the first login)."""
        return self._sid

    # --- public interface ------------------------------------------------------

    async def async_fetch(self) -> Reading:
        """Log in if needed, read channels, device and connection, return a reading."""
        async with self._lock:
            try:
                doc_text = await self._data_page("docInfo")
            except _SessionExpiredError:
                _LOGGER.debug("FRITZ!Box session expired, logging in again")
                self._sid = None
                try:
                    doc_text = await self._data_page("docInfo")
                except _SessionExpiredError as err:
                    raise ModemAuthError(
                        "the FRITZ!Box refused a fresh session (does the user have the"
                        " right to see FRITZ!Box settings?)"
                    ) from err
            try:
                downstream, upstream = parse_doc_info(
                    doc_text, ofdma_power_offset_db=self._ofdma_offset
                )
            except ValueError as err:
                raise ModemParseError(f"unexpected docInfo page: {err}") from err
            device = await self._device_info()
            return Reading(
                read_at=datetime.now(UTC),
                device=device,
                downstream=downstream,
                upstream=upstream,
            )

    async def async_close(self) -> None:
        """Log out (best effort) and forget the session."""
        async with self._lock:
            sid, self._sid = self._sid, None
            if sid is None or self.config.session is None:
                return
            try:
                await self._get(LOGIN_PATH, {"version": "2", "logout": "1", "sid": sid})
            except (ModemConnectionError, UnsupportedModemError) as err:
                _LOGGER.debug("FRITZ!Box logout failed: %s", err)

    # --- transport -------------------------------------------------------------

    def _session(self) -> aiohttp.ClientSession:
        session = self.config.session
        if session is None:
            raise ModemConnectionError("no HTTP session")
        return session

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        try:
            async with self._session().request(
                method,
                f"{self._base}{path}",
                params=params,
                data=data,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                return response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ModemConnectionError(f"{path}: {err or type(err).__name__}") from err

    async def _get(self, path: str, params: Mapping[str, str]) -> bytes:
        status, body = await self._request("GET", path, params=params)
        if status == 404:
            raise UnsupportedModemError(f"{path} not found: not a FRITZ!Box")
        if status >= 400:
            raise ModemConnectionError(f"{path}: HTTP {status}")
        return body

    async def _login_page(self, params: Mapping[str, str]) -> LoginChallenge:
        body = await self._get(LOGIN_PATH, {"version": "2", **params})
        try:
            return parse_login_challenge(body)
        except ValueError as err:
            raise UnsupportedModemError(f"not a FRITZ!Box login answer: {err}") from err

    async def _login(self, stale_sid: str | None = None) -> str:
        """Return a valid SID: the stale one if the box confirms it, else a new one."""
        username = self.config.username or ""
        params = {"username": username} if username else {}
        if stale_sid is not None:
            params["sid"] = stale_sid
        first = await self._login_page(params)
        if first.sid is not None and first.sid == stale_sid:
            return self._use(stale_sid)
        if first.block_time > 0:
            raise ModemLockedError(
                f"the FRITZ!Box blocks logins for {first.block_time} s after failed attempts"
            )
        if not username:
            # Newer FRITZ!OS always has users; the web UI preselects the last one.
            username = first.last_user or (first.users[0] if first.users else "")
        try:
            answer = login_response(first.challenge, self.config.password or "")
        except ValueError as err:
            raise UnsupportedModemError(f"unusable login challenge: {err}") from err
        result = await self._login_page({"username": username, "response": answer})
        if result.sid is None:
            if result.block_time > 0:
                raise ModemAuthError(
                    f"wrong FRITZ!Box username or password (logins blocked for {result.block_time} s)"
                )
            raise ModemAuthError("wrong FRITZ!Box username or password")
        self.logins += 1
        return self._use(result.sid)

    def _use(self, sid: str) -> str:
        self._sid = sid
        self._sid_used_at = time.monotonic()
        return sid

    async def _valid_sid(self) -> str:
        sid = self._sid
        if sid is None:
            return await self._login()
        if time.monotonic() - self._sid_used_at > self._sid_idle_limit:
            return await self._login(stale_sid=sid)
        return sid

    async def _data_page(self, page: str) -> bytes:
        """POST data.lua for a page; raise _SessionExpiredError on 401/403."""
        sid = await self._valid_sid()
        form = {
            "xhr": "1",
            "sid": sid,
            "lang": "de",
            "page": page,
            "xhrId": "all",
            "no_sidrenew": "",
        }
        status, body = await self._request("POST", DATA_PATH, data=form)
        if status in (401, 403) or (300 <= status < 400):
            raise _SessionExpiredError
        if status == 404:
            raise UnsupportedModemError("data.lua not found: not a FRITZ!Box Cable")
        if status >= 400:
            raise ModemConnectionError(f"data.lua {page}: HTTP {status}")
        self._sid_used_at = time.monotonic()  # the box counts its idle time from here
        return body

    async def _device_info(self) -> DeviceInfo:
        """Read model/firmware/uptime; never fails the poll (channels are what matter)."""
        device: DeviceInfo | None = None
        try:
            device = parse_device(await self._data_page("overview"))
        except (
            ValueError,
            _SessionExpiredError,
            ModemConnectionError,
            UnsupportedModemError,
        ) as err:
            _LOGGER.debug("FRITZ!Box overview page unusable: %s", err)
        if device is None:
            device = await self._tr64_device()
        if self._rates is None:
            try:
                self._rates = parse_connection(await self._data_page("netMoni"))
            except (
                ValueError,
                _SessionExpiredError,
                ModemConnectionError,
                UnsupportedModemError,
            ) as err:
                _LOGGER.debug("FRITZ!Box netMoni page unusable: %s", err)
        if self._rates is not None:
            device = replace(device, downstream_kbps=self._rates[0], upstream_kbps=self._rates[1])
        return device

    async def _tr64_device(self) -> DeviceInfo:
        if self._static_device is None:
            try:
                self._static_device = parse_device(await self._get(TR064_PATH, {}))
            except (ValueError, ModemConnectionError, UnsupportedModemError) as err:
                _LOGGER.debug("FRITZ!Box TR-064 description unusable: %s", err)
                return DeviceInfo(manufacturer="AVM")
        return self._static_device
