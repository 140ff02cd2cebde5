"""A Vodafone Station on 127.0.0.1, either variant, for driving the real driver.

**The pages are not captures.**  No capture of a CGA4322DE/CGA6444VF or a
TG3442DE/TG6442VF is in ``shared/fixtures`` (the Technicolor CGA2121 there is
a different, older interface), so the pages below are built from the protocol
notes in ``shared/docs/modem-protocols.md`` ("vodafone_station"): the same
endpoints, field names and value formats, with made-up but plausible values.
The login error messages of the CGA and the exact lockout answers are our
assumption where the notes are silent.

The login is real: the simulator checks the CGA's double PBKDF2 hash and
decrypts the TG's AES-CCM payload with its own code (``hashlib`` and
``AESCCM`` directly, not the parser under test), issues cookies, CSRF tokens
and nonces and checks them on every request.  Like the real stations it keeps
one session at a time (a new login ends the old one), locks logins after
``max_failures`` wrong passwords, and has knobs for failures: a delay (for
timeouts), truncated or garbage pages, server errors, and a session that ends
in the middle of a poll.

Tests must request ``socket_enabled`` (the fixtures here do).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
import hashlib
import json
import secrets
import time
from typing import Any

from aiohttp import web
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
import pytest

from tests.sim.loopback import LoopbackServer

USERNAME = "admin"
PASSWORD = "Geheim-123!"
SESSION_COOKIE = "PHPSESSID"

# ----------------------------------------------------------------- pages (built from the notes)

CGA_DOCSIS_STATUS: dict[str, Any] = {
    "error": "ok",
    "message": "all values retrieved",
    "data": {
        "downstream": [
            {
                "__id": "1",
                "channelid": "5",
                "CentralFrequency": "138 MHz",
                "power": "4.6",
                "SNR": "40.4",
                "FFT": "256QAM",
                "locked": "Locked",
                "ChannelType": "SC-QAM",
            },
            {
                "__id": "2",
                "channelid": "6",
                "CentralFrequency": "146 MHz",
                "power": "4.9",
                "SNR": "40.9",
                "FFT": "256QAM",
                "locked": "Locked",
                "ChannelType": "SC-QAM",
            },
            {
                "__id": "3",
                "channelid": "1",
                "CentralFrequency": "114 MHz",
                "power": "-1.2",
                "SNR": "37.6",
                "FFT": "64QAM",
                "locked": "NotLocked",
                "ChannelType": "SC-QAM",
            },
        ],
        "ofdm_downstream": [
            {
                "__id": "1",
                "channelid_ofdm": "33",
                "start_frequency": "751 MHz",
                "end_frequency": "846 MHz",
                "CentralFrequency_ofdm": "798 MHz",
                "bandwidth": "95 MHz",
                "power_ofdm": "2.1",
                "SNR_ofdm": "39.0",
                "FFT_ofdm": "qam4096",
                "locked_ofdm": "Locked",
                "ChannelType": "OFDM",
            },
        ],
        "upstream": [
            {
                "__id": "1",
                "channelidup": "1",
                "CentralFrequency": "51 MHz",
                "power": "44.3",
                "ChannelType": "SC-QAM",
                "FFT": "64QAM",
                "RangingStatus": "Completed",
            },
            {
                "__id": "2",
                "channelidup": "2",
                "CentralFrequency": "44.4 MHz",
                "power": "43.8",
                "ChannelType": "SC-QAM",
                "FFT": "qam64",
                "RangingStatus": "Completed",
            },
        ],
        "ofdma_upstream": [
            {
                "__id": "1",
                "channelidup": "9",
                "start_frequency": "29.8 MHz",
                "end_frequency": "64.8 MHz",
                "CentralFrequency": "47 MHz",
                "power": "41.0",
                "FFT": "qpsk",
                "ChannelType": "OFDMA",
                "RangingStatus": "Completed",
            },
        ],
    },
}

CGA_DEVICE_INFO: dict[str, Any] = {
    "error": "ok",
    "message": "all values retrieved",
    "data": {
        "modelName": "CGA4322DE",
        "softwareVersion": "1.5.3.1-SIM",
        "hardwareVersion": "1.0",
        "serialNumber": "CP0000000000",
    },
}

CGA_INDEX = """<!DOCTYPE html><html><head><title>Vodafone Station</title>
<script src="/js/app.bundle.js"></script></head><body><div id="app"></div></body></html>"""

TG_DOCSIS_PAGE = """<html><head><script type="text/javascript">
var json_dsData = [{"__id":"1","ChannelID":"5","ChannelType":"SC-QAM","Frequency":"138000000",
"LockStatus":"Locked","Modulation":"256QAM","PowerLevel":"4.6 dBmV/64.6 dBuV","SNRLevel":"40.4 dB"},
{"__id":"2","ChannelID":"6","ChannelType":"SC-QAM","Frequency":"146000000","LockStatus":"Locked",
"Modulation":"256QAM","PowerLevel":"-1.2 dBmV/58.8 dBuV","SNRLevel":"38.9 dB"},
{"__id":"3","ChannelID":"33","ChannelType":"OFDM","Frequency":"751~846","LockStatus":"Locked",
"Modulation":"4096QAM","PowerLevel":"2.1 dBmV/62.1 dBuV","SNRLevel":"39.0 dB"}];
var json_usData = [{"__id":"1","ChannelID":"1","ChannelType":"SC-QAM","Frequency":"51000000",
"LockStatus":"SUCCESS","Modulation":"64QAM","PowerLevel":"44.3 dBmV/104.3 dBuV","SNRLevel":"--"},
{"__id":"2","ChannelID":"9","ChannelType":"OFDMA","Frequency":"29.8~64.8","LockStatus":"SUCCESS",
"Modulation":"QPSK","PowerLevel":"41.0 dBmV/101.0 dBuV","SNRLevel":"--"}];
</script></head><body><div id="docsis"></div></body></html>"""

TG_STATUS_PAGE = """<script type="text/javascript">
var js_HWTypeVersion = '7';
var js_FWVersion = '01.04.046.07.EURO.SIM';
var js_ipv4addr = '198.51.100.23';
var js_ipv6addr = '2001:db8::23';
var js_UptimeSinceReboot = '3,04,25';
</script>"""

GARBAGE_PAGE = "<html><body><h1>Bitte warten ...</h1></body></html>"


def tg_login_page(session_id: str, iv_hex: str, salt_hex: str) -> str:
    """Return a TG login page carrying the per-visit login parameters."""
    return f"""<!DOCTYPE html><html><head><title>Vodafone Station</title>
<script type="text/javascript">
var currentSessionId = '{session_id}';
var myIv = '{iv_hex}';
var mySalt = '{salt_hex}';
</script><script src="/base_95x.js"></script></head>
<body><form id="login"><input id="Password" type="password"></form></body></html>"""


def tg_base_script(credential: str) -> str:
    """Return the part of base_95x.js that sets the credential cookie."""
    return f"""function createCookie(name, value, days) {{ document.cookie = name + "=" + value; }}
$(document).ready(function() {{ createCookie("credential", "{credential}", 0); }});"""


def _pbkdf2(password: bytes, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password, salt, 1000, 16)


@dataclass
class _Session:
    sid: str
    token: str = ""  # CGA CSRF token / TG csrfNonce
    credential: str = ""
    active: bool = False
    # TG login parameters of this visit
    iv: bytes = b""
    salt: bytes = b""
    # CGA salts handed out for this visit
    salts: tuple[str, str] = ("", "")
    extra: dict[str, Any] = field(default_factory=dict)


class VodafoneStationSimulator(LoopbackServer):
    """A station of one variant ("cga", "tg", or "none" for some other web server)."""

    def __init__(
        self,
        variant: str,
        *,
        password: str = PASSWORD,
        max_failures: int = 3,
        lockout_seconds: int = 120,
    ) -> None:
        """Set up the routes; the server starts with :meth:`start`."""
        self.variant = variant
        self.username = USERNAME
        self.password = password
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds
        # Knobs
        self.delay = 0.0  # seconds before answering a data page
        self.page_mode = "ok"  # ok | truncated | garbage | server_error | throttled
        self.expire_on: str | None = None  # a data path whose next request finds the session gone
        self.expire_count = 1  # how many times that happens
        self.login_answer: dict[str, Any] | None = None  # replaces the final login step's answer
        self.script_body: str | None = None  # replaces base_95x.js
        self.docsis_status: dict[str, Any] = json.loads(json.dumps(CGA_DOCSIS_STATUS))
        # What happened
        self.requests: list[tuple[str, str]] = []
        self.logins = 0
        self.logouts = 0
        self.failures = 0
        self.locked_until: float | None = None
        self.in_progress: set[str] = set()  # visits between the first and the last login step
        self.overlapping_logins = 0
        self.pending: dict[str, _Session] = {}
        self.session: _Session | None = None
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self.serve(app)

    @property
    def locked(self) -> bool:
        """Return whether logins are locked right now."""
        return self.locked_until is not None and time.monotonic() < self.locked_until

    def unlock(self) -> None:
        """End a lockout early (the test's stand-in for waiting)."""
        self.locked_until = None
        self.failures = 0

    def paths(self) -> list[str]:
        """Return the paths requested so far, in order."""
        return [path for _, path in self.requests]

    # ----------------------------------------------------------------- plumbing

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        handler = {
            "cga": {
                ("GET", "/"): self._cga_index,
                ("POST", "/api/v1/session/login"): self._cga_login,
                ("GET", "/api/v1/session/menu"): self._cga_menu,
                ("POST", "/api/v1/session/logout"): self._cga_logout,
                ("GET", "/api/v1/sta_docsis_status"): self._cga_docsis,
                ("GET", "/api/v1/sta_device_info"): self._cga_device,
            },
            "tg": {
                ("GET", "/"): self._tg_index,
                ("POST", "/php/ajaxSet_Password.php"): self._tg_password,
                ("POST", "/php/ajaxSet_Session.php"): self._tg_session,
                ("GET", "/base_95x.js"): self._tg_script,
                ("GET", "/php/status_docsis_data.php"): self._tg_docsis,
                ("GET", "/php/status_status_data.php"): self._tg_device,
                ("POST", "/php/logout.php"): self._tg_logout,
            },
            "none": {("GET", "/"): self._other_index},
        }[self.variant].get((request.method, request.path))
        if handler is None:
            return web.Response(status=404, text="Not Found")
        return await handler(request)

    def _new_visit(self) -> _Session:
        visit = _Session(sid=secrets.token_hex(16))
        self.pending[visit.sid] = visit
        return visit

    def _visit(self, request: web.Request) -> _Session | None:
        return self.pending.get(request.cookies.get(SESSION_COOKIE, ""))

    def _begin_login(self, visit: _Session) -> None:
        """Note a login start; another one still under way means two logins at once."""
        if self.in_progress - {visit.sid}:
            self.overlapping_logins += 1
        self.in_progress.add(visit.sid)

    def _fail_login(self) -> None:
        self.failures += 1
        if self.failures >= self.max_failures:
            self.locked_until = time.monotonic() + self.lockout_seconds

    def _start_session(self, visit: _Session) -> None:
        """One session at a time: a new login ends the previous one."""
        self.session = visit
        self.pending.pop(visit.sid, None)
        self.failures = 0
        self.logins += 1

    def _expired_now(self, request: web.Request) -> bool:
        if self.expire_on == request.path and self.expire_count > 0:
            self.expire_count -= 1
            self.session = None
            return True
        return False

    async def _data(self, body: str, content_type: str) -> web.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.page_mode == "throttled":
            return web.Response(status=429, text="Too Many Requests")
        if self.page_mode == "server_error":
            return web.Response(status=500, text="Internal Server Error")
        if self.page_mode == "garbage":
            return web.Response(text=GARBAGE_PAGE, content_type="text/html")
        if self.page_mode == "truncated":
            body = body[: len(body) // 2]
        return web.Response(text=body, content_type=content_type)

    @staticmethod
    async def _other_index(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>Some router</body></html>", content_type="text/html")

    # ----------------------------------------------------------------- CGA

    async def _cga_index(self, request: web.Request) -> web.Response:
        return web.Response(text=CGA_INDEX, content_type="text/html")

    def _cga_authorized(self, request: web.Request) -> bool:
        session = self.session
        return (
            session is not None
            and request.cookies.get(SESSION_COOKIE) == session.sid
            and request.headers.get("X-CSRF-TOKEN") == session.token
        )

    @staticmethod
    def _cga_expired() -> web.Response:
        return web.json_response({"error": "error", "message": "session expired"}, status=401)

    async def _cga_login(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("username") != self.username:
            return web.json_response({"error": "error", "message": "MSG_LOGIN_1"})
        if self.locked:
            remaining = round((self.locked_until or 0) - time.monotonic())
            return web.json_response(
                {"error": "error", "message": "MSG_LOGIN_150", "data": {"remainingTime": remaining}}
            )
        if form.get("password") == "seeksalthash":
            seeker = self._visit(request) or self._new_visit()
            self._begin_login(seeker)
            seeker.salts = (secrets.token_hex(6), secrets.token_hex(5))
            response = web.json_response(
                {"error": "ok", "salt": seeker.salts[0], "saltwebui": seeker.salts[1]}
            )
            response.set_cookie(SESSION_COOKIE, seeker.sid)
            return response
        visit = self._visit(request)
        if visit is None or not visit.salts[0]:
            return web.json_response({"error": "error", "message": "MSG_LOGIN_3"})
        self.in_progress.discard(visit.sid)
        salt, saltwebui = visit.salts
        first = _pbkdf2(self.password.encode(), salt.encode()).hex()
        expected = _pbkdf2(first.encode(), saltwebui.encode()).hex()
        if form.get("password") != expected:
            self._fail_login()
            return web.json_response(
                {
                    "error": "error",
                    "message": "MSG_LOGIN_1",
                    "data": {"failedAttempts": self.failures},
                }
            )
        visit.token = secrets.token_hex(16)
        self._start_session(visit)
        if self.login_answer is not None:
            return web.json_response(self.login_answer)
        return web.json_response(
            {
                "error": "ok",
                "message": "MSG_LOGIN_0",
                "token": visit.token,
                "data": {"interface": "web"},
            }
        )

    async def _cga_menu(self, request: web.Request) -> web.Response:
        if not self._cga_authorized(request):
            return self._cga_expired()
        return web.json_response({"error": "ok", "data": {"menu": ["overview", "status"]}})

    async def _cga_logout(self, request: web.Request) -> web.Response:
        if self._cga_authorized(request):
            self.session = None
            self.logouts += 1
        return web.json_response({"error": "ok"})

    async def _cga_docsis(self, request: web.Request) -> web.Response:
        if not self._cga_authorized(request) or self._expired_now(request):
            return self._cga_expired()
        return await self._data(json.dumps(self.docsis_status), "application/json")

    async def _cga_device(self, request: web.Request) -> web.Response:
        if not self._cga_authorized(request) or self._expired_now(request):
            return self._cga_expired()
        return await self._data(json.dumps(CGA_DEVICE_INFO), "application/json")

    # ----------------------------------------------------------------- TG

    def _tg_authorized(self, request: web.Request) -> bool:
        session = self.session
        return (
            session is not None
            and session.active
            and request.cookies.get(SESSION_COOKIE) == session.sid
            and request.cookies.get("credential") == session.credential
            and request.headers.get("csrfNonce") == session.token
        )

    async def _tg_index(self, request: web.Request) -> web.Response:
        visit = self._new_visit()
        visit.iv = secrets.token_bytes(16)
        visit.salt = secrets.token_bytes(8)
        visit.extra["session_id"] = secrets.token_hex(12)
        self._begin_login(visit)
        response = web.Response(
            text=tg_login_page(visit.extra["session_id"], visit.iv.hex(), visit.salt.hex()),
            content_type="text/html",
        )
        response.set_cookie(SESSION_COOKIE, visit.sid)
        return response

    async def _tg_password(self, request: web.Request) -> web.Response:
        visit = self._visit(request)
        body = await request.json()
        if visit is not None:
            self.in_progress.discard(visit.sid)
        if (
            visit is None
            or body.get("AuthData") != "loginPassword"
            or body.get("Name") != self.username
        ):
            return web.json_response({"p_status": "Fail", "p_waitTime": 0})
        if self.locked:
            remaining = round((self.locked_until or 0) - time.monotonic())
            return web.json_response({"p_status": "Lockout", "p_waitTime": remaining})
        key = _pbkdf2(self.password.encode(), visit.salt)
        # A 16-byte IV and a short message: SJCL uses the IV's first 13 bytes.
        nonce = visit.iv[:13]
        try:
            plain = AESCCM(key, tag_length=16).decrypt(
                nonce, bytes.fromhex(body["EncryptData"]), b"loginPassword"
            )
            credentials = json.loads(plain)
        except (InvalidTag, ValueError, KeyError):
            self._fail_login()
            if self.locked_until is not None:  # this failure started the lockout
                return web.json_response(
                    {"p_status": "Lockout", "p_waitTime": self.lockout_seconds}
                )
            return web.json_response({"p_status": "Fail", "p_waitTime": 0})
        if credentials != {"Password": self.password, "Nonce": visit.extra["session_id"]}:
            return web.json_response({"p_status": "Fail", "p_waitTime": 0})
        visit.token = secrets.token_hex(16)
        visit.credential = secrets.token_urlsafe(24)
        self._start_session(visit)
        sealed = AESCCM(key, tag_length=16).encrypt(nonce, visit.token.encode(), b"nonce")
        if self.login_answer is not None:
            return web.json_response(self.login_answer)
        return web.json_response(
            {"p_status": "AdminMatch", "encryptData": sealed.hex(), "p_waitTime": 0}
        )

    async def _tg_session(self, request: web.Request) -> web.Response:
        session = self.session
        if (
            session is None
            or request.cookies.get(SESSION_COOKIE) != session.sid
            or request.headers.get("csrfNonce") != session.token
        ):
            return web.Response(status=403, text="Forbidden")
        session.active = True
        return web.json_response({"LoginStatus": "yes"})

    async def _tg_script(self, request: web.Request) -> web.Response:
        session = self.session
        if session is None or request.cookies.get(SESSION_COOKIE) != session.sid:
            return web.Response(status=302, headers={"Location": "/"})
        return web.Response(
            text=self.script_body or tg_base_script(session.credential),
            content_type="application/javascript",
        )

    async def _tg_docsis(self, request: web.Request) -> web.Response:
        if not self._tg_authorized(request) or self._expired_now(request):
            return web.Response(status=302, headers={"Location": "/"})
        return await self._data(TG_DOCSIS_PAGE, "text/html")

    async def _tg_device(self, request: web.Request) -> web.Response:
        if not self._tg_authorized(request) or self._expired_now(request):
            return web.Response(status=302, headers={"Location": "/"})
        return await self._data(TG_STATUS_PAGE, "text/html")

    async def _tg_logout(self, request: web.Request) -> web.Response:
        if self._tg_authorized(request):
            self.session = None
            self.logouts += 1
        return web.Response(text="")


@pytest.fixture(name="cga_station")
async def cga_station_fixture(socket_enabled: None) -> AsyncGenerator[VodafoneStationSimulator]:
    """A running CGA station."""
    simulator = VodafoneStationSimulator("cga")
    await simulator.start()
    yield simulator
    await simulator.close()


@pytest.fixture(name="tg_station")
async def tg_station_fixture(socket_enabled: None) -> AsyncGenerator[VodafoneStationSimulator]:
    """A running TG station."""
    simulator = VodafoneStationSimulator("tg")
    await simulator.start()
    yield simulator
    await simulator.close()
