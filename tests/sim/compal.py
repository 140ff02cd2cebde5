"""A real HTTP server on 127.0.0.1 that plays a Compal CH7465 Connect Box.

It implements the login as the modem does it, so the real driver can be run
against it:

* ``GET /`` redirects to the login page; both hand out a ``sessionToken``
  cookie, every answer sets a new one, and a request with a stale token is
  redirected to the login page;
* ``POST /xml/setter.xml`` ``fun=15`` checks ``SHA-256(password)`` as hex (the
  PLAY variant: ``Username=NULL``, the plain password, and a ``token`` form
  field equal to the cookie), answers ``successful;SID=<digits>`` and binds
  the session to the client's User-Agent;
* one session at a time: a login while another one is open is refused;
* after ``max_failures`` wrong passwords in a row, logins are locked for
  ``lock_seconds``; ``fun=22`` reports the remaining seconds as ``FailCount``
  and ``fun=1`` says ``LockedOut`` ``Enable``;
* ``fun=16`` logs out; an idle session expires after ``session_timeout``;
* ``POST /xml/getter.xml`` serves the captured pages for fun=1, 2, 10, 11 and
  144 (read in place from the shared fixtures), fun=1 and fun=22 without login.

Knobs for failures: ``pages`` (replace a page's text), ``delay``/``delay_fun``
(answer late), ``status_funs`` (answer a function with this HTTP status; a 3xx
redirects to the login page), ``login_answer`` (what a correct login answers),
``start_status`` (status of the start page), ``login_page_token`` (whether the
login page sets a token too, or only the redirect to it does), ``expire_after`` (drop the session after that many
authenticated reads), ``other_session`` (somebody else is logged in),
``not_compal`` (a different device answers) and ``fail_delay`` (seconds the
modem makes a client wait after each single wrong password).

Use it through the ``compal_modem`` fixture (which requests ``socket_enabled``:
Home Assistant's test plugin blocks sockets otherwise).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import hashlib
import itertools
import time

from aiohttp import web
import pytest

from tests.shared_fixtures import read_fixture
from tests.sim.loopback import LoopbackServer

PASSWORD = "s3cret-Pass"
CAPTURE = ("modems", "compal_ch7465mt", "solentlabs")
LOGIN_PAGE = "/common_page/login.html"
PUBLIC_FUNS = frozenset({1, 3, 22})
PLAY_MODEL = "CH7465LG-PLAY"


def captured_pages() -> dict[int, str]:
    """Return the captured answers by function number (skips if they are absent)."""
    names = {
        1: "fun1_global_settings.xml",
        2: "fun2_system_info.xml",
        10: "fun10_downstream.xml",
        11: "fun11_upstream.xml",
        144: "fun144_cm_status.xml",
    }
    return {fun: read_fixture(*CAPTURE, name) for fun, name in names.items()}


class CompalSimulator(LoopbackServer):
    """An aiohttp application speaking the Connect Box web protocol."""

    def __init__(self, password: str = PASSWORD, *, play: bool = False) -> None:
        """Load the captured pages; the server starts with :meth:`start`."""
        self.password = password
        self.play = play
        self.pages = captured_pages()
        if play:
            self.pages[1] = self.pages[1].replace(
                "<ConfigVenderModel>CH7465MT-AT</ConfigVenderModel>",
                f"<ConfigVenderModel>{PLAY_MODEL}</ConfigVenderModel>",
            )
        # knobs
        self.max_failures = 3
        self.lock_seconds = 120
        self.fail_delay = 0
        self.session_timeout = 300.0
        self.expire_after: int | None = None
        self.other_session = False
        self.not_compal = False
        self.report_locked_out = True
        self.delay = 0.0
        self.delay_fun: int | None = None
        self.status_funs: dict[int, int] = {}
        self.login_answer: str | None = None
        self.start_status: int | None = None
        self.login_page_token = True
        # state
        self._tokens = itertools.count(100_000_001, 7919)
        self.token = ""
        self.sid: str | None = None
        self.session_agent: str | None = None
        self.last_seen = 0.0
        self.reads_in_session = 0
        self.failures = 0
        self.wait_until = 0.0
        # what happened
        self.logins = 0
        self.logouts = 0
        self.failed_logins = 0
        self.login_forms: list[dict[str, str]] = []
        self.login_agents: list[str | None] = []
        self.calls: list[tuple[str, int | None]] = []
        self.active = 0
        self.max_active = 0
        app = web.Application()
        app.router.add_get("/", self._start_page)
        app.router.add_get(LOGIN_PAGE, self._login_page)
        app.router.add_post("/xml/getter.xml", self._getter)
        app.router.add_post("/xml/setter.xml", self._setter)
        self.serve(app)

    # --- control -------------------------------------------------------------

    def expire_session(self) -> None:
        """End the current session as the modem's idle timer would."""
        self.sid = None
        self.session_agent = None

    @property
    def locked_for(self) -> int:
        """Return the seconds until the next login is allowed."""
        return max(0, int(self.wait_until - time.monotonic() + 0.999))

    def calls_of(self, fun: int) -> int:
        """Return how often a function was called."""
        return sum(1 for _, called in self.calls if called == fun)

    # --- protocol --------------------------------------------------------------

    def _next_token(self, response: web.StreamResponse) -> web.StreamResponse:
        self.token = str(next(self._tokens))
        response.set_cookie("sessionToken", self.token, path="/")
        return response

    def _to_login(self) -> web.StreamResponse:
        return self._next_token(web.Response(status=302, headers={"Location": LOGIN_PAGE}))

    def _xml(self, text: str) -> web.StreamResponse:
        return self._next_token(web.Response(text=text, content_type="text/xml"))

    def _plain(self, text: str) -> web.StreamResponse:
        return self._next_token(web.Response(text=text, content_type="text/plain"))

    async def _slow(self, fun: int | None) -> None:
        if self.delay and (self.delay_fun is None or self.delay_fun == fun):
            await asyncio.sleep(self.delay)

    def _forced(self, fun: int | None) -> web.StreamResponse | None:
        status = self.status_funs.get(fun) if fun is not None else None
        if status is None:
            return None
        if 300 <= status < 400:
            return self._to_login()
        return web.Response(status=status, text="error")

    def _token_ok(self, request: web.Request, form: dict[str, str]) -> bool:
        if not self.token or request.cookies.get("sessionToken") != self.token:
            return False
        if "Referer" not in request.headers:
            return False
        return not self.play or form.get("token") == self.token

    def _session_ok(self, request: web.Request) -> bool:
        now = time.monotonic()
        if self.sid is not None and now - self.last_seen > self.session_timeout:
            self.expire_session()
        if self.sid is None or request.cookies.get("SID") != self.sid:
            return False
        if request.headers.get("User-Agent") != self.session_agent:
            return False
        self.last_seen = now
        return True

    async def _start_page(self, request: web.Request) -> web.StreamResponse:
        self.calls.append(("GET /", None))
        await self._slow(None)
        if self.not_compal:
            return web.Response(text="<html><body>Another router</body></html>")
        if self.start_status is not None:
            return web.Response(status=self.start_status, text="no")
        return self._to_login()

    async def _login_page(self, request: web.Request) -> web.StreamResponse:
        self.calls.append(("GET login", None))
        page = web.Response(text="<html><body>Connect Box</body></html>", content_type="text/html")
        return self._next_token(page) if self.login_page_token else page

    async def _form(self, request: web.Request) -> tuple[dict[str, str], int | None]:
        posted = await request.post()
        form = {key: str(value) for key, value in posted.items()}
        try:
            fun: int | None = int(form.get("fun", ""))
        except ValueError:
            fun = None
        return form, fun

    async def _getter(self, request: web.Request) -> web.StreamResponse:
        if self.not_compal:
            raise web.HTTPNotFound
        form, fun = await self._form(request)
        self.calls.append(("getter", fun))
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await self._slow(fun)
            if (forced := self._forced(fun)) is not None:
                return forced
            if not self._token_ok(request, form):
                return self._to_login()
            if fun == 22:
                return self._xml(
                    '<?xml version="1.0" encoding="utf-8"?>'
                    f"<LoginFail><FailCount>{self.locked_for}</FailCount></LoginFail>"
                )
            if fun == 1:
                page = self.pages[1]
                if self.report_locked_out and self.locked_for:
                    page = page.replace(
                        "<LockedOut>Disable</LockedOut>", "<LockedOut>Enable</LockedOut>"
                    )
                return self._xml(page)
            if fun not in PUBLIC_FUNS and not self._session_ok(request):
                return self._to_login()
            if self.expire_after is not None:
                self.reads_in_session += 1
                if self.reads_in_session > self.expire_after:
                    self.expire_after = None
                    self.expire_session()
                    return self._to_login()
            if fun in self.pages:
                return self._xml(self.pages[fun])
            return self._xml('<?xml version="1.0" encoding="utf-8"?><empty/>')
        finally:
            self.active -= 1

    async def _setter(self, request: web.Request) -> web.StreamResponse:
        form, fun = await self._form(request)
        self.calls.append(("setter", fun))
        await self._slow(fun)
        if (forced := self._forced(fun)) is not None:
            return forced
        if not self._token_ok(request, form):
            return self._to_login()
        if fun == 15:
            return self._login(request, form)
        if fun == 16:
            if self._session_ok(request):
                self.logouts += 1
                self.expire_session()
                return self._plain("")
            return self._to_login()
        return self._to_login()

    def _password_ok(self, form: dict[str, str]) -> bool:
        if self.play:
            return form.get("Username") == "NULL" and form.get("Password") == self.password
        expected = hashlib.sha256(self.password.encode("utf-8")).hexdigest()
        return form.get("Password") == expected

    def _login(self, request: web.Request, form: dict[str, str]) -> web.StreamResponse:
        self.login_forms.append(form)
        self.login_agents.append(request.headers.get("User-Agent"))
        now = time.monotonic()
        if self.sid is not None and now - self.last_seen > self.session_timeout:
            self.expire_session()
        if self.other_session or self.sid is not None:
            return self._plain("idloginrightincorrect")
        if now < self.wait_until or not self._password_ok(form):
            self.failed_logins += 1
            self.failures += 1
            if self.failures >= self.max_failures:
                self.wait_until = now + self.lock_seconds
            elif self.fail_delay:
                self.wait_until = now + self.fail_delay
            return self._plain("KDGloginincorrect")
        if self.login_answer is not None:
            return self._plain(self.login_answer)
        self.failures = 0
        self.logins += 1
        self.reads_in_session = 0
        self.sid = str(600_000_000 + self.logins)
        self.session_agent = request.headers.get("User-Agent")
        self.last_seen = now
        return self._plain(f"successful;SID={self.sid}")


@pytest.fixture(name="compal_modem")
async def compal_modem_fixture(socket_enabled: None) -> AsyncGenerator[CompalSimulator]:
    """A running Connect Box simulator with the normal (SHA-256) firmware."""
    simulator = CompalSimulator()
    await simulator.start()
    yield simulator
    await simulator.close()


@pytest.fixture(name="compal_play_modem")
async def compal_play_modem_fixture(socket_enabled: None) -> AsyncGenerator[CompalSimulator]:
    """A running Connect Box simulator with the PLAY/UPC firmware."""
    simulator = CompalSimulator(play=True)
    await simulator.start()
    yield simulator
    await simulator.close()
