"""A real HTTP server on 127.0.0.1 that plays a Netgear CM3000.

It serves ``GET /DocsisStatus.htm`` built from the captured tagValueList
strings (read in place from the shared fixtures, wrapped in the JS functions
the real page declares), protected in one of two ways:

* ``mode="basic"``: HTTP Basic auth; missing or wrong credentials get 401;
* ``mode="form"``: without a valid session cookie the page answers with the
  login form (HTTP 200, like the modem).  ``GET /Login.htm`` serves the form,
  whose action is ``/goform/Login?id=<n>``; ``POST`` there with the right
  ``loginName``/``loginPassword`` sets a session cookie and redirects to the
  status page, a wrong one answers the form again.

Knobs: ``page`` (replace the status page's text), ``status`` (answer the status
page with this HTTP status), ``form_action`` (the form's action attribute).

Use it through the ``cm3000_basic`` and ``cm3000_form`` fixtures (which request
``socket_enabled``: Home Assistant's test plugin blocks sockets otherwise).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator
import secrets

from aiohttp import web
import pytest

from tests.shared_fixtures import read_fixture
from tests.sim.loopback import LoopbackServer

USERNAME = "admin"
PASSWORD = "s3cret-Pass"
CAPTURE = ("modems", "netgear_cm3000", "docsight")
FUNCTIONS = (
    "InitDsTableTagValue",
    "InitUsTableTagValue",
    "InitDsOfdmTableTagValue",
    "InitUsOfdmaTableTagValue",
    "InitTagValue",
)
SESSION_COOKIE = "XSRF_TOKEN"
LOGIN_FORM = (
    "<html><head><title>NETGEAR Router CM3000</title></head><body>"
    '<form name="login" method="POST" action="{action}">'
    '<input type="text" name="loginName"><input type="password" name="loginPassword">'
    '<input type="submit" value="Log In"></form></body></html>'
)


def status_page() -> str:
    """Return DocsisStatus.htm from the captured strings (skips if they are absent)."""
    functions = "\n".join(
        f"function {name}()\n{{\n"
        f"  var tagValueList = '{read_fixture(*CAPTURE, f'{name}.tagValueList.txt').strip()}';\n"
        '  return tagValueList.split("|");\n}'
        for name in FUNCTIONS
    )
    return f"<html><head><script type='text/javascript'>\n{functions}\n</script></head></html>"


class CM3000Simulator(LoopbackServer):
    """An aiohttp application speaking the CM3000 web protocol."""

    def __init__(self, mode: str = "basic", password: str = PASSWORD) -> None:
        """Build the status page; the server starts with :meth:`start`."""
        self.mode = mode
        self.password = password
        self.page = status_page()
        self.status: int | None = None
        self.form_action = "/goform/Login?id=1234"
        self.sessions: set[str] = set()
        self.logins = 0
        self.calls: list[str] = []
        app = web.Application()
        app.router.add_get("/", self._status)
        app.router.add_get("/DocsisStatus.htm", self._status)
        app.router.add_get("/Login.htm", self._login_page)
        app.router.add_post("/goform/Login", self._login)
        self.serve(app)

    def _basic_ok(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        expected = base64.b64encode(f"{USERNAME}:{self.password}".encode()).decode()
        return secrets.compare_digest(header[6:], expected)

    def _form(self) -> web.Response:
        return web.Response(
            text=LOGIN_FORM.format(action=self.form_action), content_type="text/html"
        )

    async def _status(self, request: web.Request) -> web.StreamResponse:
        self.calls.append("status")
        if self.status is not None:
            return web.Response(status=self.status, text="no")
        if self.mode == "basic" and not self._basic_ok(request):
            return web.Response(
                status=401, text="401", headers={"WWW-Authenticate": 'Basic realm="NETGEAR CM3000"'}
            )
        if self.mode == "form" and request.cookies.get(SESSION_COOKIE) not in self.sessions:
            return self._form()
        return web.Response(text=self.page, content_type="text/html")

    async def _login_page(self, request: web.Request) -> web.StreamResponse:
        self.calls.append("login_page")
        return self._form()

    async def _login(self, request: web.Request) -> web.StreamResponse:
        self.calls.append("login")
        form = await request.post()
        if form.get("loginName") != USERNAME or form.get("loginPassword") != self.password:
            return self._form()
        self.logins += 1
        token = secrets.token_hex(8)
        self.sessions.add(token)
        response = web.Response(status=302, headers={"Location": "/DocsisStatus.htm"})
        response.set_cookie(SESSION_COOKIE, token)
        return response


@pytest.fixture(name="cm3000_basic")
async def cm3000_basic_fixture(socket_enabled: None) -> AsyncGenerator[CM3000Simulator]:
    """A running CM3000 simulator with HTTP Basic auth."""
    simulator = CM3000Simulator("basic")
    await simulator.start()
    yield simulator
    await simulator.close()


@pytest.fixture(name="cm3000_form")
async def cm3000_form_fixture(socket_enabled: None) -> AsyncGenerator[CM3000Simulator]:
    """A running CM3000 simulator with the form login."""
    simulator = CM3000Simulator("form")
    await simulator.start()
    yield simulator
    await simulator.close()
