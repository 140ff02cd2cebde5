"""A loopback HTTP server that speaks the FRITZ!Box Cable web interface.

It implements the real login of ``login_sid.lua?version=2``: a PBKDF2 challenge
``2$<iter1>$<salt1>$<iter2>$<salt2>`` with a random salt per challenge (or,
switched to ``legacy_md5``, the old MD5 challenge), verifies the answer with
the configured password, hands out random 16-hex-digit SIDs that expire after
``sid_lifetime`` seconds without use, and after ``max_failures`` wrong answers
announces a ``BlockTime`` and refuses every login until it has passed.

``data.lua`` serves ``docInfo``, ``overview`` and ``netMoni`` for a valid SID
(403 otherwise) and ``/tr064/tr64desc.xml`` needs no login.  The docInfo page
defaults to a realistic FRITZ!OS 7.5x-shaped page written for these tests;
tests pass a captured page (``doc_info=``) where the shared fixtures have one.

Knobs for failures: ``delay`` (seconds before every answer), ``doc_info_body``
(raw bytes served as the docInfo answer: truncated or garbage pages),
``overview_broken``, ``tr64_broken``, ``not_fritz`` (the server is some other
web server: 404 everywhere), ``page_status`` (an HTTP status for a data.lua
page or for ``"login_sid"``), ``login_body`` (raw text served as the login
answer) and ``expire_sessions()`` (the box forgets all SIDs).

Use it with ``from tests.sim.fritzbox import fritzbox_sim_fixture  # noqa: F401``
and a ``fritzbox_sim`` argument; the fixture requests ``socket_enabled``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator
import hashlib
import json
import secrets
import time
from typing import Any

from aiohttp import web
import pytest

from tests.sim.loopback import LoopbackServer

EMPTY_SID = "0000000000000000"
USERNAME = "fritz1234"
PASSWORD = "geheim-Passwort!"

# A FRITZ!OS 7.5x-style docInfo answer (shape as FRITZ!Box 6591/6690 serve it:
# MHz without unit, MSE negative, OFDM ranges, counters as integers).
DOC_INFO_DATA: dict[str, Any] = {
    "channelDs": {
        "docsis30": [
            {
                "channelID": 1,
                "frequency": "602",
                "powerLevel": "3.2",
                "modulation": "256QAM",
                "mse": "-38.6",
                "latency": 0.28,
                "corrErrors": 12,
                "nonCorrErrors": 0,
            },
            {
                "channelID": 2,
                "frequency": "610",
                "powerLevel": "3.5",
                "modulation": "256QAM",
                "mse": "-38.9",
                "latency": 0.28,
                "corrErrors": 7,
                "nonCorrErrors": 1,
            },
            {
                "channelID": 3,
                "frequency": "618",
                "powerLevel": "2.9",
                "modulation": "256QAM",
                "mse": "-37.4",
                "latency": 0.28,
                "corrErrors": 0,
                "nonCorrErrors": 0,
            },
        ],
        "docsis31": [
            {
                "channelID": 33,
                "frequency": "751 - 861",
                "powerLevel": "4.1",
                "modulation": "4096QAM",
                "mer": "41.0",
                "plc": "754",
                "fft": "4K",
                "corrErrors": 1534,
                "nonCorrErrors": 2,
            },
        ],
    },
    "channelUs": {
        "docsis30": [
            {
                "channelID": 1,
                "frequency": "51",
                "powerLevel": "44.0",
                "modulation": "64QAM",
                "multiplex": "ATDMA",
            },
            {
                "channelID": 2,
                "frequency": "45.2",
                "powerLevel": "43.5",
                "modulation": "64QAM",
                "multiplex": "ATDMA",
            },
        ],
        "docsis31": [
            {
                "channelID": 9,
                "frequency": "29.8 - 64.8",
                "powerLevel": "40.3",
                "modulation": "1024QAM",
                "multiplex": "OFDMA",
                "fft": "2K",
            },
        ],
    },
}

FRITZOS: dict[str, Any] = {
    "Productname": "FRITZ!Box 6690 Cable",
    "nspver": "7.57",
    "Uptime": 123456,
    "isLabor": False,
}

NET_MONI: dict[str, Any] = {
    "connections": [
        {"medium": "cable", "downstream": 1000000, "upstream": 50000, "name": "Internet"}
    ]
}

TR64_DESC = """<?xml version="1.0"?>
<root xmlns="urn:dslforum-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <systemVersion><HW>232</HW><Major>7</Major><Minor>57</Minor><Display>232.07.57</Display></systemVersion>
  <device>
    <deviceType>urn:dslforum-org:device:InternetGatewayDevice:1</deviceType>
    <friendlyName>FRITZ!Box 6690 Cable</friendlyName>
    <manufacturer>AVM Berlin</manufacturer>
    <modelName>FRITZ!Box 6690 Cable</modelName>
  </device>
</root>
"""


def pbkdf2_answer(password: str, challenge: str) -> str:
    """Compute the answer the box expects (independent of the driver's code)."""
    _, iter1, salt1, iter2, salt2 = challenge.split("$")
    stage1 = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt1), int(iter1))
    stage2 = hashlib.pbkdf2_hmac("sha256", stage1, bytes.fromhex(salt2), int(iter2))
    return f"{salt2}${stage2.hex()}"


def md5_answer(password: str, challenge: str) -> str:
    """Compute the legacy answer the box expects."""
    text = f"{challenge}-{password}".encode("utf-16-le")
    return f"{challenge}-{hashlib.md5(text, usedforsecurity=False).hexdigest()}"


class FritzBoxSimulator(LoopbackServer):
    """An aiohttp application playing a FRITZ!Box Cable, with failure knobs."""

    def __init__(self, *, username: str = USERNAME, password: str = PASSWORD) -> None:
        """Set up the box; the server starts with :meth:`start`."""
        self.username = username
        self.password = password
        self.legacy_md5 = False
        self.iterations = (1000, 50)
        self.salt1 = secrets.token_hex(16)  # fixed per password, like the real box
        self.sid_lifetime = 1200.0
        self.max_failures = 2
        self.block_seconds = 10
        self.delay = 0.0
        self.doc_info: dict[str, Any] = DOC_INFO_DATA
        self.doc_info_body: bytes | None = None
        self.fritzos: dict[str, Any] = FRITZOS
        self.overview_broken = False
        self.tr64_desc = TR64_DESC
        self.tr64_broken = False
        self.not_fritz = False
        self.page_status: dict[str, int] = {}
        self.login_body: str | None = None
        self.failures = 0
        self.blocked_until = 0.0
        self.sessions: dict[str, float] = {}
        self.logins = 0
        self.invalid_sid_requests = 0
        self.concurrent_logins = 0
        self.max_concurrent_logins = 0
        self.hits: Counter[str] = Counter()
        self._challenge = self._new_challenge()
        app = web.Application()
        app.router.add_route("*", "/login_sid.lua", self._login_sid)
        app.router.add_post("/data.lua", self._data)
        app.router.add_get("/tr064/tr64desc.xml", self._tr64)
        self.serve(app)

    def expire_sessions(self) -> None:
        """Forget every SID, as the box does after a reboot or its idle timeout."""
        self.sessions.clear()

    # --- login ---------------------------------------------------------------

    def _new_challenge(self) -> str:
        if self.legacy_md5:
            return secrets.token_hex(4)
        iter1, iter2 = self.iterations
        return f"2${iter1}${self.salt1}${iter2}${secrets.token_hex(16)}"

    def _block_time(self) -> int:
        return max(0, round(self.blocked_until - time.monotonic()))

    def _valid(self, sid: str | None) -> bool:
        if not sid or sid not in self.sessions:
            return False
        if self.sessions[sid] < time.monotonic():
            del self.sessions[sid]
            return False
        self.sessions[sid] = time.monotonic() + self.sid_lifetime
        return True

    def _session_info(self, sid: str) -> web.Response:
        # The challenge mode can be switched between requests.
        if self.legacy_md5 == self._challenge.startswith("2$"):
            self._challenge = self._new_challenge()
        users = f'<User last="1">{self.username}</User><User>admin</User>'
        body = (
            '<?xml version="1.0" encoding="utf-8"?><SessionInfo>'
            f"<SID>{sid}</SID><Challenge>{self._challenge}</Challenge>"
            f"<BlockTime>{self._block_time()}</BlockTime>"
            f"<Rights></Rights><Users>{users}</Users></SessionInfo>"
        )
        return web.Response(text=body, content_type="text/xml")

    async def _login_sid(self, request: web.Request) -> web.StreamResponse:
        self.hits["login_sid"] += 1
        await self._pause()
        if self.not_fritz:
            raise web.HTTPNotFound
        if "login_sid" in self.page_status:
            return web.Response(status=self.page_status["login_sid"], text="error")
        if self.login_body is not None:
            return web.Response(text=self.login_body, content_type="text/html")
        params = request.query
        sid = params.get("sid")
        if params.get("logout") and sid:
            self.sessions.pop(sid, None)
            return self._session_info(EMPTY_SID)
        if sid and self._valid(sid):
            return self._session_info(sid)
        answer = params.get("response")
        if answer is None:
            return self._session_info(EMPTY_SID)
        self.concurrent_logins += 1
        self.max_concurrent_logins = max(self.max_concurrent_logins, self.concurrent_logins)
        try:
            await asyncio.sleep(0.01)  # a real box takes a while to check the hash
            return self._check(params.get("username", ""), answer)
        finally:
            self.concurrent_logins -= 1

    def _check(self, username: str, answer: str) -> web.Response:
        challenge, self._challenge = self._challenge, self._new_challenge()
        if self._block_time() > 0:
            return self._session_info(EMPTY_SID)
        if challenge.startswith("2$"):
            expected = pbkdf2_answer(self.password, challenge)
        else:
            expected = md5_answer(self.password, challenge)
        if username == self.username and secrets.compare_digest(answer, expected):
            self.failures = 0
            self.logins += 1
            sid = secrets.token_hex(8)
            self.sessions[sid] = time.monotonic() + self.sid_lifetime
            return self._session_info(sid)
        self.failures += 1
        if self.failures >= self.max_failures:
            self.blocked_until = time.monotonic() + self.block_seconds
        return self._session_info(EMPTY_SID)

    # --- pages ---------------------------------------------------------------

    async def _pause(self) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)

    async def _data(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        page = str(form.get("page", ""))
        self.hits[page] += 1
        await self._pause()
        if self.not_fritz:
            raise web.HTTPNotFound
        if page in self.page_status:
            return web.Response(status=self.page_status[page], text="error")
        sid = str(form.get("sid", ""))
        if not self._valid(sid):
            # A real box logs this and ends every session from the address.
            self.invalid_sid_requests += 1
            self.sessions.clear()
            raise web.HTTPForbidden
        if page == "docInfo":
            if self.doc_info_body is not None:
                return web.Response(body=self.doc_info_body, content_type="application/json")
            return self._json("docInfo", sid, self.doc_info)
        if page == "overview":
            if self.overview_broken:
                return web.Response(text="<html>Fehler</html>", content_type="text/html")
            return self._json("overview", sid, {"fritzos": self.fritzos})
        if page == "netMoni":
            return self._json("netMoni", sid, NET_MONI)
        raise web.HTTPNotFound

    @staticmethod
    def _json(pid: str, sid: str, data: dict[str, Any]) -> web.Response:
        document = {"pid": pid, "hide": {}, "time": [], "data": data, "sid": sid}
        return web.Response(text=json.dumps(document), content_type="application/json")

    async def _tr64(self, request: web.Request) -> web.StreamResponse:
        self.hits["tr64desc"] += 1
        await self._pause()
        if self.not_fritz or self.tr64_broken:
            raise web.HTTPNotFound
        return web.Response(text=self.tr64_desc, content_type="text/xml")


@pytest.fixture(name="fritzbox_sim")
async def fritzbox_sim_fixture(socket_enabled: None) -> AsyncGenerator[FritzBoxSimulator]:
    """A running simulated FRITZ!Box on 127.0.0.1."""
    simulator = FritzBoxSimulator()
    await simulator.start()
    yield simulator
    await simulator.close()
