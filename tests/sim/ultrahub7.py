"""A Vodafone Ultra Hub 7 (Sercomm) on 127.0.0.1, for driving the real driver.

**The pages are not captures.**  No capture of an Ultra Hub 7 is in
``shared/fixtures`` (the Sercomm DM1000 there is a different interface), so
the answers below are built from the protocol notes in
``shared/docs/modem-protocols.md`` ("ultrahub7"): the same endpoints, field
names and value formats ("264 MHz", "15.1 dBmV", "41.9 dB"), with made-up but
plausible values.  Where the notes are silent these are our assumptions: the
exact JSON around the fields, the lockout answer
(``X_INTERNAL_Password_Status: "Locked"`` with ``X_INTERNAL_Remaining_Time``),
the logout endpoint ``/api/users/logout.jst``, and the answer to an expired
session (HTTP 401).

The login is real: the simulator derives the key and decrypts the SJCL
envelope with its own code (``hashlib``, ``base64`` and ``AESCCM`` directly,
not the parser under test), checks the ``DUKSID`` cookie and the
``csrf_token`` and compares the password.  Like the real hub it keeps one
session at a time: a login while another client's session is open ends that
session and answers ``X_INTERNAL_Is_Duplicate: "true"`` without opening a new
one, so the client has to log in once more.  It locks logins after
``max_failures`` wrong passwords, and has knobs for failures: a delay (for
timeouts), truncated or garbage pages, server errors, throttling, forced
duplicate answers, and a session that ends in the middle of a poll.

Tests must request ``socket_enabled`` (the fixture here does).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator
from dataclasses import dataclass
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

USERNAME = "admin"  # the hub's web UI has a password only; kept for a uniform test API
PASSWORD = "Geheim-123!"
SESSION_COOKIE = "DUKSID"
INTERNAL_ID = "3"
# 10 characters of salt_web_ui, then the salt.
WEB_UI_SECRET = "Q3xk9TzB2mf1c2d3e4f5a6b7c8d9e0f1a2b"

# ----------------------------------------------------------------- pages (built from the notes)

DOWNSTREAM_LIST: dict[str, Any] = {
    "channels": [
        {
            "__id": "1",
            "ChannelID": "1",
            "Frequency": "114 MHz",
            "Modulation": "256QAM",
            "PowerLevel": "5.2 dBmV",
            "SNRLevel": "40.4 dB",
            "LockStatus": "Locked",
        },
        {
            "__id": "2",
            "ChannelID": "2",
            "Frequency": "122  MHz",
            "Modulation": "256QAM",
            "PowerLevel": "4.9 dBmV",
            "SNRLevel": "40.1 dB",
            "LockStatus": "Locked",
        },
        {
            "__id": "3",
            "ChannelID": "3",
            "Frequency": "130 MHz",
            "Modulation": "64QAM",
            "PowerLevel": "-0.8 dBmV",
            "SNRLevel": "0 dB",
            "LockStatus": "Not Locked",
        },
        {
            "__id": "4",
            "ChannelID": "33",
            "Frequency": "751 MHz",
            "Modulation": "OFDM",
            "PowerLevel": "2.1 dBmV",
            "SNRLevel": "41.9 dB",
            "LockStatus": "Locked",
        },
    ]
}

UPSTREAM_LIST: dict[str, Any] = {
    "channels": [
        {
            "__id": "1",
            "ChannelID": "1",
            "Frequency": "51  MHz",
            "Modulation": "64QAM",
            "PowerLevel": "44.3 dBmV",
            "SNRLevel": "",
            "LockStatus": "Locked",
        },
        {
            "__id": "2",
            "ChannelID": "2",
            "Frequency": "44.4 MHz",
            "Modulation": "64QAM",
            "PowerLevel": "43.8 dBmV",
            "SNRLevel": "",
            "LockStatus": "Locked",
        },
        {
            "__id": "3",
            "ChannelID": "9",
            "Frequency": "29.8 MHz",
            "Modulation": "OFDMA",
            "PowerLevel": "41.0 dBmV",
            "SNRLevel": "",
            "LockStatus": "Locked",
        },
    ]
}

GARBAGE_PAGE = "<html><body><h1>Bitte warten ...</h1></body></html>"


def config_details(csrf_token: str, internal_id: str = INTERNAL_ID) -> dict[str, Any]:
    """Return the answer of ``/api/config/details.jst`` for one visit."""
    return {
        "X_RDK_ONT_Veip_1_OperationalState": "Up",
        "X_INTERNAL_ID": internal_id,
        "csrf_token": csrf_token,
    }


def sjcl_nonce(iv: bytes, message_length: int) -> bytes:
    """Return the CCM nonce SJCL takes from an IV (written apart from the parser)."""
    length_field = 2 if message_length < 1 << 16 else 3 if message_length < 1 << 24 else 4
    length_field = max(length_field, 15 - len(iv))
    return iv[: 15 - length_field]


def decrypt_password(envelope_json: str, secret: str = WEB_UI_SECRET) -> str:
    """Undo the web UI's password encryption; ValueError if anything does not fit."""
    envelope = json.loads(envelope_json)
    expected = {"v": 1, "iter": 1000, "ks": 128, "ts": 64, "mode": "ccm", "adata": ""}
    if {key: envelope.get(key) for key in expected} != expected or envelope.get("cipher") != "aes":
        raise ValueError("unexpected SJCL parameters")
    iv = base64.b64decode(envelope["iv"], validate=True)
    sealed = base64.b64decode(envelope["ct"], validate=True)
    if len(iv) != 16 or len(sealed) < 8:
        raise ValueError("bad IV or ciphertext")
    key = hashlib.pbkdf2_hmac("sha256", secret[:10].encode(), secret[10:].encode(), 1000, 16)
    try:
        plain = AESCCM(key, tag_length=8).decrypt(sjcl_nonce(iv, len(sealed) - 8), sealed, None)
    except InvalidTag as err:
        raise ValueError("tag mismatch") from err
    return plain.decode()


@dataclass
class _Visit:
    sid: str
    csrf_token: str


class UltraHub7Simulator(LoopbackServer):
    """An Ultra Hub 7 ("none" mode: some other web server that knows no /api)."""

    def __init__(
        self,
        *,
        password: str = PASSWORD,
        max_failures: int = 3,
        lockout_seconds: int = 120,
        other_server: bool = False,
    ) -> None:
        """Set up the routes; the server starts with :meth:`start`."""
        self.password = password
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds
        self.other_server = other_server
        # Knobs
        self.delay = 0.0  # seconds before answering a data page
        self.page_mode = "ok"  # ok | truncated | garbage | server_error | throttled
        self.expire_on: str | None = None  # a data path whose next request finds the session gone
        self.expire_count = 1  # how many times that happens
        self.duplicates_to_answer = 0  # logins answered "duplicate" although nobody else is in
        self.downstream: dict[str, Any] = json.loads(json.dumps(DOWNSTREAM_LIST))
        self.upstream: dict[str, Any] = json.loads(json.dumps(UPSTREAM_LIST))
        # What happened
        self.requests: list[tuple[str, str]] = []
        self.logins = 0
        self.logouts = 0
        self.duplicates = 0
        self.failures = 0
        self.locked_until: float | None = None
        self.in_progress: set[str] = set()  # visits between the first and the last login step
        self.overlapping_logins = 0
        self.visits: dict[str, _Visit] = {}
        self.session: _Visit | None = None
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
        handler = (
            None
            if self.other_server
            else {
                ("GET", "/api/config/details.jst"): self._config_details,
                ("GET", "/api/users/details.jst"): self._user_details,
                ("POST", "/api/users/login.jst"): self._login,
                ("POST", "/api/users/logout.jst"): self._logout,
                ("GET", "/api/docsis/downstream/list.jst"): self._downstream,
                ("GET", "/api/docsis/upstream/list.jst"): self._upstream,
            }.get((request.method, request.path))
        )
        if handler is None:
            return web.Response(status=404, text="Not Found")
        if request.headers.get("X-Requested-With") != "XMLHttpRequest":
            return web.Response(status=403, text="Forbidden")
        return await handler(request)

    def _visit(self, request: web.Request) -> _Visit | None:
        return self.visits.get(request.cookies.get(SESSION_COOKIE, ""))

    def _authorized(self, request: web.Request) -> bool:
        session = self.session
        return session is not None and request.cookies.get(SESSION_COOKIE) == session.sid

    def _fail_login(self) -> None:
        self.failures += 1
        if self.failures >= self.max_failures:
            self.locked_until = time.monotonic() + self.lockout_seconds

    def _expired_now(self, request: web.Request) -> bool:
        if self.expire_on == request.path and self.expire_count > 0:
            self.expire_count -= 1
            self.session = None
            return True
        return False

    @staticmethod
    def _unauthorized() -> web.Response:
        return web.json_response({"error": "unauthorized"}, status=401)

    async def _data(self, document: dict[str, Any]) -> web.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.page_mode == "throttled":
            return web.Response(status=429, text="Too Many Requests")
        if self.page_mode == "server_error":
            return web.Response(status=500, text="Internal Server Error")
        if self.page_mode == "garbage":
            return web.Response(text=GARBAGE_PAGE, content_type="text/html")
        body = json.dumps(document)
        if self.page_mode == "truncated":
            body = body[: len(body) // 2]
        return web.Response(text=body, content_type="application/json")

    # ----------------------------------------------------------------- login

    async def _config_details(self, request: web.Request) -> web.Response:
        if request.query.get("X_INTERNAL_FIELDS") != "X_RDK_ONT_Veip_1_OperationalState":
            return web.json_response({"error": "bad request"}, status=400)
        visit = _Visit(sid=secrets.token_hex(16), csrf_token=secrets.token_hex(16))
        self.visits[visit.sid] = visit
        if self.in_progress:
            self.overlapping_logins += 1
        self.in_progress.add(visit.sid)
        response = web.json_response(config_details(visit.csrf_token))
        response.set_cookie(SESSION_COOKIE, visit.sid)
        return response

    async def _user_details(self, request: web.Request) -> web.Response:
        if self._visit(request) is None:
            return self._unauthorized()
        if (
            request.query.get("__id") != INTERNAL_ID
            or request.query.get("X_INTERNAL_FIELDS") != "X_VODAFONE_WebUISecret"
        ):
            return web.json_response({"error": "bad request"}, status=400)
        return web.json_response({"__id": INTERNAL_ID, "X_VODAFONE_WebUISecret": WEB_UI_SECRET})

    async def _login(self, request: web.Request) -> web.Response:
        visit = self._visit(request)
        form = await request.post()
        if visit is not None:
            self.in_progress.discard(visit.sid)
        if visit is None or form.get("csrf_token") != visit.csrf_token:
            return web.json_response({"error": "invalid csrf_token"}, status=403)
        if form.get("__id") != INTERNAL_ID:
            return web.json_response({"error": "bad request"}, status=400)
        if self.locked:
            remaining = round((self.locked_until or 0) - time.monotonic())
            return web.json_response(
                {"X_INTERNAL_Password_Status": "Locked", "X_INTERNAL_Remaining_Time": remaining}
            )
        try:
            password = decrypt_password(str(form.get("X_VODAFONE_Password", "")))
        except (ValueError, KeyError, TypeError):
            password = None
        if password != self.password:
            self._fail_login()
            return web.json_response(
                {"X_INTERNAL_Password_Status": "Invalid_PWD", "X_INTERNAL_Is_Duplicate": "false"}
            )
        self.failures = 0
        del self.visits[visit.sid]
        other = self.session is not None and self.session.sid != visit.sid
        if other or self.duplicates_to_answer > 0:
            self.duplicates_to_answer = max(self.duplicates_to_answer - 1, 0)
            self.duplicates += 1
            if form.get("Push") == "true":
                self.session = None  # pushed out; the next login gets the hub
            return web.json_response(
                {"X_INTERNAL_Password_Status": "Valid_PWD", "X_INTERNAL_Is_Duplicate": "true"}
            )
        visit.csrf_token = secrets.token_hex(16)
        self.session = visit
        self.logins += 1
        return web.json_response(
            {
                "X_INTERNAL_Password_Status": "Valid_PWD",
                "X_INTERNAL_Is_Duplicate": "false",
                "csrf_token": visit.csrf_token,
            }
        )

    async def _logout(self, request: web.Request) -> web.Response:
        form = await request.post()
        if self._authorized(request) and self.session is not None:
            if form.get("csrf_token") != self.session.csrf_token:
                return web.json_response({"error": "invalid csrf_token"}, status=403)
            self.session = None
            self.logouts += 1
        return web.json_response({})

    # ----------------------------------------------------------------- data

    async def _downstream(self, request: web.Request) -> web.Response:
        if not self._authorized(request) or self._expired_now(request):
            return self._unauthorized()
        return await self._data(self.downstream)

    async def _upstream(self, request: web.Request) -> web.Response:
        if not self._authorized(request) or self._expired_now(request):
            return self._unauthorized()
        return await self._data(self.upstream)


@pytest.fixture(name="ultrahub7")
async def ultrahub7_fixture(socket_enabled: None) -> AsyncGenerator[UltraHub7Simulator]:
    """A running Ultra Hub 7."""
    simulator = UltraHub7Simulator()
    await simulator.start()
    yield simulator
    await simulator.close()
