"""Technicolor TC4400 driver: SNMP or the web status page, whichever answers.

The TC4400 can be read two ways:

* **SNMP v2c** (the standard DOCSIS MIBs, see
  :mod:`..parsers.technicolor_tc4400`): quick, and the only way to get the
  OFDM codeword counters per profile.  The community is ``public`` unless the
  URL says otherwise: ``snmp://<community>@192.168.100.1[:port]`` (RFC 4088's
  form).  The password field is *not* used as the community: it is the web
  password, which the fallback needs.
* **The web status page**, behind HTTP Basic auth (user ``admin`` unless
  configured): ``GET /cmswinfo.html`` (device details; also the login check)
  and ``GET /cmconnectionstatus.html`` (the channel tables).  The modem can
  take about 20 s to answer, so the timeout is 30 s.

Which one works differs per modem (firmware, provider lock-down), so the
driver tries the one that worked last time first (``config.hints
["transport"]``, kept through :meth:`remember`), SNMP first on a modem it has
never read, and falls back to the other on failure.  When both fail the more
telling error wins: refused credentials over an unreadable answer over "not a
TC4400" over "no answer", and its message names both failures.

The address: ``http://host[:port]`` means the web page there and SNMP on
``host:161``; ``snmp://[community@]host[:port]`` means SNMP there and the web
page on ``http://host``.

Transport only: parsing is done by :mod:`..parsers.technicolor_tc4400`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import logging
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote, urlsplit

import aiohttp

from ..model import DeviceInfo, Reading
from ..parsers.technicolor_tc4400 import (
    DEFAULT_MODEL,
    MANUFACTURER,
    SCALARS,
    WALK_GROUPS,
    TC4400Status,
    has_docsis_tables,
    is_status_page,
    parse_connection_status,
    parse_snmp,
    parse_software_info,
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
from .snmp import (
    DEFAULT_COMMUNITY,
    DEFAULT_PORT,
    DEFAULT_RETRIES,
    BlockingRunner,
    SnmpClient,
    SnmpValues,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "http://192.168.100.1"
DEFAULT_USERNAME = "admin"
# The modem can take about 20 s for the status page.  25 s per page keeps a
# worst-case poll (4 s of unanswered SNMP, then both pages) inside the
# coordinator's 60 s, so a slow modem fails with its own error, not a timeout.
WEB_TIMEOUT = 25.0
SNMP_TIMEOUT = 2.0
STATUS_PATH = "/cmconnectionstatus.html"
INFO_PATH = "/cmswinfo.html"

SNMP: Final = "snmp"
WEB: Final = "web"
TRANSPORTS: Final = (SNMP, WEB)
HINT_KEY: Final = "transport"

# When both transports fail, the first kind of error in this list is raised.
_PRECEDENCE: tuple[type[ModemError], ...] = (
    ModemAuthError,
    ModemLockedError,
    ModemParseError,
    UnsupportedModemError,
    ModemConnectionError,
)


def _rank(err: ModemError) -> int:
    return next(
        (i for i, kind in enumerate(_PRECEDENCE) if isinstance(err, kind)), len(_PRECEDENCE)
    )


class TechnicolorTC4400Modem(ModemDriver):
    """Technicolor TC4400 (DOCSIS 3.1) over SNMP, with the web page as fallback."""

    def __init__(
        self,
        config: DriverConfig,
        *,
        snmp_port: int | None = None,
        snmp_timeout: float = SNMP_TIMEOUT,
        snmp_retries: int = DEFAULT_RETRIES,
        web_timeout: float = WEB_TIMEOUT,
        run_blocking: BlockingRunner | None = None,
    ) -> None:
        """Work out both addresses; nothing is sent or created before the first fetch.

        ``run_blocking`` runs the SNMP engine's (blocking) creation; by default
        the loop's default executor.  ``snmp_port`` overrides the port of
        either URL form.
        """
        super().__init__(config)
        url = urlsplit(config.url or DEFAULT_URL)
        host = url.hostname or urlsplit(DEFAULT_URL).hostname or ""
        community = DEFAULT_COMMUNITY
        if url.scheme.lower() == SNMP:
            self._web_url = f"http://{host}" if ":" not in host else f"http://[{host}]"
            port = url.port or DEFAULT_PORT
            if url.username:
                community = unquote(url.username)
        else:
            self._web_url = (config.url or DEFAULT_URL).rstrip("/")
            port = DEFAULT_PORT
        self._snmp = SnmpClient(
            host,
            snmp_port or port,
            community,
            timeout=snmp_timeout,
            retries=snmp_retries,
            run_blocking=run_blocking,
        )
        self._web_timeout = aiohttp.ClientTimeout(total=web_timeout)
        hinted = config.hints.get(HINT_KEY)
        self.transport: str | None = hinted if hinted in TRANSPORTS else None
        self._lock = asyncio.Lock()

    @property
    def snmp(self) -> SnmpClient:
        """Return the SNMP client (its address, and whether it holds an engine)."""
        return self._snmp

    @property
    def web_url(self) -> str:
        """Return the base address of the web interface."""
        return self._web_url

    def remember(self) -> dict[str, str]:
        """Keep the transport that worked, so the next start tries it first."""
        return {HINT_KEY: self.transport} if self.transport else {}

    async def async_fetch(self) -> Reading:
        """Read the modem over the transport that worked last, else the other."""
        async with self._lock:
            order = [self.transport or SNMP]
            order += [transport for transport in TRANSPORTS if transport not in order]
            readers: dict[str, Callable[[], Awaitable[TC4400Status]]] = {
                SNMP: self._read_snmp,
                WEB: self._read_web,
            }
            failures: list[tuple[str, ModemError]] = []
            for transport in order:
                try:
                    status = await readers[transport]()
                except ModemError as err:
                    _LOGGER.debug("TC4400 over %s failed: %s", transport, err)
                    failures.append((transport, err))
                    continue
                if self.transport != transport:
                    _LOGGER.debug("TC4400 read over %s", transport)
                self.transport = transport
                return Reading(
                    read_at=datetime.now(UTC),
                    device=status.device,
                    downstream=status.downstream,
                    upstream=status.upstream,
                )
            raise self._combined(failures)

    async def async_close(self) -> None:
        """Release the SNMP engine (its UDP transport and timer)."""
        async with self._lock:
            await self._snmp.async_close()

    @staticmethod
    def _combined(failures: list[tuple[str, ModemError]]) -> ModemError:
        """Return the most telling error, with every transport's failure in its message."""
        _transport, worst = min(failures, key=lambda failure: _rank(failure[1]))
        message = "; ".join(f"{name}: {err}" for name, err in failures)
        combined = type(worst)(message)
        combined.__cause__ = worst
        return combined

    # --- SNMP ----------------------------------------------------------------

    async def _read_snmp(self) -> TC4400Status:
        # The scalars first: a modem without SNMP fails here, after one timeout.
        values: SnmpValues = await self._snmp.get(*SCALARS)
        for columns in WALK_GROUPS:
            values.update(await self._snmp.walk(columns))
        if not has_docsis_tables(values):
            raise UnsupportedModemError(
                f"the SNMP agent at {self._snmp.address} has no DOCSIS channel tables"
            )
        try:
            return parse_snmp(values)
        except ValueError as err:
            raise ModemParseError(f"unreadable SNMP value: {err}") from err

    # --- web -----------------------------------------------------------------

    def _auth(self) -> aiohttp.BasicAuth:
        try:
            return aiohttp.BasicAuth(
                self.config.username or DEFAULT_USERNAME,
                self.config.password or "",
                encoding="utf-8",
            )
        except ValueError as err:  # a ":" in the user name
            raise ModemAuthError(f"unusable username: {err}") from err

    async def _get(self, session: aiohttp.ClientSession, path: str) -> str:
        try:
            async with session.get(
                f"{self._web_url}{path}", auth=self._auth(), timeout=self._web_timeout
            ) as response:
                status = response.status
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ModemConnectionError(f"{path}: {str(err) or type(err).__name__}") from err
        if status in (401, 403):
            raise ModemAuthError(f"HTTP {status} for {path}: the modem refused the login")
        if status == 404:
            raise UnsupportedModemError(f"HTTP 404 for {path}: not a TC4400")
        if status >= 400:
            raise ModemConnectionError(f"HTTP {status} for {path}")
        return body.decode("utf-8", errors="replace")

    async def _read_web(self) -> TC4400Status:
        session = self.config.session
        if session is None:
            raise ModemConnectionError("no HTTP session")
        # The software page first: it is small, and it is where a wrong password shows.
        info_page = await self._get(session, INFO_PATH)
        status_page = await self._get(session, STATUS_PATH)
        try:
            downstream, upstream = parse_connection_status(status_page)
        except ValueError as err:
            if not is_status_page(status_page):
                raise UnsupportedModemError(
                    f"{STATUS_PATH} has no channel tables: not a TC4400"
                ) from err
            raise ModemParseError(f"unreadable channel table: {err}") from err
        device = parse_software_info(info_page)
        if device.model is None:  # pragma: no cover - parse_software_info defaults it
            device = DeviceInfo(manufacturer=MANUFACTURER, model=DEFAULT_MODEL)
        return TC4400Status(device=device, downstream=downstream, upstream=upstream)
