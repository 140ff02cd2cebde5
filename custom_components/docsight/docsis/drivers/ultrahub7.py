"""Vodafone Ultra Hub 7 (Sercomm): AES-CCM login, JSON channel lists.

The login (see :mod:`..parsers.ultrahub7`) takes four requests: the session
parameters and ``DUKSID`` cookie, the web UI secret, and the encrypted
password; the channel lists are two JSON documents.

The hub allows one web session at a time and locks logins after failed
attempts.  Like the Vodafone Station driver, this one

* never runs two polls (and so never two logins) at once, not even from two
  drivers for the same address (the stations' asyncio lock per address),
* logs out after each poll, so the owner can still use the web interface
  (``logout_after_poll=False`` keeps the session and reuses it while the hub
  accepts it),
* asks the hub to end another client's session (``Push=true``) and, when
  it answers that another session was in the way (``X_INTERNAL_Is_Duplicate``),
  logs in once more,
* logs in again once if the hub ends the session in the middle of a poll,
* and, once the hub reports a lockout, refuses to contact it again until the
  lockout is over (:class:`ModemLockedError` without any request).

Cookies are kept by the driver itself, not in the shared session's cookie jar.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
import secrets
import time
from typing import TYPE_CHECKING, ClassVar

from ..model import Reading
from ..parsers import ultrahub7 as parser
from .base import (
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemLockedError,
    ModemParseError,
    UnsupportedModemError,
)
from .session import REQUEST_TIMEOUT, SingleSessionModem, read_json

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

DEFAULT_URL = "http://192.168.0.1"

CONFIG_DETAILS = "/api/config/details.jst"
USER_DETAILS = "/api/users/details.jst"
LOGIN = "/api/users/login.jst"
LOGOUT = "/api/users/logout.jst"  # our assumption; the notes name no logout
DOWNSTREAM = "/api/docsis/downstream/list.jst"
UPSTREAM = "/api/docsis/upstream/list.jst"


class _SessionExpiredError(Exception):
    """The hub no longer accepts the session (internal: triggers one new login)."""


class UltraHub7Modem(SingleSessionModem):
    """Reads a Vodafone Ultra Hub 7."""

    device_noun = "hub"
    base_headers: ClassVar[Mapping[str, str]] = {
        "User-Agent": "Mozilla/5.0",
        "X-Requested-With": "XMLHttpRequest",
        "Priority": "u=1",
    }

    def __init__(
        self,
        config: DriverConfig,
        *,
        logout_after_poll: bool = True,
        request_timeout: float = REQUEST_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        random_iv: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        """Keep the configuration; nothing is contacted before the first fetch."""
        super().__init__(
            config,
            DEFAULT_URL,
            logout_after_poll=logout_after_poll,
            request_timeout=request_timeout,
            clock=clock,
        )
        self._random_iv = random_iv

    # ------------------------------------------------------------------ flow

    async def _poll(self) -> Reading:
        if not self.config.password:
            raise ModemAuthError("a password is required")
        for attempt in range(2):
            if not self.logged_in:
                await self._login()
            try:
                return await self._read()
            except _SessionExpiredError:
                self._forget_session()
                if attempt:
                    raise ModemConnectionError(
                        "the hub ended the session again right after a login"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _login(self) -> None:
        """Log in; one more time if another client's session was in the way."""
        for attempt in range(2):
            answer = await self._login_once()
            if answer.outcome is parser.LoginOutcome.OK:
                return
            # DUPLICATE: the hub ended the other session; a new login gets a fresh one.
            self._forget_session()
            if attempt:
                raise ModemConnectionError("another session keeps the hub busy")
        raise AssertionError("unreachable")  # pragma: no cover

    async def _login_once(self) -> parser.LoginAnswer:
        self._forget_session()
        status, body = await self._request(
            "GET", CONFIG_DETAILS, params={"X_INTERNAL_FIELDS": "X_RDK_ONT_Veip_1_OperationalState"}
        )
        if status != 200:
            raise UnsupportedModemError(f"no Ultra Hub 7 login API (HTTP {status})")
        internal_id, csrf_token = self._parse(parser.session_parameters, read_json(body))
        status, body = await self._request(
            "GET",
            USER_DETAILS,
            params={"__id": internal_id, "X_INTERNAL_FIELDS": "X_VODAFONE_WebUISecret"},
        )
        if status != 200:
            raise ModemParseError(f"{USER_DETAILS}: HTTP {status}")
        secret = self._parse(parser.web_ui_secret, read_json(body))
        form = parser.login_form(
            internal_id,
            self.config.password or "",
            secret,
            csrf_token,
            self._random_iv(parser.IV_BYTES),
        )
        status, body = await self._request("POST", LOGIN, data=form)
        if status in (401, 403):
            raise ModemAuthError(f"login refused (HTTP {status})")
        if status != 200:
            raise ModemParseError(f"{LOGIN}: HTTP {status}")
        answer = self._parse(parser.parse_login, read_json(body))
        if answer.outcome is parser.LoginOutcome.LOCKED:
            raise self._locked("the hub locked logins", answer.wait_seconds)
        if answer.outcome is parser.LoginOutcome.INVALID_PASSWORD:
            self._forget_session()
            raise ModemAuthError("wrong password")
        if answer.outcome is parser.LoginOutcome.OK:
            self._token = answer.csrf_token or csrf_token
        return answer

    async def _read(self) -> Reading:
        downstream_page = await self._get(DOWNSTREAM)
        upstream_page = await self._get(UPSTREAM)
        downstream, upstream = self._parse(
            lambda pages: parser.parse_docsis(*pages), (downstream_page, upstream_page)
        )
        return Reading(
            read_at=datetime.now(UTC),
            device=parser.DEVICE,
            downstream=downstream,
            upstream=upstream,
        )

    async def _get(self, path: str) -> object:
        status, body = await self._request("GET", path)
        if status in (302, 303, 401, 403):
            raise _SessionExpiredError
        if status != 200:
            raise UnsupportedModemError(f"{path}: HTTP {status}")
        return read_json(body)

    async def _logout(self) -> None:
        """Log out politely; a failing logout only drops the session locally."""
        if not self.logged_in:
            return
        with contextlib.suppress(ModemConnectionError, ModemLockedError):
            await self._request("POST", LOGOUT, data={"csrf_token": self._token or ""})
        self._forget_session()
