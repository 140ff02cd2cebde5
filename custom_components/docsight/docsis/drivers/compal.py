"""Compal CH7465 (Connect Box) driver, including the PLAY/UPC firmware variant.

The web interface speaks form-encoded POSTs to ``/xml/getter.xml`` (read,
``fun=N``) and ``/xml/setter.xml`` (act).  Its quirks, all handled here:

* A ``sessionToken`` cookie rotates with every answer; each request must send
  the latest one (as cookie, and as the ``token`` form field, which the PLAY
  firmware insists on and the others accept).
* The session is bound to the client's IP address and User-Agent, so the
  User-Agent is fixed, and only one user may be logged in at a time.
* Login is ``fun=15`` with the SHA-256 of the password as hex (PLAY firmware:
  ``Username=NULL`` and the plain password); success reads
  ``successful;SID=<digits>`` and the SID goes into a cookie.  ``fun=16``
  logs out.
* After failed logins the modem refuses logins for a while; ``fun=22``
  (readable without login) says for how many seconds.

Because the modem allows one session only, the driver logs in once per poll,
reads all pages in that session, and logs out at the end so the owner can
still open the web interface.  An :class:`asyncio.Lock` keeps two polls (or a
poll and :meth:`async_close`) from logging in at once.  A known lockout is
remembered and answered locally with :class:`ModemLockedError` until it has
passed, so a locked modem is not sent more passwords.

Transport only: the pages are parsed by :mod:`..parsers.compal`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
import hashlib
import logging
import math
import time
from typing import ClassVar

import aiohttp

from ..model import Reading
from ..parsers.compal import (
    CmStatus,
    GlobalSettings,
    SystemInfo,
    build_device_info,
    parse_cm_status,
    parse_downstream,
    parse_global_settings,
    parse_login_fail_count,
    parse_system_info,
    parse_upstream,
)
from .base import (
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemDriver,
    ModemError,
    ModemLockedError,
    ModemParseError,
    UnsupportedModemError,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "http://192.168.0.1"
USER_AGENT = "docsight/2"
DEFAULT_TIMEOUT = 20.0

GETTER = "/xml/getter.xml"
SETTER = "/xml/setter.xml"

FUN_GLOBAL_SETTINGS = 1
FUN_SYSTEM_INFO = 2
FUN_DOWNSTREAM = 10
FUN_UPSTREAM = 11
FUN_LOGIN = 15
FUN_LOGOUT = 16
FUN_LOGIN_FAIL_COUNT = 22
FUN_CM_STATUS = 144

TOKEN_COOKIE = "sessionToken"  # noqa: S105 - a cookie name, not a secret
SID_COOKIE = "SID"


class _SessionLostError(Exception):
    """The modem redirected to its login page: the session is gone."""


@dataclass(frozen=True, slots=True)
class _Pages:
    """The raw answers of one poll, before parsing."""

    system: str
    downstream: str
    upstream: str
    status: str


def _is_sid(text: str) -> bool:
    return text.isascii() and text.isdigit()


def hash_password(password: str) -> str:
    """Return the password as the normal firmware expects it: SHA-256, hex."""
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


class CompalModem(ModemDriver):
    """Compal CH7465 Connect Box; detects the PLAY firmware by itself."""

    force_play: ClassVar[bool] = False

    def __init__(
        self,
        config: DriverConfig,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep the configuration; nothing is sent before the first fetch."""
        super().__init__(config)
        self._url = (config.url or DEFAULT_URL).rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._sid: str | None = None
        self._settings: GlobalSettings | None = None
        self._locked_until: float | None = None

    @property
    def play(self) -> bool:
        """Return whether the PLAY/UPC login (plain password, token field) is used."""
        return self.force_play or bool(self._settings and self._settings.play)

    @property
    def logged_in(self) -> bool:
        """Return whether the driver holds a session right now."""
        return self._sid is not None

    async def async_fetch(self) -> Reading:
        """Log in, read device and channel pages, log out, and return the reading."""
        session = self.config.session
        if session is None:
            raise ModemConnectionError("no HTTP session")
        async with self._lock:
            self._check_lockout()
            try:
                pages = await self._read_with_login(session)
            finally:
                await self._logout(session)
        return self._parse(pages)

    async def async_close(self) -> None:
        """Log out if a session is still open."""
        session = self.config.session
        if session is None:
            return
        async with self._lock:
            await self._logout(session)

    # --- session handling ------------------------------------------------

    def _check_lockout(self) -> None:
        if self._locked_until is None:
            return
        remaining = self._locked_until - self._clock()
        if remaining > 0:
            raise ModemLockedError(
                f"the modem refuses logins for another {math.ceil(remaining)} s "
                "after failed attempts; not trying before then"
            )
        self._locked_until = None

    def _lock_for(self, seconds: int) -> None:
        self._locked_until = self._clock() + seconds

    async def _read_with_login(self, session: aiohttp.ClientSession) -> _Pages:
        """Log in and read every page in that one session (one retry if it ends early)."""
        await self._login(session)
        try:
            return await self._read_pages(session)
        except _SessionLostError:
            _LOGGER.debug("The modem ended the session mid-poll; logging in again")
            self._sid = None
        await self._login(session)
        try:
            return await self._read_pages(session)
        except _SessionLostError as err:
            self._sid = None
            raise ModemConnectionError(
                "the modem ended the session again right after logging in"
            ) from err

    async def _login(self, session: aiohttp.ClientSession) -> None:
        self._token = None
        self._sid = None
        await self._open(session)
        try:
            settings_page = await self._request(session, GETTER, FUN_GLOBAL_SETTINGS)
        except _SessionLostError as err:
            raise ModemConnectionError("the modem redirected the settings request") from err
        try:
            self._settings = parse_global_settings(settings_page)
        except ValueError as err:
            raise UnsupportedModemError(
                f"the modem does not answer like a Compal Connect Box: {err}"
            ) from err

        delay = await self._login_delay(session)
        if self._settings.locked_out or delay:
            self._lock_for(delay)
            wait = f"for {delay} s" if delay else "for now"
            raise ModemLockedError(f"the modem refuses logins {wait} after failed attempts")

        password = self.config.password or ""
        if self.play:
            form = {"Username": "NULL", "Password": password}
        else:
            form = {
                "Username": self.config.username or "NULL",
                "Password": hash_password(password),
            }
        try:
            answer = (await self._request(session, SETTER, FUN_LOGIN, form)).strip()
        except _SessionLostError as err:
            raise ModemLockedError(
                "another user is logged in to the modem (it allows one session at a time)"
            ) from err
        await self._check_login_answer(session, answer)

    async def _check_login_answer(self, session: aiohttp.ClientSession, answer: str) -> None:
        sid = answer.partition("SID=")[2].strip()
        if answer.startswith("successful"):
            if not _is_sid(sid):
                raise ModemParseError(f"login answer without a valid SID: {answer[:40]!r}")
            self._sid = sid
            self._locked_until = None
            _LOGGER.debug("Logged in to the Compal modem (PLAY firmware: %s)", self.play)
            return
        if "KDGloginincorrect" in answer:
            delay = await self._login_delay(session)
            if delay:
                self._lock_for(delay)
            raise ModemAuthError(
                "the modem refused the password"
                + (f"; it accepts the next login in {delay} s" if delay else "")
            )
        if "idloginrightincorrect" in answer:
            raise ModemLockedError("the modem refuses a login now: another user is logged in")
        if "KDGsuperUserPwEmpty" in answer:
            raise ModemAuthError("the modem has no password yet; set one in its web interface")
        if "KDGchangePW" in answer:
            if _is_sid(sid):  # the modem opened a session anyway: close it again
                self._sid = sid
                await self._logout(session)
            raise ModemAuthError("the modem demands a password change in its web interface")
        raise ModemParseError(f"unexpected login answer: {answer[:40]!r}")

    async def _login_delay(self, session: aiohttp.ClientSession) -> int:
        """Return the seconds until the modem accepts a login (0 if unknown)."""
        try:
            page = await self._request(session, GETTER, FUN_LOGIN_FAIL_COUNT)
            return parse_login_fail_count(page)
        except (_SessionLostError, ValueError) as err:
            _LOGGER.debug("No login failure counter from the modem: %s", err)
            return 0

    async def _logout(self, session: aiohttp.ClientSession) -> None:
        if self._sid is None:
            return
        try:
            await self._request(session, SETTER, FUN_LOGOUT)
        except (ModemError, _SessionLostError) as err:
            _LOGGER.debug("Logout from the Compal modem failed: %s", err)
        finally:
            self._sid = None
            self._token = None

    # --- transport ---------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {
            "Referer": f"{self._url}/",
            "X-Requested-With": "XMLHttpRequest",
            "User-Agent": USER_AGENT,
            "Accept": "application/xml, text/xml, */*; q=0.01",
        }

    def _cookies(self) -> dict[str, str]:
        # The start page always hands out a token before the first POST.
        cookies = {TOKEN_COOKIE: self._token or ""}
        if self._sid is not None:
            cookies[SID_COOKIE] = self._sid
        return cookies

    def _take_token(self, response: aiohttp.ClientResponse) -> None:
        # Read from the answer, not the session's cookie jar: the default jar
        # ignores cookies of IP-address hosts such as 192.168.0.1.
        morsel = response.cookies.get(TOKEN_COOKIE)
        if morsel is not None and morsel.value:
            self._token = morsel.value

    async def _open(self, session: aiohttp.ClientSession) -> None:
        """GET the start page, which hands out the first session token."""
        try:
            async with session.get(
                f"{self._url}/",
                headers=self._headers(),
                timeout=self._timeout,
            ) as response:
                # The token may come with a redirect to the login page.
                for answer in (*response.history, response):
                    self._take_token(answer)
                status = response.status
                await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ModemConnectionError(str(err) or type(err).__name__) from err
        if status in (404, 405):
            raise UnsupportedModemError(f"HTTP {status} for the start page")
        if status >= 400:
            raise ModemConnectionError(f"HTTP {status} for the start page")
        if self._token is None:
            raise UnsupportedModemError(
                "the start page sets no sessionToken cookie: not a Compal Connect Box"
            )

    async def _request(
        self,
        session: aiohttp.ClientSession,
        path: str,
        fun: int,
        extra: dict[str, str] | None = None,
    ) -> str:
        """POST one function call and return the answer's text."""
        form = {"token": self._token or "", "fun": str(fun), **(extra or {})}
        try:
            async with session.post(
                f"{self._url}{path}",
                data=form,
                headers=self._headers(),
                cookies=self._cookies(),
                allow_redirects=False,
                timeout=self._timeout,
            ) as response:
                self._take_token(response)
                if 300 <= response.status < 400:
                    raise _SessionLostError(f"HTTP {response.status} for fun={fun}")
                if response.status >= 400:
                    raise ModemConnectionError(f"HTTP {response.status} for fun={fun}")
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ModemConnectionError(f"fun={fun}: {str(err) or type(err).__name__}") from err
        return body.decode("utf-8", errors="replace")

    async def _read_pages(self, session: aiohttp.ClientSession) -> _Pages:
        return _Pages(
            system=await self._request(session, GETTER, FUN_SYSTEM_INFO),
            downstream=await self._request(session, GETTER, FUN_DOWNSTREAM),
            upstream=await self._request(session, GETTER, FUN_UPSTREAM),
            status=await self._request(session, GETTER, FUN_CM_STATUS),
        )

    # --- parsing -------------------------------------------------------------

    def _parse(self, pages: _Pages) -> Reading:
        try:
            downstream = parse_downstream(pages.downstream)
            upstream = parse_upstream(pages.upstream)
        except ValueError as err:
            raise ModemParseError(f"unreadable channel table: {err}") from err
        # Device pages are a bonus: a broken one must not cost the channels.
        system: SystemInfo | None = None
        status: CmStatus | None = None
        try:
            system = parse_system_info(pages.system)
        except ValueError as err:
            _LOGGER.warning("Unreadable system info page from the Compal modem: %s", err)
        try:
            status = parse_cm_status(pages.status)
        except ValueError as err:
            _LOGGER.warning("Unreadable status page from the Compal modem: %s", err)
        return Reading(
            read_at=datetime.now(UTC),
            device=build_device_info(self._settings, system, status),
            downstream=downstream,
            upstream=upstream,
        )


class CompalPlayModem(CompalModem):
    """Compal CH7465 with PLAY/UPC firmware: plain password, no detection needed."""

    force_play = True
