"""A real HTTP(S) server on 127.0.0.1 that plays an Arris CM8200A.

It speaks the modem's login as the driver must (its own decoding, not the
driver's code):

* ``GET /cmconnectionstatus.html?<base64(user:password)>`` answers a fresh
  alphanumeric token for the right credentials and the login page for wrong
  ones; after ``lock_after`` wrong ones the login locks (correct credentials
  are refused too) until :meth:`unlock`;
* ``GET /cmconnectionstatus.html`` serves the channel tables to a request
  whose cookie header carries ``credential=<a live token>``, else the login
  page;
* ``GET /Admin_Login_Lock.txt`` says "Locked" or "Unlocked".

The status page is a small synthetic one unless ``status_page`` is given (the
tests pass the captured page).  With ``tls=True`` the server speaks HTTPS with
a self-signed certificate made on the spot, as the real modem does.

Knobs: ``statuses`` (answer a path with this HTTP status), ``delay`` (answer
late), ``not_arris`` (another device answers), ``login_status`` (answer the
login with this HTTP status), ``forget_login`` (a session ends right after its
login), :meth:`expire` (the modem drops its sessions).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import AsyncGenerator
import secrets

from aiohttp import web
import pytest

from tests.sim.loopback import LoopbackServer

USERNAME = "admin"
PASSWORD = "cm8200-Secret"
STATUS = "/cmconnectionstatus.html"
LOCK = "/Admin_Login_Lock.txt"

LOGIN_PAGE = """<html><head><title>Login</title></head><body>
<span id="thisModelNumberIs">CM8200A</span>
<form><input type="text" id="username"><input type="password" id="password">
<input type="button" value="Login"></form></body></html>"""

STATUS_PAGE = """<html><body>
<span id="thisModelNumberIs">CM8200A</span>
<table class="simpleTable">
<tr><th colspan="8"><strong>Downstream Bonded Channels</strong></th></tr>
<td><strong>Channel ID</strong></td><td><strong>Lock Status</strong></td>
<td><strong>Modulation</strong></td><td><strong>Frequency</strong></td>
<td><strong>Power</strong></td><td><strong>SNR/MER</strong></td>
<td><strong>Corrected</strong></td><td><strong>Uncorrectables</strong></td></tr>
<tr><td>33</td><td>Locked</td><td>Other</td><td>850000000 Hz</td>
<td>-1.5 dBmV</td><td>39.0 dB</td><td>1000</td><td>2</td></tr>
<tr><td>5</td><td>Locked</td><td>QAM256</td><td>602000000 Hz</td>
<td>3.2 dBmV</td><td>40.4 dB</td><td>12</td><td>1</td></tr>
<tr><td>6</td><td>Locked</td><td>QAM256</td><td>610000000 Hz</td>
<td>2.8 dBmV</td><td>40.1 dB</td><td>3</td><td>0</td></tr>
</table>
<table class="simpleTable">
<tr><th colspan="7"><strong>Upstream Bonded Channels</strong></th></tr>
<tr><td>Channel</td><td>Channel ID</td><td>Lock Status</td><td>US Channel Type</td>
<td>Frequency</td><td>Width</td><td>Power</td></tr>
<tr><td>1</td><td>2</td><td>Locked</td><td>SC-QAM Upstream</td>
<td>30800000 Hz</td><td>6400000 Hz</td><td>44.0 dBmV</td></tr>
<tr><td>2</td><td>9</td><td>Locked</td><td>OFDM Upstream</td>
<td>45000000 Hz</td><td>20000000 Hz</td><td>41.5 dBmV</td></tr>
</table></body></html>"""


def _credential(cookie_header: str) -> str | None:
    """Find ``credential=`` in the odd cookie header the web app writes."""
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "credential":
            return value
    return None


class ArrisCM8200Simulator(LoopbackServer):
    """An aiohttp application speaking the CM8200A web protocol."""

    def __init__(
        self,
        username: str = USERNAME,
        password: str = PASSWORD,
        *,
        tls: bool = False,
        status_page: str = STATUS_PAGE,
        lock_after: int = 3,
    ) -> None:
        """Prepare the pages; the server starts with :meth:`start`."""
        self.username = username
        self.password = password
        self.tls = tls
        self.status_page = status_page
        self.login_page = LOGIN_PAGE
        self.lock_after = lock_after
        self.statuses: dict[str, int] = {}
        self.delay = 0.0
        self.not_arris = False
        self.forget_login = False
        self.login_status: int | None = None
        self.locked = False
        self.failed_logins = 0
        self.logins = 0
        self.tokens: set[str] = set()
        self.calls: list[str] = []
        self.cookie_headers: list[str] = []
        app = web.Application()
        app.router.add_get(STATUS, self._status)
        app.router.add_get("/", self._root)
        app.router.add_get(LOCK, self._lock)
        self.serve(app)

    def expire(self) -> None:
        """End every session, as the modem does after a while."""
        self.tokens.clear()

    def unlock(self) -> None:
        """End the lockout."""
        self.locked = False
        self.failed_logins = 0

    def _html(self, text: str) -> web.Response:
        return web.Response(text=text, content_type="text/html")

    async def _root(self, request: web.Request) -> web.StreamResponse:
        """The start page: the login form, which names the model."""
        self.calls.append(f"GET {request.path}")
        return web.Response(text=self.login_page, content_type="text/html")

    async def _status(self, request: web.Request) -> web.StreamResponse:
        query = request.query_string
        self.calls.append(f"GET {STATUS}{'?login' if query else ''}")
        if self.delay:
            await asyncio.sleep(self.delay)
        if STATUS in self.statuses:
            return web.Response(status=self.statuses[STATUS], text="error")
        if self.not_arris:
            return self._html("<html><body>Another router</body></html>")
        if query:
            return self._login(query)
        cookie = request.headers.get("Cookie", "")
        self.cookie_headers.append(cookie)
        token = _credential(cookie)
        if token is not None and token in self.tokens:
            return self._html(self.status_page)
        return self._html(self.login_page)

    def _login(self, query: str) -> web.Response:
        try:
            user, _, password = base64.b64decode(query, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return self._html(self.login_page)
        if self.locked:
            return self._html(self.login_page)
        if self.login_status is not None:
            return web.Response(status=self.login_status, text="denied")
        if (user, password) != (self.username, self.password):
            self.failed_logins += 1
            self.locked = self.failed_logins >= self.lock_after
            return self._html(self.login_page)
        self.logins += 1
        self.failed_logins = 0
        token = secrets.token_hex(16)
        if not self.forget_login:
            self.tokens.add(token)
        return web.Response(text=token, content_type="text/plain")

    async def _lock(self, request: web.Request) -> web.StreamResponse:
        self.calls.append(f"GET {request.path}")
        if LOCK in self.statuses:
            return web.Response(status=self.statuses[LOCK], text="error")
        return web.Response(text="Locked" if self.locked else "Unlocked")


@pytest.fixture(name="cm8200_modem")
async def cm8200_modem_fixture(socket_enabled: None) -> AsyncGenerator[ArrisCM8200Simulator]:
    """A running CM8200A simulator (plain HTTP)."""
    simulator = ArrisCM8200Simulator()
    await simulator.start()
    yield simulator
    await simulator.close()
