"""SNMP v2c reads for modem drivers, on pysnmp 7's asyncio API.

Cable modems publish their channel tables in standard MIBs (DOCS-IF-MIB,
DOCS-IF3-MIB, DOCS-IF31-MIB), so a driver only needs two operations: GET a
few scalars and walk a few table columns.  :class:`SnmpClient` does both and
hands back plain Python values keyed by numeric OID; parsing stays in the
pure parsers.  OIDs are numeric throughout: nothing is resolved against
compiled MIBs at run time.

Two things make pysnmp awkward in an event loop, and this module owns both:

* Importing pysnmp, creating an ``SnmpEngine`` and the MIB view its requests
  go through all read from disk (pysnmp's modules and its own MIB modules).
  That blocking I/O is done once, in an executor (``run_blocking``, by
  default the loop's default executor), and both MIB builders are filled
  completely there, so that no request loads a module in the loop later, and
  importing this module costs nothing until SNMP is used.
* The engine opens a UDP transport and a timer task on its first request.
  :meth:`SnmpClient.async_close` closes the dispatcher and waits for the
  cancelled timer task, so nothing is left running after a driver is closed.

Agents do not answer a wrong community at all, so a wrong community and a
switched-off agent look the same: no answer within the timeout.  The error
says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
import logging
from typing import TYPE_CHECKING, Any

from .base import ModemConnectionError, ModemParseError

if TYPE_CHECKING:
    from pysnmp.hlapi.v3arch.asyncio import (  # type: ignore[import-untyped]
        SnmpEngine,
        UdpTransportTarget,
    )
    from pysnmp.proto.errind import ErrorIndication  # type: ignore[import-untyped]

_LOGGER = logging.getLogger(__name__)

type Oid = tuple[int, ...]
# Counters, gauges, integers and time ticks become int, strings bytes, OIDs str.
type SnmpValue = int | bytes | str
type SnmpValues = dict[Oid, SnmpValue]
type BlockingRunner = Callable[[Callable[[], SnmpEngine]], Awaitable[SnmpEngine]]

DEFAULT_PORT = 161
DEFAULT_COMMUNITY = "public"
DEFAULT_TIMEOUT = 2.0
DEFAULT_RETRIES = 1
# Variable bindings asked for per GETBULK: small agents (and snmpsim by
# default) cap a response at 64, and a modem's UDP stack likes small packets.
MAX_VARBINDS = 60
# A column longer than this is not a modem's channel table: stop walking.
MAX_ROWS = 512


def oid(text: str) -> Oid:
    """Turn "1.3.6.1.2.1.1.1.0" into a tuple of ints."""
    return tuple(int(part) for part in text.strip(".").split("."))


def _create_engine() -> SnmpEngine:
    """Build an engine with every MIB module it will need already loaded (blocking I/O).

    pysnmp itself is imported here too, in the executor: importing it costs
    about half a second of disk reads that neither the event loop nor a
    command line that never talks SNMP should pay.  Once this has run, the
    imports inside the request methods are dictionary look-ups.
    """
    from pysnmp.hlapi.v3arch.asyncio import SnmpEngine  # noqa: PLC0415
    from pysnmp.hlapi.varbinds import (  # type: ignore[import-untyped]  # noqa: PLC0415
        CommandGeneratorVarBinds,
    )

    engine = SnmpEngine()
    # The engine's own builder (read when a target is configured) ...
    engine.get_mib_builder().load_modules()
    # ... and the view the command generator resolves every var-bind through.
    view = CommandGeneratorVarBinds.get_mib_view_controller(engine.cache)
    view.mibBuilder.load_modules()
    return engine


async def _in_default_executor(fn: Callable[[], SnmpEngine]) -> SnmpEngine:
    return await asyncio.get_running_loop().run_in_executor(None, fn)


def _convert(value: Any) -> SnmpValue | None:
    """Return a var-bind's value as plain Python; None for "nothing here"."""
    from pyasn1.type import univ  # type: ignore[import-untyped]  # noqa: PLC0415 - see _create_engine

    if isinstance(value, univ.Null):  # also noSuchObject, noSuchInstance, endOfMibView
        return None
    if isinstance(value, univ.OctetString):  # also IpAddress and Opaque
        return bytes(value.asOctets())
    if isinstance(value, univ.ObjectIdentifier):
        return ".".join(str(part) for part in value)
    if isinstance(value, univ.Integer):  # Integer32, Counter32/64, Gauge32, TimeTicks
        return int(value)
    _LOGGER.debug("Ignoring an SNMP value of type %s", type(value).__name__)  # pragma: no cover
    return None  # pragma: no cover


class SnmpClient:
    """Reads one SNMP v2c agent; the engine is created on first use."""

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        community: str = DEFAULT_COMMUNITY,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        run_blocking: BlockingRunner | None = None,
    ) -> None:
        """Keep the address; nothing is created or sent before the first request."""
        self.host = host
        self.port = port
        self._community = community
        self._timeout = timeout
        self._retries = retries
        self._run_blocking = run_blocking or _in_default_executor
        self._engine: SnmpEngine | None = None
        self._target: UdpTransportTarget | None = None
        self._lock = asyncio.Lock()

    @property
    def address(self) -> str:
        """Return "host:port" for messages."""
        return f"{self.host}:{self.port}"

    @property
    def engine_created(self) -> bool:
        """Return whether an engine is held (for tests of the cleanup)."""
        return self._engine is not None

    async def _ensure(self) -> tuple[SnmpEngine, UdpTransportTarget]:
        async with self._lock:
            if self._engine is None:
                self._engine = await self._run_blocking(_create_engine)
            if self._target is None:
                from pysnmp.hlapi.v3arch.asyncio import UdpTransportTarget  # noqa: PLC0415

                try:
                    self._target = await UdpTransportTarget.create(
                        (self.host, self.port), timeout=self._timeout, retries=self._retries
                    )
                except Exception as err:  # PySnmpError: unresolvable name, or an IPv6 address
                    raise ModemConnectionError(
                        f"SNMP: unusable address {self.host}: {err}"
                    ) from err
            return self._engine, self._target

    def _no_answer(self) -> ModemConnectionError:
        return ModemConnectionError(
            f"no SNMP answer from {self.address} within {self._timeout * (self._retries + 1):g} s "
            "(SNMP switched off, or a wrong community)"
        )

    def _check(self, indication: ErrorIndication | None, status: Any, what: str) -> None:
        if indication is not None:
            if "timeout" in str(indication).lower():
                raise self._no_answer()
            # pysnmp reports other indications for local misconfiguration only.
            raise ModemConnectionError(  # pragma: no cover
                f"SNMP {what} from {self.address}: {indication}"
            )
        if status and int(status) != 0:
            raise ModemConnectionError(
                f"SNMP {what} from {self.address}: agent error {status.prettyPrint()}"
            )

    async def _request[T](self, request: Awaitable[T]) -> T:
        """Bound one request in time: pysnmp's own timer is the first line, this the last."""
        budget = self._timeout * (self._retries + 1) + 2.0
        try:
            async with asyncio.timeout(budget):
                return await request
        except TimeoutError as err:  # pragma: no cover - pysnmp's timer fires first
            raise self._no_answer() from err

    async def get(self, *oids: Oid) -> SnmpValues:
        """GET scalars; objects the agent does not have are left out."""
        engine, target = await self._ensure()
        from pysnmp.hlapi.v3arch.asyncio import (  # noqa: PLC0415 - loaded by _ensure
            CommunityData,
            ContextData,
            ObjectIdentity,
            ObjectType,
            get_cmd,
        )

        indication, status, _index, var_binds = await self._request(
            get_cmd(
                engine,
                CommunityData(self._community, mpModel=1),  # noqa: S508 - modems speak v2c only
                target,
                ContextData(),
                *(ObjectType(ObjectIdentity(name)) for name in oids),
                lookupMib=False,
            )
        )
        self._check(indication, status, "GET")
        values: SnmpValues = {}
        for name, value in var_binds:
            converted = _convert(value)
            if converted is not None:
                values[tuple(name)] = converted
        return values

    async def walk(self, columns: Sequence[Oid]) -> SnmpValues:
        """Walk table columns side by side with GETBULK until each leaves its subtree.

        The columns of one table have the same rows, so asking for them in one
        request walks the table row by row: ``len(columns)`` var-binds per
        repetition, as many repetitions as fit in :data:`MAX_VARBINDS`.
        """
        engine, target = await self._ensure()
        from pysnmp.hlapi.v3arch.asyncio import (  # noqa: PLC0415 - loaded by _ensure
            CommunityData,
            ContextData,
            ObjectIdentity,
            ObjectType,
            bulk_cmd,
        )
        from pysnmp.proto.rfc1905 import EndOfMibView  # type: ignore[import-untyped]  # noqa: PLC0415

        values: SnmpValues = {}
        cursors = {column: column for column in columns}  # column -> last OID seen
        rows = dict.fromkeys(columns, 0)
        while cursors:
            active = list(cursors)
            repetitions = max(1, MAX_VARBINDS // len(active))
            indication, status, _index, var_binds = await self._request(
                bulk_cmd(
                    engine,
                    CommunityData(self._community, mpModel=1),  # noqa: S508 - modems speak v2c only
                    target,
                    ContextData(),
                    0,
                    repetitions,
                    *(ObjectType(ObjectIdentity(cursors[column])) for column in active),
                    lookupMib=False,
                )
            )
            self._check(indication, status, "GETBULK")
            finished: set[Oid] = set()
            advanced: set[Oid] = set()
            for position, (name, value) in enumerate(var_binds):
                column = active[position % len(active)]
                if column in finished:
                    continue
                key = tuple(name)
                converted = _convert(value)
                if key[: len(column)] != column or isinstance(value, EndOfMibView):
                    finished.add(column)
                    continue
                if key <= cursors[column]:
                    raise ModemParseError(
                        f"SNMP agent {self.address} returned OIDs out of order in a walk"
                    )
                cursors[column] = key
                advanced.add(column)
                rows[column] += 1
                if rows[column] > MAX_ROWS:
                    raise ModemParseError(f"SNMP column {column} has more than {MAX_ROWS} rows")
                if converted is not None:
                    values[key] = converted
            for column in active:
                # A column that got nothing back (an empty response) is done too.
                if column in finished or column not in advanced:
                    del cursors[column]
        return values

    async def async_close(self) -> None:
        """Close the engine's transport and timer; the client can be used again later."""
        async with self._lock:
            engine, self._engine, self._target = self._engine, None, None
            if engine is None:
                return
            dispatcher = engine.transport_dispatcher
            timer = getattr(dispatcher, "loopingcall", None) if dispatcher else None
            engine.close_dispatcher()
            if isinstance(timer, asyncio.Future):
                # Cancelled by close_dispatcher; let it finish inside this loop.
                await asyncio.gather(timer, return_exceptions=True)
            # Let the closed UDP transport deliver connection_lost.
            await asyncio.sleep(0)
