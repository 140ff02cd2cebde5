"""Netgear CM3000 driver: HTTP Basic auth with a fallback to the form login.

One page, ``GET /DocsisStatus.htm``, carries every channel table (as
JavaScript ``tagValueList`` strings) and the uptime.  The modem protects it in
one of two ways, depending on the firmware:

* HTTP Basic authentication: the page comes back directly (401 for wrong
  credentials);
* a login form: the page answers with ``Login.htm``'s form instead of the
  data.  The driver then reads the form's action from ``/Login.htm`` (default
  ``/goform/Login``), posts ``loginName``/``loginPassword`` and asks for the
  page again with the session cookie the modem set.

The credentials are sent as Basic auth on every request either way, which the
form firmware ignores.  Session cookies are kept by the driver itself: the
default aiohttp cookie jar drops cookies of IP-address hosts such as
192.168.100.1.  After a successful form login the cookie is reused, and the
form is only posted again when the modem shows it again.

Transport only: the page is parsed by :mod:`..parsers.netgear_cm3000`.
"""

from __future__ import annotations

from datetime import UTC, datetime
import logging
from urllib.parse import urlsplit

import aiohttp

from ..model import Reading
from ..parsers.netgear_cm3000 import (
    DS_FUNCTION,
    is_login_page,
    login_form_action,
    parse_docsis_status,
    tag_value_list,
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

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "http://192.168.100.1"
DEFAULT_USERNAME = "admin"
DEFAULT_TIMEOUT = 20.0
STATUS_PATH = "/DocsisStatus.htm"
LOGIN_PATH = "/Login.htm"


class NetgearCM3000Modem(ModemDriver):
    """Netgear CM3000 (DOCSIS 3.1), Basic auth or form login."""

    def __init__(self, config: DriverConfig, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Keep the configuration; nothing is sent before the first fetch."""
        super().__init__(config)
        self._url = (config.url or DEFAULT_URL).rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._cookies: dict[str, str] = {}

    @property
    def username(self) -> str:
        """Return the login name (the modem's default is "admin")."""
        return self.config.username or DEFAULT_USERNAME

    async def async_fetch(self) -> Reading:
        """Read the status page, logging in through the form if the modem asks."""
        session = self.config.session
        if session is None:
            raise ModemConnectionError("no HTTP session")
        page = await self._get(session, STATUS_PATH)
        if is_login_page(page):
            _LOGGER.debug("The CM3000 shows its login form; logging in")
            await self._form_login(session)
            page = await self._get(session, STATUS_PATH)
            if is_login_page(page):
                self._cookies.clear()
                raise ModemAuthError("the modem refused the login")
        return self._parse(page)

    async def async_close(self) -> None:
        """Forget the form-login session cookie."""
        self._cookies.clear()

    # --- transport ---------------------------------------------------------

    def _auth(self) -> aiohttp.BasicAuth:
        try:
            return aiohttp.BasicAuth(self.username, self.config.password or "", encoding="utf-8")
        except ValueError as err:
            raise ModemAuthError(f"unusable username: {err}") from err

    def _take_cookies(self, response: aiohttp.ClientResponse) -> None:
        for answer in (*response.history, response):
            for name, morsel in answer.cookies.items():
                self._cookies[name] = morsel.value

    async def _send(
        self,
        session: aiohttp.ClientSession,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
    ) -> str:
        """Send one request with Basic auth and the session cookies; return the text."""
        url = f"{self._url}{path}"
        try:
            async with session.request(
                method,
                url,
                data=form,
                auth=self._auth(),
                cookies=self._cookies,
                timeout=self._timeout,
            ) as response:
                self._take_cookies(response)
                status = response.status
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ModemConnectionError(f"{path}: {str(err) or type(err).__name__}") from err
        if status in (401, 403):
            raise ModemAuthError(f"HTTP {status} for {path}: the modem refused the credentials")
        if status == 429:
            raise ModemLockedError(f"HTTP 429 for {path}: too many login attempts")
        if status in (404, 405):
            raise UnsupportedModemError(f"HTTP {status} for {path}: not a Netgear CM3000")
        if status >= 400:
            raise ModemConnectionError(f"HTTP {status} for {path}")
        return body.decode("utf-8", errors="replace")

    async def _get(self, session: aiohttp.ClientSession, path: str) -> str:
        return await self._send(session, "GET", path)

    async def _form_login(self, session: aiohttp.ClientSession) -> None:
        self._cookies.clear()
        login_page = await self._get(session, LOGIN_PATH)
        form = {"loginName": self.username, "loginPassword": self.config.password or ""}
        # Only the path of the action: the password goes to this modem, nowhere else.
        action = urlsplit(login_form_action(login_page))
        path = "/" + action.path.lstrip("/") + (f"?{action.query}" if action.query else "")
        await self._send(session, "POST", path, form)

    # --- parsing -------------------------------------------------------------

    def _parse(self, page: str) -> Reading:
        try:
            status = parse_docsis_status(page)
        except ValueError as err:
            if tag_value_list(page, DS_FUNCTION) is None:
                raise UnsupportedModemError(
                    f"the page has no CM3000 channel tables: {err}"
                ) from err
            raise ModemParseError(f"unreadable channel table: {err}") from err
        return Reading(
            read_at=datetime.now(UTC),
            device=status.device,
            downstream=status.downstream,
            upstream=status.upstream,
        )
