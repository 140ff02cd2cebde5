"""Session discipline shared by modems that allow one web session at a time.

Such modems (the Vodafone Station, the Ultra Hub 7) end or refuse a second
session, and lock their login after a few failures.  So a driver for them
holds one lock per modem address (two drivers for the same modem, say the
config flow's test and the coordinator, take turns), remembers a lockout and
does not touch the modem again until it is over, and by default logs out
after every poll so that the user can still use the modem's web page.

Their web apps also share a transport: the driver keeps the session cookies
itself (the shared session's cookie jar ignores cookies of IP-address
hosts), never follows redirects (a redirect is how a lost session shows),
and treats HTTP 429 as a lockout.  Subclasses provide the poll, the logout,
the headers their web app sends and, for modems that sign their own
certificate over old TLS (the Arris ones), a TLS context of their own.
"""

from __future__ import annotations

from abc import abstractmethod
import asyncio
from collections.abc import Callable, Mapping
import json
import ssl
import time
from typing import TYPE_CHECKING, Any, ClassVar
import weakref

import aiohttp

from .base import (
    DriverConfig,
    ModemConnectionError,
    ModemDriver,
    ModemLockedError,
    ModemParseError,
)

if TYPE_CHECKING:
    from ..model import Reading

# Seconds to stay away after a lockout the modem did not put a number on,
# and the bounds put on the numbers it gives.
LOCKOUT_BACKOFF = 300.0
MIN_LOCKOUT_BACKOFF = 30.0
MAX_LOCKOUT_BACKOFF = 3600.0
# Seconds one request may take.
REQUEST_TIMEOUT = 20.0

_ADDRESS_LOCKS: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def address_lock(base_url: str) -> asyncio.Lock:
    """Return the lock every driver for this modem address shares."""
    lock = _ADDRESS_LOCKS.get(base_url)
    if lock is None:
        lock = asyncio.Lock()
        _ADDRESS_LOCKS[base_url] = lock
    return lock


class SingleSessionModem(ModemDriver):
    """A driver for a modem with one web session at a time and a login lockout."""

    # How the messages name the device ("modem", "hub").
    device_noun: ClassVar[str] = "modem"
    # Headers the modem's web app sends with every request.
    base_headers: ClassVar[Mapping[str, str]] = {}
    # Whether requests name the start page as their referrer (the Vodafone
    # web apps check it; the Arris ones do not send one).
    send_referer: ClassVar[bool] = True
    # TLS for this driver's requests only, never for the shared session:
    # True verifies as usual; see legacy_tls_context for self-signing modems.
    tls_context: ClassVar[ssl.SSLContext | bool] = True

    def __init__(
        self,
        config: DriverConfig,
        default_url: str,
        *,
        logout_after_poll: bool = True,
        request_timeout: float = REQUEST_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep the configuration; nothing is contacted before the first fetch."""
        super().__init__(config)
        self._base = (config.url or default_url).rstrip("/")
        self.logout_after_poll = logout_after_poll
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._clock = clock
        self._lock = address_lock(self._base)
        self._locked_until: float | None = None
        self._cookies: dict[str, str] = {}
        self._token: str | None = None  # the session's CSRF token or nonce

    @property
    def logged_in(self) -> bool:
        """Return whether the driver holds a session the modem accepted."""
        return self._token is not None

    async def async_fetch(self) -> Reading:
        """Log in (once, whatever runs concurrently), read, and log out."""
        async with self._lock:
            self._check_lockout()
            try:
                return await self._poll()
            finally:
                if self.logout_after_poll:
                    await self._logout()

    async def async_close(self) -> None:
        """Log out if a session is open."""
        async with self._lock:
            await self._logout()

    def _check_lockout(self) -> None:
        if self._locked_until is None:
            return
        remaining = self._locked_until - self._clock()
        if remaining > 0:
            raise ModemLockedError(
                f"the {self.device_noun} locked logins; not trying again for {remaining:.0f} s"
            )
        self._locked_until = None

    def _locked(self, message: str, wait: float | None) -> ModemLockedError:
        """Remember a lockout and return the error to raise."""
        seconds = LOCKOUT_BACKOFF if wait is None else wait
        seconds = min(max(seconds, MIN_LOCKOUT_BACKOFF), MAX_LOCKOUT_BACKOFF)
        self._locked_until = self._clock() + seconds
        self._forget_session()
        return ModemLockedError(f"{message} (backing off for {seconds:.0f} s)")

    @abstractmethod
    async def _poll(self) -> Reading:
        """Log in if needed and read the modem (the lock is held)."""

    @abstractmethod
    async def _logout(self) -> None:
        """End the session, if one is open (the lock is held)."""

    def _forget_session(self) -> None:
        """Drop what identifies the session, without telling the modem."""
        self._token = None
        self._cookies.clear()

    @staticmethod
    def _parse[T](parse: Callable[[Any], T], raw: object) -> T:
        """Run a parser; its ValueError becomes the ModemParseError callers expect."""
        try:
            return parse(raw)
        except ValueError as err:
            raise ModemParseError(str(err)) from err

    async def _send(
        self,
        method: str,
        path: str,
        *,
        data: str | Mapping[str, str] | None = None,
        json_body: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """Send one request with the session's cookies; return the status and body.

        A ``Cookie`` header the caller gives is sent as it is.  Only HTTP 429
        is judged here (a lockout); every other status is the caller's.
        """
        session = self.config.session
        if session is None:
            raise ModemConnectionError("no HTTP session")
        all_headers = {**self.base_headers}
        if self.send_referer:
            all_headers["Referer"] = f"{self._base}/"
        all_headers.update(headers or {})
        if self._cookies and "Cookie" not in all_headers:
            all_headers["Cookie"] = "; ".join(
                f"{name}={value}" for name, value in self._cookies.items()
            )
        try:
            async with session.request(
                method,
                f"{self._base}{path}",
                data=data,
                json=json_body,
                headers=all_headers,
                params=params,
                timeout=self._timeout,
                allow_redirects=False,
                ssl=self.tls_context,
            ) as response:
                body = await response.read()
                for name, morsel in response.cookies.items():
                    self._cookies[name] = morsel.value
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as err:
            # Without the query: some logins carry the credentials there.
            raise ModemConnectionError(
                f"{_without_query(path)}: {str(err) or type(err).__name__}"
            ) from err
        if status == 429:
            raise self._locked(f"the {self.device_noun} refuses requests (HTTP 429)", None)
        return status, body

    async def _request(
        self,
        method: str,
        path: str,
        *,
        data: Mapping[str, str] | None = None,
        json_body: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """Like :meth:`_send`, with a server error (5xx) raised as a connection error."""
        status, body = await self._send(
            method, path, data=data, json_body=json_body, headers=headers, params=params
        )
        if status >= 500:
            raise ModemConnectionError(f"{_without_query(path)}: HTTP {status}")
        return status, body


def _without_query(path: str) -> str:
    return path.split("?", maxsplit=1)[0]


def legacy_tls_context(security_level: int) -> ssl.SSLContext:
    """Return a client TLS context for modems with self-signed certificates and old ciphers.

    Verification is off because the modem has only its own self-signed
    certificate (which names no host); the context is used for this modem's
    requests only, never for the shared session.  Building it loads no
    certificates, so it is cheap and does no file I/O.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers(f"DEFAULT:@SECLEVEL={security_level}")
    context.options |= ssl.OP_LEGACY_SERVER_CONNECT
    return context


def read_json(body: bytes) -> object:
    """Parse a JSON answer; anything else is a ModemParseError."""
    try:
        return json.loads(body)
    except ValueError as err:  # UnicodeDecodeError is a ValueError too
        raise ModemParseError(f"not JSON: {err}") from err
