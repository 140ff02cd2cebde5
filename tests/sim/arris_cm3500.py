"""A real HTTP server on 127.0.0.1 that plays an Arris CM3500B.

Plain HTTP (the real modem is HTTPS with a self-signed certificate; the
driver's ``ssl=False`` only matters there).  It behaves as the modem does:

* ``GET /cgi-bin/status_cgi`` and ``/cgi-bin/config_params_cgi`` serve the
  captured pages (read in place from the shared fixtures) once logged in, and
  the captured login form before;
* ``POST /cgi-bin/login_cgi`` with ``username``/``password`` logs the client's
  address in and redirects to the status page; a wrong password answers the
  login form again.

Knobs: ``pages`` (replace a page's text by path), ``statuses`` (answer a path
with this HTTP status), ``delay`` (answer late), ``not_arris`` (another device
answers), ``forget_login`` (the session ends right after each login).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from aiohttp import web
import pytest

from tests.shared_fixtures import read_fixture
from tests.sim.loopback import LoopbackServer

USERNAME = "admin"
PASSWORD = "s3cret-Pass"
CAPTURE = ("modems", "arris_cm3500b", "solentlabs", "cgi-bin")
STATUS = "/cgi-bin/status_cgi"
CONFIG = "/cgi-bin/config_params_cgi"
VERSIONS = "/cgi-bin/vers_cgi"
LOGIN = "/cgi-bin/login_cgi"


class ArrisCM3500Simulator(LoopbackServer):
    """An aiohttp application speaking the CM3500B web protocol."""

    def __init__(self, username: str = USERNAME, password: str = PASSWORD) -> None:
        """Load the captured pages; the server starts with :meth:`start`."""
        self.username = username
        self.password = password
        self.login_page = read_fixture(*CAPTURE, "login_cgi.html")
        self.pages = {
            STATUS: read_fixture(*CAPTURE, "status_cgi.html"),
            CONFIG: read_fixture(*CAPTURE, "config_params_cgi.html"),
            VERSIONS: read_fixture(*CAPTURE, "vers_cgi.html"),
        }
        self.statuses: dict[str, int] = {}
        self.delay = 0.0
        self.not_arris = False
        self.forget_login = False
        self.logged_in = False
        self.logins = 0
        self.login_forms: list[dict[str, str]] = []
        self.calls: list[str] = []
        app = web.Application()
        app.router.add_get(STATUS, self._page)
        app.router.add_get(CONFIG, self._page)
        app.router.add_get(VERSIONS, self._page)
        app.router.add_post(LOGIN, self._login)
        app.router.add_get(LOGIN, self._login_form)
        self.serve(app)

    async def _page(self, request: web.Request) -> web.StreamResponse:
        self.calls.append(f"GET {request.path}")
        if self.delay:
            await asyncio.sleep(self.delay)
        if request.path in self.statuses:
            return web.Response(status=self.statuses[request.path], text="error")
        if self.not_arris:
            return web.Response(text="<html><body>Another router</body></html>")
        if not self.logged_in:
            return web.Response(text=self.login_page, content_type="text/html")
        return web.Response(text=self.pages[request.path], content_type="text/html")

    async def _login_form(self, request: web.Request) -> web.StreamResponse:
        self.calls.append(f"GET {request.path}")
        return web.Response(text=self.login_page, content_type="text/html")

    async def _login(self, request: web.Request) -> web.StreamResponse:
        self.calls.append(f"POST {request.path}")
        if LOGIN in self.statuses:
            return web.Response(status=self.statuses[LOGIN], text="error")
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.login_forms.append(form)
        if form.get("username") == self.username and form.get("password") == self.password:
            self.logins += 1
            self.logged_in = not self.forget_login
            return web.Response(status=302, headers={"Location": STATUS})
        return web.Response(text=self.login_page, content_type="text/html")


@pytest.fixture(name="cm3500_modem")
async def cm3500_modem_fixture(socket_enabled: None) -> AsyncGenerator[ArrisCM3500Simulator]:
    """A running CM3500B simulator."""
    simulator = ArrisCM3500Simulator()
    await simulator.start()
    yield simulator
    await simulator.close()
