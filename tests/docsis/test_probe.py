"""Recognising the modem family from its unauthenticated pages.

``classify`` is checked on crafted answers (no network); ``detect_modem`` runs
against each simulator on 127.0.0.1 and must never send a login.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Mapping
from functools import partial
import json
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.docsight.docsis.drivers import MODEM_TYPES, ModemConnectionError
from custom_components.docsight.docsis.probe import (
    ARRIS_LOGIN,
    CGA_API,
    COMPAL_SETTINGS,
    FRITZ_LOGIN,
    ROOT,
    Answer,
    Detection,
    classify,
    detect_modem,
)
from tests.ha.jsonmodem import (
    JsonModemSimulator,
    Mode,
    json_modem_fixture,  # noqa: F401 - the json_modem fixture
)
from tests.sim import arris_cm8200 as cm8200_sim, arris_surfboard as surfboard_sim
from tests.sim.arris_cm3500 import (
    ArrisCM3500Simulator,
    cm3500_modem_fixture,  # noqa: F401 - the cm3500_modem fixture
)
from tests.sim.compal import (
    CompalSimulator,
    compal_modem_fixture,  # noqa: F401 - the compal_modem fixture
    compal_play_modem_fixture,  # noqa: F401 - the compal_play_modem fixture
)
from tests.sim.fritzbox import (
    FritzBoxSimulator,
    fritzbox_sim_fixture,  # noqa: F401 - the fritzbox_sim fixture
)
from tests.sim.loopback import HOST, unused_port
from tests.sim.netgear_cm3000 import CM3000Simulator
from tests.sim.ultrahub7 import UltraHub7Simulator
from tests.sim.vodafone_station import (
    CGA_INDEX,
    VodafoneStationSimulator,
    tg_login_page,
)

SESSION_INFO = (
    b'<?xml version="1.0" encoding="utf-8"?><SessionInfo><SID>0000000000000000</SID>'
    b"<Challenge>2$60000$abcd$6000$ef01</Challenge><BlockTime>0</BlockTime>"
    b"<Rights></Rights></SessionInfo>"
)
COMPAL_SETTINGS_PAGE = (
    '<?xml version="1.0" encoding="utf-8"?><GlobalSettings><SwVersion>CH7465MT-NCIP-6.15</SwVersion>'
    "<ConfigVenderModel>{model}</ConfigVenderModel><LockedOut>Disable</LockedOut></GlobalSettings>"
)
NETGEAR_FORM = (
    "<html><head><title>NETGEAR Router CM3000</title></head><body>"
    '<form method="POST" action="/goform/Login?id=1"><input name="loginName"></form></body></html>'
)
CM3500_LOGIN_PAGE = (
    '<html><head><title>Touchstone Login</title></head><body class="CM3500"></body></html>'
)
READING = {"read_at": "2026-03-17T12:00:00Z", "device": {}, "downstream": [], "upstream": []}


def _page(
    text: str,
    status: int = 200,
    *,
    redirects: tuple[str, ...] = (),
    cookies: Mapping[str, str] | None = None,
) -> Answer:
    return Answer(status, text.encode(), redirects=redirects, cookies=cookies or {})


# --- classify (pure) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "modem_type", "evidence"),
    [
        pytest.param(
            {ROOT: _page(json.dumps(READING))}, "json_http", "DOCSight reading", id="json"
        ),
        pytest.param(
            {ROOT: _page(tg_login_page("abc", "00" * 16, "11" * 8))},
            "vodafone_station",
            "(TG)",
            id="tg",
        ),
        pytest.param({ROOT: _page(CGA_INDEX)}, "vodafone_station", "(CGA)", id="cga-page"),
        pytest.param(
            {
                ROOT: _page("<html/>", status=404),
                FRITZ_LOGIN: None,
                CGA_API: _page('{"error": "error", "message": "session expired"}', status=401),
            },
            "vodafone_station",
            "session API",
            id="cga-api",
        ),
        pytest.param(
            {ROOT: _page("<html/>", status=404), FRITZ_LOGIN: Answer(200, SESSION_INFO)},
            "fritzbox",
            "login_sid.lua answered with a FRITZ!Box SessionInfo",
            id="fritzbox",
        ),
        pytest.param(
            {
                ROOT: _page("<html/>", redirects=("/common_page/login.html",)),
                COMPAL_SETTINGS: None,
            },
            "ch7465",
            "sessionToken",
            id="compal-redirect-no-settings",
        ),
        pytest.param(
            {
                ROOT: _page("<html/>", cookies={"sessionToken": "1"}),
                COMPAL_SETTINGS: _page(COMPAL_SETTINGS_PAGE.format(model="CH7465MT-AT")),
            },
            "ch7465",
            "CH7465MT-AT",
            id="compal",
        ),
        pytest.param(
            {
                ROOT: _page("<html/>", cookies={"sessionToken": "1"}),
                COMPAL_SETTINGS: _page(COMPAL_SETTINGS_PAGE.format(model="CH7465LG-PLAY")),
            },
            "ch7465_play",
            "PLAY firmware",
            id="compal-play",
        ),
        pytest.param(
            {
                ROOT: _page("<html/>", cookies={"sessionToken": "1"}),
                COMPAL_SETTINGS: _page("<html>login</html>"),
            },
            "ch7465",
            "sessionToken",
            id="compal-settings-unreadable",
        ),
        pytest.param(
            {
                ROOT: _page("<html/>", cookies={"sessionToken": "1"}),
                COMPAL_SETTINGS: _page("", status=302),
            },
            "ch7465",
            "sessionToken",
            id="compal-settings-redirected",
        ),
        pytest.param(
            {ROOT: Answer(401, b"401", realm="NETGEAR CM3000")},
            "cm3000",
            "asks for a login as a NETGEAR CM3000",
            id="cm3000-basic",
        ),
        pytest.param(
            {ROOT: _page(NETGEAR_FORM)},
            "cm3000",
            "login form of a NETGEAR CM3000",
            id="cm3000-form",
        ),
        pytest.param({ROOT: _page(CM3500_LOGIN_PAGE)}, "cm3500", "start page", id="cm3500-root"),
        pytest.param(
            {ROOT: _page(surfboard_sim.LOGIN_HTML)}, "surfboard", "HNAP login", id="surfboard-hnap"
        ),
        pytest.param(
            {ROOT: _page(surfboard_sim.HTML_LOGIN_PAGE)},
            "surfboard",
            "SURFboard SB8200",
            id="sb8200-html",
        ),
        pytest.param(
            {ROOT: _page(cm8200_sim.LOGIN_PAGE)}, "cm8200", "an Arris CM8200A", id="cm8200"
        ),
        pytest.param(
            {
                ROOT: _page("<html/>", status=404),
                FRITZ_LOGIN: None,
                CGA_API: None,
                ARRIS_LOGIN: _page(CM3500_LOGIN_PAGE),
            },
            "cm3500",
            "/cgi-bin/login_cgi",
            id="cm3500-login-form",
        ),
    ],
)
def test_classify_recognises(
    answers: dict[str, Answer | None], modem_type: str, evidence: str
) -> None:
    detection = classify(answers)

    assert detection.modem_type == modem_type
    assert modem_type in MODEM_TYPES
    assert evidence in detection.evidence


@pytest.mark.parametrize(
    ("answers", "evidence"),
    [
        pytest.param({}, "nothing answered", id="no-probes"),
        pytest.param({ROOT: None, FRITZ_LOGIN: None}, "nothing answered", id="no-answers"),
        pytest.param(
            {ROOT: _page("Unauthorized", status=401)}, "HTTP authentication", id="basic-auth"
        ),
        pytest.param(
            {ROOT: _page('{"status": "ok"}')}, "JSON, but not a DOCSight reading", id="other-json"
        ),
        pytest.param(
            {
                ROOT: _page("<html><body>Some router</body></html>"),
                FRITZ_LOGIN: _page("<html>not here</html>"),
                CGA_API: _page('{"status": "nope"}'),
            },
            "(HTTP 200), but like none",
            id="other-router",
        ),
        pytest.param(
            {ROOT: None, FRITZ_LOGIN: _page("", status=404), CGA_API: _page("{}", status=500)},
            "(no answer), but like none",
            id="only-errors",
        ),
        pytest.param(
            {ROOT: _page("<SessionInfo/>"), FRITZ_LOGIN: _page("x", status=403)},
            "like none",
            id="fritz-refused",
        ),
        pytest.param(
            {ROOT: Answer(401, b"", realm="NETGEAR C7000v2")},
            "Netgear C7000v2 answered; that model is not supported",
            id="other-netgear",
        ),
        pytest.param(
            {ROOT: _page("<html/>", status=404), ARRIS_LOGIN: _page(CM3500_LOGIN_PAGE, 404)},
            "like none",
            id="cm3500-page-as-error",
        ),
        pytest.param(
            {
                ROOT: _page('<script src="js/SOAP/SOAPAction.js"></script>Motorola MB8611'),
                FRITZ_LOGIN: None,
            },
            "(HTTP 200), but like none",
            id="motorola-hnap",
        ),
        pytest.param(
            {ROOT: _page(surfboard_sim.LOGIN_HTML, status=500)},
            "(HTTP 500), but like none",
            id="surfboard-page-as-error",
        ),
        pytest.param(
            {ROOT: _page(NETGEAR_FORM.replace("CM3000", "CM1000"))},
            "(HTTP 200), but like none",
            id="other-netgear-form",
        ),
    ],
)
def test_classify_finds_nothing(answers: dict[str, Answer | None], evidence: str) -> None:
    detection = classify(answers)

    assert detection == Detection(None, detection.evidence)
    assert evidence in detection.evidence


def test_answer_text_survives_bad_bytes() -> None:
    assert Answer(200, b"Passwort f\xfcr").text == "Passwort f\ufffdr"


# --- detect_modem against the simulators ------------------------------------------


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """A client session of our own (Home Assistant's is not needed here)."""
    async with aiohttp.ClientSession() as client:
        yield client


async def test_detects_a_fritzbox(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    detection = await detect_modem(session, fritzbox_sim.url)

    assert detection == Detection("fritzbox", "login_sid.lua answered with a FRITZ!Box SessionInfo")
    assert fritzbox_sim.logins == 0
    assert fritzbox_sim.failures == 0
    assert fritzbox_sim.hits["login_sid"] == 1


async def test_detects_an_ultrahub7(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    hub = UltraHub7Simulator()
    await hub.start()
    try:
        detection = await detect_modem(session, hub.url)
    finally:
        await hub.close()
    assert detection.modem_type == "ultrahub7"
    assert "csrf token" in detection.evidence.lower()


async def test_detects_a_compal(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    detection = await detect_modem(session, compal_modem.url + "/")

    assert detection.modem_type == "ch7465"
    assert "answered its settings page" in detection.evidence
    assert compal_modem.login_forms == []
    assert ("getter", 1) in compal_modem.calls
    assert not any(kind == "setter" for kind, _ in compal_modem.calls)


async def test_detects_a_compal_with_play_firmware(
    compal_play_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    detection = await detect_modem(session, compal_play_modem.url)

    assert detection.modem_type == "ch7465_play"
    assert "CH7465LG-PLAY" in detection.evidence
    assert compal_play_modem.login_forms == []


@pytest.mark.parametrize("variant", ["cga", "tg"])
async def test_detects_both_vodafone_station_variants(
    session: aiohttp.ClientSession, variant: str
) -> None:
    station = VodafoneStationSimulator(variant)
    await station.start()
    try:
        detection = await detect_modem(session, station.url)
    finally:
        await station.close()

    assert detection.modem_type == "vodafone_station"
    assert f"({variant.upper()})" in detection.evidence
    assert station.requests == [("GET", "/")]
    assert station.logins == 0
    assert station.failures == 0


async def test_detects_a_cga_station_by_its_api(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """A CGA whose start page does not say "Vodafone Station" still has its API."""
    station = VodafoneStationSimulator("cga")
    await station.start()
    try:
        station_url = station.url
        app = web.Application()

        async def proxy_menu(request: web.Request) -> web.Response:
            async with session.get(f"{station_url}/api/v1/session/menu") as response:
                return web.Response(
                    status=response.status, body=await response.read(), content_type="text/plain"
                )

        app.router.add_get("/api/v1/session/menu", proxy_menu)
        server = TestServer(app, host=HOST)
        await server.start_server()
        try:
            detection = await detect_modem(session, str(server.make_url("/")))
        finally:
            await server.close()
    finally:
        await station.close()

    assert detection.modem_type == "vodafone_station"
    assert "session API" in detection.evidence
    assert station.logins == 0


async def test_detects_a_json_endpoint(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession
) -> None:
    detection = await detect_modem(session, json_modem.url)

    assert detection == Detection("json_http", "the URL serves a DOCSight reading as JSON")
    assert json_modem.requests == 1


async def test_json_that_is_no_reading_is_not_detected(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession
) -> None:
    json_modem.mode = Mode.NOT_A_READING

    detection = await detect_modem(session, json_modem.url)

    assert detection.modem_type is None
    assert "JSON, but not a DOCSight reading" in detection.evidence


async def test_an_unknown_page_is_not_detected(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    other = VodafoneStationSimulator("none")
    await other.start()
    try:
        detection = await detect_modem(session, other.url.removeprefix("http://"))
    finally:
        await other.close()

    assert detection.modem_type is None
    assert "like none of the known modems" in detection.evidence
    assert other.paths() == [
        "/",
        "/login_sid.lua",
        "/api/v1/session/menu",
        "/api/config/details.jst",
        "/cgi-bin/login_cgi",
    ]


async def test_nothing_listening_raises(session: aiohttp.ClientSession) -> None:
    with pytest.raises(ModemConnectionError, match="nothing answered"):
        await detect_modem(session, f"http://{HOST}:{unused_port()}")


async def test_a_silent_device_times_out(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    app = web.Application()

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    app.router.add_get("/", hang)
    server = TestServer(app, host=HOST)
    await server.start_server()
    try:
        with pytest.raises(ModemConnectionError):
            await detect_modem(session, str(server.make_url("/")), timeout=0.2)
    finally:
        await server.close()


async def test_detects_a_cm3500_by_its_login_form(
    cm3500_modem: ArrisCM3500Simulator, session: aiohttp.ClientSession
) -> None:
    detection = await detect_modem(session, cm3500_modem.url)

    assert detection.modem_type == "cm3500"
    assert cm3500_modem.calls == ["GET /cgi-bin/login_cgi"]
    assert cm3500_modem.login_forms == []


@pytest.mark.parametrize("mode", ["basic", "form"])
async def test_detects_a_cm3000_in_both_login_modes(
    mode: str, session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    modem = CM3000Simulator(mode)
    await modem.start()
    try:
        detection = await detect_modem(session, modem.url)
    finally:
        await modem.close()
    assert detection.modem_type == "cm3000"
    assert modem.logins == 0
    assert "login" not in modem.calls


@pytest.mark.parametrize(
    ("factory", "modem_type"),
    [
        pytest.param(
            partial(surfboard_sim.ArrisSurfboardSimulator, tls=True), "surfboard", id="hnap"
        ),
        pytest.param(
            partial(surfboard_sim.ArrisSurfboardSimulator, hnap=False), "surfboard", id="html"
        ),
        pytest.param(partial(cm8200_sim.ArrisCM8200Simulator, tls=True), "cm8200", id="cm8200"),
    ],
)
async def test_detects_arris_modems_over_their_tls(
    factory: Callable[[], Any],
    modem_type: str,
    session: aiohttp.ClientSession,
    socket_enabled: None,
) -> None:
    modem = factory()
    await modem.start()
    try:
        detection = await detect_modem(session, modem.url)
    finally:
        await modem.close()
    assert detection.modem_type == modem_type
