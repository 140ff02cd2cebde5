"""A real HTTP(S) server on 127.0.0.1 that plays an Arris SURFboard (S33/S34/SB8200).

It checks the HNAP login with its own HMAC (built here from hashlib with the
RFC 2104 pads, not the driver's or the hmac module's code):

* ``POST /HNAP1/`` ``Login`` ``request`` answers a fresh Challenge, Cookie
  and PublicKey; ``login`` accepts LoginPassword = HMAC(HMAC(PublicKey +
  password, Challenge), Challenge) under the cookie ``uid`` and a correct
  ``HNAP_AUTH``, with the simulator's hash (SHA-256 or MD5).  After
  ``lock_after`` wrong logins every login answers ``LOCKUP``;
* ``GetMultipleHNAPs`` checks the ``uid`` and ``PrivateKey`` cookies and the
  ``HNAP_AUTH`` signature (HMAC(PrivateKey, timestamp + SOAPACTION)), answers
  ``UN-AUTH`` for an unknown session, and HTTP 500 for the actions of the
  namespace the firmware does not have;
* with ``hnap=False`` (old SB8200 firmware) ``/HNAP1/`` is 404 and
  ``GET /cmconnectionstatus.html?login_<base64(user:pw)>`` answers a token,
  ``?ct_<token>`` the status page;
* ``GET /`` is the login page the web app starts from.

The answers are small synthetic ones unless replaced (``answers`` maps an
action to its response object; ``status_page`` is the HTML fallback page).
Knobs: ``statuses`` (answer a path with this HTTP status), ``delay``,
``reloads`` (answer RELOAD this many times), ``garbage`` (answer
GetMultipleHNAPs with these bytes), ``login_answer`` (answer every login
with this), ``no_password`` (the status page is open to all), ``forget_login`` (a
session ends right after its login), :meth:`expire` (drop the sessions).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import AsyncGenerator
import hashlib
import json
import secrets
from typing import Any

from aiohttp import web
import pytest

from tests.sim.arris_cm8200 import STATUS_PAGE
from tests.sim.loopback import LoopbackServer

USERNAME = "admin"
PASSWORD = "surf-Board-7"
HNAP = "/HNAP1/"
STATUS = "/cmconnectionstatus.html"
SOAP_URI = "http://purenetworks.com/HNAP1/"
PRE_LOGIN_KEY = "withoutloginkey"

DOWNSTREAM = (
    "1^Locked^256QAM^17^483000000^ 7.3^39.0^34^0^|+|"
    "2^Not Locked^Unknown^0^0^-60.0^ 7.3^0^0^|+|"
    "3^Locked^256QAM^14^465000000^-2.6^38.6^4^1^|+|"
    "4^Locked^OFDM PLC^33^690000000^ 4.7^40.0^1224629527^717^"
)
UPSTREAM = (
    "1^Locked^SC-QAM^3^6400000^22800000^37.8^|+|"
    "2^Locked^OFDMA^41^44400000^36200000^43.8^|+|"
    "3^Not Locked^Unknown^0^0^0^-inf^"
)
LOGIN_HTML = """<html><head><title>Login</title>
<script type="text/javascript" src="./js/SOAP/SOAPAction.js?V=M2"></script></head>
<body><a href="https://www.surfboard.com/">SURFboard</a></body></html>"""
HTML_LOGIN_PAGE = """<html><body><span id="thisModelNumberIs">SB8200</span>
<form><input type="password" id="password"></form></body></html>"""


def hmac_hex(algorithm: str, key: str, message: str) -> str:
    """Return HMAC(key, message) in upper-case hex, from the hash function alone."""
    block = 64  # both MD5 and SHA-256 work on 64-byte blocks
    raw = key.encode()
    if len(raw) > block:
        raw = hashlib.new(algorithm, raw).digest()
    raw = raw.ljust(block, b"\0")
    inner = hashlib.new(algorithm, bytes(b ^ 0x36 for b in raw) + message.encode()).digest()
    return hashlib.new(algorithm, bytes(b ^ 0x5C for b in raw) + inner).hexdigest().upper()


def default_answers(namespace: str) -> dict[str, dict[str, Any]]:
    """Return synthetic answers of the status actions in a namespace."""
    answers: dict[str, dict[str, Any]] = {
        f"Get{namespace}StatusDownstreamChannelInfo": {
            f"{namespace}ConnDownstreamChannel": DOWNSTREAM
        },
        f"Get{namespace}StatusUpstreamChannelInfo": {f"{namespace}ConnUpstreamChannel": UPSTREAM},
        f"Get{namespace}StatusStartupSequence": {f"{namespace}ConnBootStatus": "OK"},
        f"Get{namespace}StatusConnectionInfo": {
            "StatusSoftwareModelName": "S34",
            f"{namespace}ConnSystemUpTime": "2 days 03h:04m:05s",
        },
        "GetArrisDeviceStatus": {"FirmwareVersion": "AT01.01.010.042324_S3.04.735"},
        "GetMotoStatusSoftware": {
            "StatusSoftwareSfVer": "AB01.02.053.05_080901_193.0A.NSH",
            "StatusSoftwareSpecVer": "DOCSIS 3.1",
        },
    }
    return answers


class ArrisSurfboardSimulator(LoopbackServer):
    """An aiohttp application speaking the SURFboard HNAP (or status page) protocol."""

    def __init__(
        self,
        username: str = USERNAME,
        password: str = PASSWORD,
        *,
        algorithm: str = "sha256",
        namespace: str = "Customer",
        hnap: bool = True,
        tls: bool = False,
        lock_after: int = 3,
    ) -> None:
        """Prepare the answers; the server starts with :meth:`start`."""
        self.username = username
        self.password = password
        self.algorithm = algorithm
        self.namespace = namespace
        self.hnap = hnap
        self.tls = tls
        self.lock_after = lock_after
        self.answers = default_answers(namespace)
        self.status_page = STATUS_PAGE.replace("CM8200A", "SB8200")
        self.statuses: dict[str, int] = {}
        self.delay = 0.0
        self.reloads = 0
        self.garbage: bytes | None = None
        self.login_answer: dict[str, str] | None = None
        self.no_password = False
        self.forget_login = False
        self.locked = False
        self.failed_logins = 0
        self.logins = 0
        self.login_requests = 0
        self.polls = 0
        self.sessions: dict[str, str] = {}  # uid -> PrivateKey
        self.html_tokens: set[str] = set()
        self._challenges: dict[str, tuple[str, str]] = {}  # uid -> (Challenge, PublicKey)
        self.calls: list[str] = []
        app = web.Application()
        app.router.add_post(HNAP, self._hnap)
        app.router.add_get(STATUS, self._status)
        app.router.add_get("/", self._root)
        self.serve(app)

    def expire(self) -> None:
        """End every session, as the modem does after a while."""
        self.sessions.clear()
        self.html_tokens.clear()

    # --- HNAP ----------------------------------------------------------------------

    def _signed(self, request: web.Request, key: str) -> bool:
        """Check HNAP_AUTH: HMAC(key, timestamp + SOAPACTION) and the timestamp."""
        signature, _, timestamp = request.headers.get("HNAP_AUTH", "").partition(" ")
        action = request.headers.get("SOAPACTION", "")
        if not timestamp.isdigit() or int(timestamp) >= 2 * 10**12:
            return False
        return signature == hmac_hex(self.algorithm, key, timestamp + action)

    async def _hnap(self, request: web.Request) -> web.StreamResponse:
        action = request.headers.get("SOAPACTION", "").strip('"').removeprefix(SOAP_URI)
        self.calls.append(f"HNAP {action}")
        if self.delay:
            await asyncio.sleep(self.delay)
        if not self.hnap:
            return web.Response(status=404, text="not found")
        if HNAP in self.statuses:
            return web.Response(status=self.statuses[HNAP], text="error")
        try:
            body = json.loads(await request.text())
        except ValueError:
            return web.Response(status=400, text="bad request")
        if action == "Login":
            answer = self._login(request, body["Login"])
            response = web.json_response({"LoginResponse": answer})
            if "Cookie" in answer:  # the web app sets it itself; the firmware does too
                response.set_cookie("uid", answer["Cookie"])
            return response
        if action == "GetMultipleHNAPs":
            return self._multiple(request, body["GetMultipleHNAPs"])
        return web.Response(status=404, text="unknown action")

    def _login(self, request: web.Request, login: dict[str, str]) -> dict[str, str]:
        if self.login_answer is not None:
            return self.login_answer
        if self.locked:
            return {"LoginResult": "LOCKUP"}
        if self.reloads:
            self.reloads -= 1
            return {"LoginResult": "RELOAD"}
        if login.get("Action") == "request":
            self.login_requests += 1
            if login.get("Username") != self.username:
                return {"LoginResult": "FAILED"}
            uid, challenge, public = (secrets.token_hex(10) for _ in range(3))
            self._challenges[uid] = (challenge, public)
            return {"LoginResult": "OK", "Challenge": challenge, "Cookie": uid, "PublicKey": public}
        uid = request.cookies.get("uid", "")
        challenge, public = self._challenges.pop(uid, ("", ""))
        key = hmac_hex(self.algorithm, public + self.password, challenge)
        if (
            challenge
            and request.cookies.get("PrivateKey") == key
            and self._signed(request, key)
            and login.get("LoginPassword") == hmac_hex(self.algorithm, key, challenge)
        ):
            self.logins += 1
            self.failed_logins = 0
            if not self.forget_login:
                self.sessions[uid] = key
            return {"LoginResult": "OK"}
        self.failed_logins += 1
        self.locked = self.failed_logins >= self.lock_after
        return {"LoginResult": "FAILED"}

    def _multiple(self, request: web.Request, actions: dict[str, str]) -> web.StreamResponse:
        key = self.sessions.get(request.cookies.get("uid", ""))
        if (
            key is None
            or request.cookies.get("PrivateKey") != key
            or not self._signed(request, key)
        ):
            return web.json_response(
                {"GetMultipleHNAPsResponse": {"GetMultipleHNAPsResult": "UN-AUTH"}}
            )
        if self.reloads:
            self.reloads -= 1
            return web.json_response(
                {"GetMultipleHNAPsResponse": {"GetMultipleHNAPsResult": "RELOAD"}}
            )
        other = "Moto" if self.namespace == "Customer" else "Customer"
        if any(name.startswith(f"Get{other}") for name in actions):
            # Firmware without this namespace's actions fails the whole call.
            return web.Response(status=500, text="Internal Server Error")
        self.polls += 1
        if self.garbage is not None:
            return web.Response(body=self.garbage, content_type="application/json")
        response: dict[str, Any] = {
            f"{name}Response": {**self.answers[name], f"{name}Result": "OK"}
            for name in actions
            if name in self.answers
        }
        response["GetMultipleHNAPsResult"] = "OK"
        return web.json_response({"GetMultipleHNAPsResponse": response})

    # --- status page (firmware without HNAP) ------------------------------------------

    async def _root(self, request: web.Request) -> web.StreamResponse:
        self.calls.append("GET /")
        page = LOGIN_HTML if self.hnap else HTML_LOGIN_PAGE
        return web.Response(text=page, content_type="text/html")

    async def _status(self, request: web.Request) -> web.StreamResponse:
        query = request.query_string
        self.calls.append(f"GET {STATUS}?{query.partition('_')[0]}")
        if self.delay:
            await asyncio.sleep(self.delay)
        if STATUS in self.statuses:
            return web.Response(status=self.statuses[STATUS], text="error")
        if self.no_password:
            return web.Response(text=self.status_page, content_type="text/html")
        if query.startswith("login_"):
            try:
                decoded = base64.b64decode(query.removeprefix("login_"), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            if decoded != f"{self.username}:{self.password}":
                return web.Response(text=HTML_LOGIN_PAGE, content_type="text/html")
            self.logins += 1
            token = secrets.token_hex(12)
            if not self.forget_login:
                self.html_tokens.add(token)
            return web.Response(text=token)
        if query.removeprefix("ct_") in self.html_tokens:
            return web.Response(text=self.status_page, content_type="text/html")
        return web.Response(text=HTML_LOGIN_PAGE, content_type="text/html")


@pytest.fixture(name="surfboard_modem")
async def surfboard_modem_fixture(socket_enabled: None) -> AsyncGenerator[ArrisSurfboardSimulator]:
    """A running SURFboard simulator (HNAP, SHA-256, Customer namespace, plain HTTP)."""
    simulator = ArrisSurfboardSimulator()
    await simulator.start()
    yield simulator
    await simulator.close()
