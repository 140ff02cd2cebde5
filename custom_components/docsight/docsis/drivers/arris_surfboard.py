"""Arris SURFboard S33/S34/SB8200 driver: HNAP with an HTML fallback.

Current firmware serves a JSON HNAP API at ``/HNAP1/`` (HTTPS, self-signed,
old TLS settings); the login and the signing of each request are described in
:mod:`..parsers.arris_surfboard`.  What this driver adds is the behaviour
around it:

* The HMAC hash is SHA-256 on the S34 and MD5 on older firmware.  The first
  login tries SHA-256 and, if refused, MD5; the hash that worked is kept (and
  remembered for the next start), so later logins cost one attempt.
* ``GetMultipleHNAPs`` action names are ``GetCustomer…`` on Arris firmware and
  ``GetMoto…`` on firmware shared with Motorola.  The known namespace is asked
  first; an HTTP 500 or an answer without its channel table switches to the
  other one.
* The session (the ``uid`` and ``PrivateKey`` cookies) is kept across polls;
  an ``UN-AUTH`` answer (or HTTP 401/403) means it ended, and the driver logs
  in again once.
* ``RELOAD`` (the modem is busy) is retried after 5 s on the same session,
  then after 15 s on a fresh one; a third ``RELOAD`` fails the poll.
* A login answered with a lock result, or HTTP 429, is a lockout: the driver
  stays away for five minutes.

Older SB8200 firmware has no HNAP (``/HNAP1/`` answers 404).  Then the status
page is read instead: ``GET /cmconnectionstatus.html?login_<base64(user:pw)>``
answers a session token, and ``?ct_<token>`` the page with the channel tables
(firmware without a password serves the tables at once).

Transport only: parsing is in :mod:`..parsers.arris_surfboard` and, for the
status page, :mod:`..parsers.arris_cm8200`.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
import json
import logging
import ssl
import time
from typing import ClassVar

from ..model import DeviceInfo, Reading
from ..parsers.arris_cm8200 import (
    has_bonded_channels,
    model_from_page,
    parse_bonded_channels,
    parse_login_token,
)
from ..parsers.arris_surfboard import (
    ALGORITHMS,
    DEFAULT_MODEL,
    HNAP_PATH,
    MANUFACTURER,
    NAMESPACES,
    PRE_LOGIN_KEY,
    Algorithm,
    HnapStatus,
    detect_namespace,
    hnap_auth,
    login_password,
    login_result,
    multiple_result,
    parse_hnap_status,
    parse_login_challenge,
    private_key,
    soap_action,
    status_actions,
)
from .base import (
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemParseError,
    UnsupportedModemError,
)
from .session import REQUEST_TIMEOUT, SingleSessionModem, legacy_tls_context, read_json

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "https://192.168.100.1"
DEFAULT_USERNAME = "admin"
STATUS_PATH = "/cmconnectionstatus.html"
# Seconds to wait after the first and the second RELOAD answer.
RELOAD_DELAYS = (5.0, 15.0)

MODE_HNAP = "hnap"
MODE_HTML = "html"
_OK_RESULTS = ("OK", "SUCCESS")


class _NoHnapError(Exception):
    """``/HNAP1/`` does not exist on this firmware."""


class _ReloadError(Exception):
    """The modem answered RELOAD: it is busy and wants the request again later."""


class _SessionEndedError(Exception):
    """The modem no longer accepts the session's cookies."""


def _milliseconds() -> int:
    return time.time_ns() // 1_000_000


class ArrisSurfboardModem(SingleSessionModem):
    """Arris SURFboard S33/S34/SB8200 over HNAP, or its status page where HNAP is missing.

    Self-signed certificate over old TLS: its requests (only those) use a
    legacy context; the HTTP status is judged here.
    """

    tls_context: ClassVar[ssl.SSLContext | bool] = legacy_tls_context(1)
    send_referer: ClassVar[bool] = False

    def __init__(
        self,
        config: DriverConfig,
        *,
        timeout: float = REQUEST_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        reload_delays: Sequence[float] = RELOAD_DELAYS,
        milliseconds: Callable[[], int] = _milliseconds,
    ) -> None:
        """Keep the configuration; nothing is sent before the first fetch."""
        super().__init__(
            config, DEFAULT_URL, logout_after_poll=False, request_timeout=timeout, clock=clock
        )
        hints = config.hints
        self._mode = hints.get("mode") if hints.get("mode") in (MODE_HNAP, MODE_HTML) else None
        namespace = hints.get("namespace")
        self._namespace = namespace if namespace in NAMESPACES else None
        algorithm = hints.get("hash")
        self._algorithm: Algorithm | None = next(
            (known for known in ALGORITHMS if known == algorithm), None
        )
        self._reload_delays = tuple(reload_delays)
        self._milliseconds = milliseconds
        # The HNAP session: the PrivateKey that signs requests, and its hash.
        self._signing: tuple[str, Algorithm] | None = None

    def remember(self) -> dict[str, str]:
        """Keep the interface, namespace and hash that worked, to skip probing next time."""
        found = {"mode": self._mode, "namespace": self._namespace, "hash": self._algorithm}
        return {key: value for key, value in found.items() if value is not None}

    async def _poll(self) -> Reading:
        if self._mode != MODE_HTML:
            try:
                reading = await self._poll_hnap()
            except _NoHnapError:
                _LOGGER.debug("No HNAP on this SURFboard; reading its status page")
            else:
                self._mode = MODE_HNAP
                return reading
        reading = await self._poll_html()
        self._mode = MODE_HTML
        return reading

    async def _logout(self) -> None:
        """Nothing to send: the session is kept for the next poll."""

    def _forget_session(self) -> None:
        super()._forget_session()
        self._signing = None

    # --- HNAP ----------------------------------------------------------------------

    async def _poll_hnap(self) -> Reading:
        fresh = False
        reloads = 0
        while True:
            try:
                signing = self._signing
                if signing is None:
                    signing = await self._hnap_login()
                    fresh = True
                status = await self._get_status(*signing)
            except _ReloadError:
                if reloads >= len(self._reload_delays):
                    self._forget_session()
                    raise ModemConnectionError(
                        f"the modem is still busy (RELOAD) after {reloads} retries"
                    ) from None
                delay = self._reload_delays[reloads]
                reloads += 1
                _LOGGER.debug("The SURFboard answered RELOAD; retrying in %.0f s", delay)
                await asyncio.sleep(delay)
                if reloads > 1:  # the second retry starts a fresh session
                    self._forget_session()
                continue
            except _SessionEndedError:
                self._forget_session()
                if fresh:
                    raise ModemAuthError(
                        "the modem refused the session it had just opened"
                    ) from None
                _LOGGER.debug("The SURFboard session ended; logging in again")
                continue
            return Reading(
                read_at=datetime.now(UTC),
                device=status.device,
                downstream=status.downstream,
                upstream=status.upstream,
            )

    async def _hnap(
        self, action: str, body: Mapping[str, object], algorithm: Algorithm, key: str
    ) -> tuple[int, object]:
        """Send one signed HNAP call; return the HTTP status and the decoded answer."""
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "SOAPACTION": soap_action(action),
            "HNAP_AUTH": hnap_auth(algorithm, key, action, self._milliseconds()),
        }
        status, raw = await self._send("POST", HNAP_PATH, data=json.dumps(body), headers=headers)
        if status in (404, 405):
            raise _NoHnapError
        if status >= 400:
            return status, None
        return status, read_json(raw)

    async def _hnap_login(self) -> tuple[str, Algorithm]:
        """Log in, trying SHA-256 and then MD5 unless the hash is already known."""
        for algorithm in (self._algorithm,) if self._algorithm else ALGORITHMS:
            result = await self._login_with(algorithm)
            if result in _OK_RESULTS and self._signing is not None:
                self._algorithm = algorithm
                _LOGGER.debug("Logged in to the SURFboard (HMAC-%s)", algorithm.upper())
                return self._signing
            if "LOCK" in result:
                raise self._locked(f"the modem locked logins ({result})", None)
            if result == "RELOAD":
                raise _ReloadError
            _LOGGER.debug("The SURFboard refused the HMAC-%s login (%s)", algorithm, result)
        raise ModemAuthError("the modem refused the user name or password")

    async def _login_with(self, algorithm: Algorithm) -> str:
        """Run both login steps with one hash; return the modem's LoginResult."""
        self._forget_session()
        user = self.config.username or DEFAULT_USERNAME
        request = {"Username": user, "Captcha": "", "PrivateLogin": "LoginPassword"}
        status, document = await self._hnap(
            "Login",
            {"Login": {"Action": "request", "LoginPassword": "", **request}},
            algorithm,
            PRE_LOGIN_KEY,
        )
        self._check_login_status(status)
        result = self._parse(login_result, document)
        if result not in _OK_RESULTS:
            return result
        challenge = self._parse(parse_login_challenge, document)
        key = private_key(
            algorithm, challenge.public_key, self.config.password or "", challenge.challenge
        )
        self._cookies.update({"uid": challenge.cookie, "PrivateKey": key})
        status, document = await self._hnap(
            "Login",
            {
                "Login": {
                    "Action": "login",
                    "LoginPassword": login_password(algorithm, key, challenge.challenge),
                    **request,
                }
            },
            algorithm,
            key,
        )
        self._check_login_status(status)
        result = self._parse(login_result, document)
        if result in _OK_RESULTS:
            self._token = key
            self._signing = (key, algorithm)
        else:
            self._forget_session()
        return result

    def _check_login_status(self, status: int) -> None:
        if status in (401, 403):
            raise ModemAuthError(f"the modem refused the login (HTTP {status})")
        if status >= 400:
            raise ModemConnectionError(f"HTTP {status} for the HNAP login")

    async def _get_status(self, key: str, algorithm: Algorithm) -> HnapStatus:
        """Ask for the channel tables, in the known namespace first, then the other."""
        order = sorted(NAMESPACES, key=lambda namespace: namespace != self._namespace)
        last_status = 200
        answered = False
        for namespace in order:
            actions = dict.fromkeys(status_actions(namespace), "")
            status, document = await self._hnap(
                "GetMultipleHNAPs", {"GetMultipleHNAPs": actions}, algorithm, key
            )
            result = multiple_result(document)
            if status in (401, 403) or result == "UN-AUTH":
                raise _SessionEndedError
            if result == "RELOAD":
                raise _ReloadError
            if status >= 400:
                _LOGGER.debug("HTTP %s for the %s status actions", status, namespace)
                last_status = status
                continue
            answered = True
            if detect_namespace(document) == namespace:
                self._namespace = namespace
                return self._parse(partial(parse_hnap_status, namespace=namespace), document)
        if not answered:
            raise ModemConnectionError(f"HTTP {last_status} for GetMultipleHNAPs")
        raise ModemParseError("the modem answered neither the Customer nor the Moto status actions")

    # --- status page ----------------------------------------------------------------

    async def _poll_html(self) -> Reading:
        if self._token is not None:
            page = await self._get_page(f"{STATUS_PATH}?ct_{self._token}")
            if has_bonded_channels(page):
                return self._html_reading(page)
            _LOGGER.debug("The SURFboard status page session ended; logging in again")
            self._forget_session()
        user = self.config.username or DEFAULT_USERNAME
        credentials = base64.b64encode(f"{user}:{self.config.password or ''}".encode()).decode()
        answer = await self._get_page(f"{STATUS_PATH}?login_{credentials}")
        if has_bonded_channels(answer):  # firmware without a password
            return self._html_reading(answer)
        token = parse_login_token(answer)
        if token is None:
            raise ModemAuthError("the modem refused the user name or password")
        page = await self._get_page(f"{STATUS_PATH}?ct_{token}")
        if not has_bonded_channels(page):
            raise ModemAuthError("the modem did not accept its own session token")
        self._token = token
        return self._html_reading(page)

    async def _get_page(self, path: str) -> str:
        status, body = await self._send("GET", path)
        if status == 404:
            raise UnsupportedModemError(f"HTTP 404 for {STATUS_PATH}: not an Arris SURFboard")
        if status in (401, 403):
            raise ModemAuthError(f"HTTP {status} for {STATUS_PATH}")
        if status >= 400:
            raise ModemConnectionError(f"HTTP {status} for {STATUS_PATH}")
        return body.decode("utf-8", errors="replace")

    def _html_reading(self, page: str) -> Reading:
        downstream, upstream = self._parse(parse_bonded_channels, page)
        return Reading(
            read_at=datetime.now(UTC),
            device=DeviceInfo(
                manufacturer=MANUFACTURER, model=model_from_page(page) or DEFAULT_MODEL
            ),
            downstream=downstream,
            upstream=upstream,
        )
