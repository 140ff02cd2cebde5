"""Vodafone Station: Technicolor CGA4322DE/CGA6444VF and Arris TG3442DE/TG6442VF.

Both variants serve the same product under the same default address but speak
different web interfaces (see :mod:`..parsers.vodafone_station`).  The driver
finds out which one answers on the first poll and remembers it.

The stations allow one web session at a time, and lock logins for a while
after failed attempts.  So the driver

* never runs two polls (and so never two logins) at once, not even from two
  drivers for the same address (an asyncio lock per address),
* logs out after each poll, so the owner can still use the web interface
  (``logout_after_poll=False`` keeps the session and reuses it while the
  modem accepts it),
* logs in again once if the modem ends the session in the middle of a poll,
* and, once the modem reports a lockout, refuses to contact it again until the
  lockout is over (:class:`ModemLockedError` without any request).

Cookies are kept by the driver itself, not in the shared session's cookie jar:
the jar would refuse them from an IP address and would leak them to other
users of the session.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from enum import StrEnum
import json
import time
from typing import TYPE_CHECKING, Any, ClassVar

from ..model import Reading
from ..parsers import vodafone_station as parser
from .base import (
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemLockedError,
    ModemParseError,
    UnsupportedModemError,
)
from .session import (
    REQUEST_TIMEOUT,
    SingleSessionModem,
    read_json,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

DEFAULT_URL = "http://192.168.0.1"
DEFAULT_USERNAME = "admin"
# How long to leave a locked modem alone when it does not say (seconds), and
# the bounds on what it says.

CGA_LOGIN = "/api/v1/session/login"
CGA_MENU = "/api/v1/session/menu"
CGA_LOGOUT = "/api/v1/session/logout"
CGA_DOCSIS = "/api/v1/sta_docsis_status"
CGA_DEVICE = "/api/v1/sta_device_info"
TG_PASSWORD = "/php/ajaxSet_Password.php"  # noqa: S105 - a path, not a password
TG_SESSION = "/php/ajaxSet_Session.php"
TG_SCRIPT = "/base_95x.js"
TG_DOCSIS = "/php/status_docsis_data.php"
TG_DEVICE = "/php/status_status_data.php"
TG_LOGOUT = "/php/logout.php"
TG_SUCCESS = frozenset({"AdminMatch", "Match", "OK"})


class Variant(StrEnum):
    """Which web interface the station speaks."""

    CGA = "cga"
    TG = "tg"


class _SessionExpiredError(Exception):
    """The modem no longer accepts the session (internal: triggers one new login)."""


class VodafoneStationModem(SingleSessionModem):
    """Reads a Vodafone Station of either variant."""

    base_headers: ClassVar[Mapping[str, str]] = {
        "User-Agent": "Mozilla/5.0",
        "X-Requested-With": "XMLHttpRequest",
    }

    def __init__(
        self,
        config: DriverConfig,
        *,
        variant: Variant | str | None = None,
        logout_after_poll: bool = True,
        request_timeout: float = REQUEST_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep the configuration; nothing is contacted before the first fetch."""
        super().__init__(
            config,
            DEFAULT_URL,
            logout_after_poll=logout_after_poll,
            request_timeout=request_timeout,
            clock=clock,
        )
        variant = variant or config.hints.get("variant")
        self.variant: Variant | None = Variant(variant) if variant in set(Variant) else None
        # The answer that told the variant apart, kept for the login right after.
        self._first_answer: tuple[int, bytes] | None = None

    def remember(self) -> dict[str, str]:
        """Keep the detected variant, so a restart logs in without probing first."""
        return {"variant": self.variant.value} if self.variant else {}

    # ------------------------------------------------------------------ flow

    async def _poll(self) -> Reading:
        if not self.config.password:
            raise ModemAuthError("a password is required")
        if self.variant is None:
            self.variant = await self._detect()
        for attempt in range(2):
            if not self.logged_in:
                await self._login()
            try:
                return await self._read()
            except _SessionExpiredError:
                self._forget_session()
                if attempt:
                    raise ModemConnectionError(
                        "the modem ended the session again right after a login"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _detect(self) -> Variant:
        """Tell the variants apart by the login page, else by the CGA login API."""
        status, body = await self._request("GET", "/")
        if status == 200 and parser.tg_login_parameters(_text(body)) is not None:
            self._first_answer = (status, body)  # the login starts from this very page
            return Variant.TG
        self._cookies["cwd"] = "No"
        status, body = await self._request("POST", CGA_LOGIN, data=self._cga_seek_form())
        self._first_answer = (status, body)  # the salts the login needs
        if status == 200:
            try:
                document = json.loads(body)
            except ValueError:
                document = None
            if isinstance(document, dict) and ("salt" in document or "error" in document):
                return Variant.CGA
        self._first_answer = None
        raise UnsupportedModemError("neither a CGA nor a TG Vodafone Station answered")

    async def _login(self) -> None:
        if self.variant is Variant.TG:
            await self._tg_login()
        else:
            await self._cga_login()

    async def _read(self) -> Reading:
        if self.variant is Variant.TG:
            downstream, upstream = self._parse(
                parser.parse_tg_docsis, await self._tg_page(TG_DOCSIS)
            )
            device = self._parse(parser.parse_tg_device, await self._tg_page(TG_DEVICE))
        else:
            downstream, upstream = self._parse(
                parser.parse_cga_docsis, await self._cga_get(CGA_DOCSIS)
            )
            device = self._parse(parser.parse_cga_device, await self._cga_get(CGA_DEVICE))
        return Reading(
            read_at=datetime.now(UTC), device=device, downstream=downstream, upstream=upstream
        )

    async def _logout(self) -> None:
        """Log out politely; a failing logout only drops the session locally."""
        if not self.logged_in:
            return
        path, header = (
            (TG_LOGOUT, "csrfNonce") if self.variant is Variant.TG else (CGA_LOGOUT, "X-CSRF-TOKEN")
        )
        with contextlib.suppress(ModemConnectionError, ModemLockedError):
            await self._request("POST", path, headers={header: self._token or ""})
        self._forget_session()

    def _take_first_answer(self) -> tuple[int, bytes] | None:
        answer, self._first_answer = self._first_answer, None
        return answer

    # ------------------------------------------------------------------ CGA

    def _cga_seek_form(self) -> dict[str, str]:
        return {
            "username": self.config.username or DEFAULT_USERNAME,
            "password": "seeksalthash",
            "logout": "true",
        }

    async def _cga_login(self) -> None:
        self._cookies["cwd"] = "No"
        salts = await self._cga_login_step(self._cga_seek_form(), self._take_first_answer())
        salt, saltwebui = salts.get("salt"), salts.get("saltwebui")
        if not isinstance(salt, str) or not isinstance(saltwebui, str):
            raise ModemParseError("the login answer has no salts")
        form = self._cga_seek_form()
        form["password"] = parser.cga_password_hash(self.config.password or "", salt, saltwebui)
        answer = await self._cga_login_step(form)
        data = answer.get("data")
        token = answer.get("token") or (data.get("token") if isinstance(data, dict) else None)
        if not isinstance(token, str) or not token:
            raise ModemParseError("the login answer has no CSRF token")
        self._token = token
        try:
            await self._cga_get(CGA_MENU)
        except _SessionExpiredError:
            self._forget_session()
            raise ModemAuthError("the modem dropped the session it had just opened") from None

    async def _cga_login_step(
        self, form: dict[str, str], response: tuple[int, bytes] | None = None
    ) -> dict[str, Any]:
        if response is None:
            response = await self._request("POST", CGA_LOGIN, data=form)
        status, body = response
        if status in (401, 403):
            raise ModemAuthError(f"login refused (HTTP {status})")
        if status != 200:
            raise UnsupportedModemError(f"no CGA login API (HTTP {status})")
        answer = _json_object(body)
        if answer.get("error") == "ok":
            return answer
        message = str(answer.get("message") or answer.get("error") or "")
        data = answer.get("data")
        wait = data.get("remainingTime") if isinstance(data, dict) else None
        if "lock" in message.lower() or isinstance(wait, int | float):
            raise self._locked(
                f"the modem locked logins: {message}",
                float(wait) if isinstance(wait, int | float) else None,
            )
        raise ModemAuthError(f"login refused: {message or 'wrong credentials'}")

    async def _cga_get(self, path: str) -> object:
        status, body = await self._request(
            "GET",
            path,
            headers={"X-CSRF-TOKEN": self._token or ""},
            params={"_": str(int(time.time() * 1000))},
        )
        if status in (302, 303, 401, 403):
            raise _SessionExpiredError
        if status != 200:
            raise UnsupportedModemError(f"{path}: HTTP {status}")
        # An answer with "error" other than "ok" reaches the parser, which
        # reports the modem's message.
        return read_json(body)

    # ------------------------------------------------------------------ TG

    async def _tg_login(self) -> None:
        first = self._take_first_answer()
        status, body = first if first is not None else await self._request("GET", "/")
        params = parser.tg_login_parameters(_text(body)) if status == 200 else None
        if params is None:
            raise ModemParseError("the login page has no session parameters")
        session_id, iv_hex, salt_hex = params
        password = self.config.password or ""
        username = self.config.username or DEFAULT_USERNAME
        try:
            key = parser.tg_login_key(password, salt_hex)
            payload = parser.tg_login_payload(username, password, session_id, iv_hex, salt_hex)
        except ValueError as err:
            raise ModemParseError(f"unusable login parameters: {err}") from err
        status, body = await self._request("POST", TG_PASSWORD, json_body=payload)
        if status != 200:
            raise ModemConnectionError(f"login: HTTP {status}")
        answer = _json_object(body)
        result = answer.get("p_status")
        if result == "Lockout":
            wait = _float_or_none(answer.get("p_waitTime"))
            raise self._locked("the modem locked logins", wait)
        if result == "Fail":
            raise ModemAuthError("wrong password")
        if result not in TG_SUCCESS:
            raise ModemParseError(f"unknown login result {result!r}")
        try:
            nonce = parser.tg_csrf_nonce(str(answer.get("encryptData") or ""), key, iv_hex)
        except ValueError as err:
            raise ModemParseError(f"cannot read the CSRF nonce: {err}") from err
        self._token = nonce
        status, _ = await self._request("POST", TG_SESSION, headers={"csrfNonce": nonce})
        if status != 200:
            self._forget_session()
            raise ModemAuthError(f"the modem refused the session (HTTP {status})")
        status, body = await self._request("GET", TG_SCRIPT, headers={"csrfNonce": nonce})
        if status != 200:
            self._forget_session()
            raise ModemParseError(f"{TG_SCRIPT}: HTTP {status}")
        try:
            self._cookies["credential"] = parser.tg_credential_cookie(_text(body))
        except ValueError as err:
            self._forget_session()
            raise ModemParseError(str(err)) from err

    async def _tg_page(self, path: str) -> str:
        status, body = await self._request("GET", path, headers={"csrfNonce": self._token or ""})
        if status in (302, 303, 401, 403):
            raise _SessionExpiredError
        if status != 200:
            raise UnsupportedModemError(f"{path}: HTTP {status}")
        page = _text(body)
        if parser.tg_login_parameters(page) is not None:  # the login page instead of data
            raise _SessionExpiredError
        return page


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _json_object(body: bytes) -> dict[str, Any]:
    document = read_json(body)
    if not isinstance(document, dict):
        raise ModemParseError("the answer is not a JSON object")
    return document


def _float_or_none(value: object) -> float | None:
    try:
        return float(value) if isinstance(value, int | float | str) and value != "" else None
    except ValueError:
        return None
