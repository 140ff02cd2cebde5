"""Arris CM8200A (Touchstone) driver, and the legacy-TLS transport it shares.

The modem serves its web interface over HTTPS with a self-signed certificate
and old TLS settings (OpenSSL security level 0).  Its protocol:

* ``GET /cmconnectionstatus.html`` with the session cookie serves the channel
  tables; without a session it serves the login page;
* ``GET /Admin_Login_Lock.txt`` says "Locked" while logins are locked after
  failed attempts (readable without a session);
* ``GET /cmconnectionstatus.html?<base64(user:password)>`` logs in and answers
  with nothing but the session token (alphanumeric, at most 64 characters);
  a refused login answers with a page instead.  The token then goes into the
  cookie header the modem's web app writes:
  ``Cookie: HttpOnly: true, Secure: true; credential=<token>``.

A poll first tries the stored session; only if the modem shows its login page
does the driver look at the lock notice and log in.  So a live session costs
one request per poll, and a locked modem is never sent a password.  A refused
login is checked against the lock notice again, to tell a wrong password
from a lockout that the attempt itself started.

Transport only: the page is parsed by :mod:`..parsers.arris_cm8200`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
import logging
import ssl
import time
from typing import ClassVar

from ..model import Reading
from ..parsers.arris_cm8200 import (
    DEFAULT_MODEL,
    build_device_info,
    has_bonded_channels,
    is_locked_notice,
    is_login_page,
    parse_login_token,
    parse_status_page,
)
from .base import (
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    UnsupportedModemError,
)
from .session import REQUEST_TIMEOUT, SingleSessionModem, legacy_tls_context

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "https://192.168.100.1"
DEFAULT_USERNAME = "admin"
STATUS_PATH = "/cmconnectionstatus.html"
LOCK_PATH = "/Admin_Login_Lock.txt"
# How long to stay away when the lock notice shows (the modem gives no time).
LOCKOUT_SECONDS = 300.0


class ArrisCM8200Modem(SingleSessionModem):
    """Arris CM8200A over its HTTPS web interface, reusing its session token.

    It signs its own certificate and speaks old TLS: its requests (only
    those) use a legacy context; the HTTP status is judged here.
    """

    tls_context: ClassVar[ssl.SSLContext | bool] = legacy_tls_context(0)
    send_referer: ClassVar[bool] = False

    def __init__(
        self,
        config: DriverConfig,
        *,
        timeout: float = REQUEST_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep the configuration; nothing is sent before the first fetch."""
        super().__init__(
            config, DEFAULT_URL, logout_after_poll=False, request_timeout=timeout, clock=clock
        )

    async def _poll(self) -> Reading:
        page = await self._get_status()
        if has_bonded_channels(page):  # the stored session (or a modem without a password)
            return self._reading(page)
        if self._token is not None:
            _LOGGER.debug("The CM8200 session ended; logging in again")
            self._forget_session()
        elif not is_login_page(page):
            raise UnsupportedModemError("neither channel tables nor a login page: not a CM8200")
        await self._check_lock_notice()
        await self._login()
        page = await self._get_status()
        if not has_bonded_channels(page):
            self._forget_session()
            raise ModemAuthError("the modem did not accept its own session token")
        return self._reading(page)

    async def _logout(self) -> None:
        """Nothing to send: the modem has no logout, and the session is kept for reuse."""

    async def _get_status(self) -> str:
        status, body = await self._send("GET", STATUS_PATH, headers=self._credential_header())
        return self._page(STATUS_PATH, status, body)

    def _credential_header(self) -> dict[str, str]:
        if self._token is None:
            return {}
        # Verbatim what the web app's script writes into document.cookie.
        return {"Cookie": f"HttpOnly: true, Secure: true; credential={self._token}"}

    def _page(self, path: str, status: int, body: bytes) -> str:
        if status == 404:
            raise UnsupportedModemError(f"HTTP 404 for {path}: not an Arris CM8200")
        if status >= 400:
            raise ModemConnectionError(f"HTTP {status} for {path}")
        return body.decode("utf-8", errors="replace")

    async def _check_lock_notice(self) -> None:
        status, body = await self._send("GET", LOCK_PATH)
        if status == 200 and is_locked_notice(body.decode("utf-8", errors="replace")):
            raise self._locked("the modem locked logins after failed attempts", LOCKOUT_SECONDS)

    async def _login(self) -> None:
        user = self.config.username or DEFAULT_USERNAME
        credentials = base64.b64encode(f"{user}:{self.config.password or ''}".encode()).decode()
        status, body = await self._send("GET", f"{STATUS_PATH}?{credentials}")
        if status in (401, 403):
            await self._check_lock_notice()
            raise ModemAuthError(f"the modem refused the login (HTTP {status})")
        token = parse_login_token(self._page(STATUS_PATH, status, body))
        if token is None:
            await self._check_lock_notice()
            raise ModemAuthError("the modem refused the user name or password")
        self._token = token
        _LOGGER.debug("Logged in to the CM8200")

    def _reading(self, page: str) -> Reading:
        status = self._parse(parse_status_page, page)
        return Reading(
            read_at=datetime.now(UTC),
            device=build_device_info(status, DEFAULT_MODEL),
            downstream=status.downstream,
            upstream=status.upstream,
        )
