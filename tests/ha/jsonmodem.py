"""A real HTTP server that plays a modem of the ``json_http`` type.

It serves a reading of the built-in demo modem in the documented JSON form on
127.0.0.1 (a free port), and can be switched into the ways a real endpoint
fails: wrong credentials (401), a login lockout (429), a server error (500), a
page that is not JSON, JSON that is not a reading, or another modem answering
(a different serial).  Tests that use it must request ``socket_enabled`` (the
``json_modem`` fixture does so), since Home Assistant's test plugin blocks
sockets otherwise.

Use it in a test module with ``from .jsonmodem import json_modem_fixture  # noqa: F401``
and a ``json_modem`` argument.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from aiohttp import BasicAuth, hdrs, web
import pytest

from custom_components.docsight.docsis.analyzer import analyze
from custom_components.docsight.docsis.drivers import DemoModem, DriverConfig
from custom_components.docsight.docsis.model import Reading
from custom_components.docsight.docsis.serialize import analysis_to_json
from tests.sim.loopback import LoopbackServer

PATH = "/docsight/reading.json"
# A weekday noon: the demo line is good at this moment.
READ_AT = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)
SEED = 4242


class Mode(StrEnum):
    """What the simulated endpoint answers (after the credentials check)."""

    OK = "ok"
    LOCKED = "locked"  # 429, whatever the credentials
    SERVER_ERROR = "server_error"  # 500
    GARBAGE = "garbage"  # 200 with an HTML page
    LATIN1_PAGE = "latin1_page"  # 200 with an HTML page in ISO-8859-1, no charset named
    NOT_A_READING = "not_a_reading"  # 200 with JSON that is no reading


class JsonModemSimulator(LoopbackServer):
    """An aiohttp application serving one demo reading, with switchable failures."""

    def __init__(self, seed: int = SEED, when: datetime = READ_AT) -> None:
        """Build the reading once; the server starts with :meth:`start`."""
        self.reading: Reading = DemoModem(DriverConfig(seed=seed)).read(when)
        self.mode = Mode.OK
        self.username: str | None = None
        self.password: str | None = None
        self.serial: str | None = self.reading.device.serial
        self.requests = 0
        app = web.Application()
        app.router.add_get(PATH, self._handle)
        self.serve(app)

    @property
    def url(self) -> str:
        """Return the address of the reading."""
        return str(self._server.make_url(PATH))

    @property
    def base_url(self) -> str:
        """Return the address of the server root (serves 404 only)."""
        return str(self._server.make_url("/"))

    def require_auth(self, username: str, password: str) -> None:
        """Answer 401 unless the request carries these Basic credentials."""
        self.username = username
        self.password = password

    def payload(self) -> dict[str, Any]:
        """Return the JSON document a good poll gets (with the current serial)."""
        document = analysis_to_json(analyze(self.reading), modem="simulator")
        document["device"]["serial"] = self.serial
        return document

    def _authorized(self, request: web.Request) -> bool:
        if self.username is None:
            return True
        header = request.headers.get(hdrs.AUTHORIZATION)
        if not header:
            return False
        try:
            auth = BasicAuth.decode(header, encoding="utf-8")  # RFC 7617 charset
        except ValueError:
            return False
        return auth.login == self.username and auth.password == (self.password or "")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if self.mode is Mode.LOCKED:
            return web.Response(status=429, text="Too many failed logins")
        if not self._authorized(request):
            return web.Response(
                status=401,
                text="Unauthorized",
                headers={hdrs.WWW_AUTHENTICATE: 'Basic realm="modem"'},
            )
        if self.mode is Mode.SERVER_ERROR:
            return web.Response(status=500, text="Internal Server Error")
        if self.mode is Mode.GARBAGE:
            return web.Response(
                text="<html><body>Router login</body></html>", content_type="text/html"
            )
        if self.mode is Mode.LATIN1_PAGE:
            return web.Response(
                body="<html><body>Passwort für den Router</body></html>".encode("latin-1"),
                content_type="text/html",
            )
        if self.mode is Mode.NOT_A_READING:
            return web.json_response({"status": "ok", "uptime": 12345})
        return web.json_response(self.payload())


@pytest.fixture(name="json_modem")
async def json_modem_fixture(socket_enabled: None) -> AsyncGenerator[JsonModemSimulator]:
    """A running simulator; it keeps running until the test (and ``hass``) is done."""
    simulator = JsonModemSimulator()
    await simulator.start()
    yield simulator
    await simulator.close()
