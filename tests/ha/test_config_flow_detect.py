"""The "Detect automatically" path of the config flow, against the simulators.

The user picks "auto", enters only the address, and the flow recognises the
modem there without logging in, then asks for the login of that modem and
creates the entry.  Setting the entry up is stubbed: polling is tested
elsewhere (test_modems.py); here the entry's data is what matters.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from functools import partial
import json
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.docsight.const import CONF_MODEM_TYPE, DOMAIN
from custom_components.docsight.docsis.drivers import MODEM_TYPES
from custom_components.docsight.docsis.probe import Detection
from tests.sim import compal, fritzbox, vodafone_station
from tests.sim.loopback import HOST, unused_port

from .jsonmodem import JsonModemSimulator

STRINGS = json.loads(
    (Path(__file__).parents[2] / "custom_components" / DOMAIN / "strings.json").read_text(
        encoding="utf-8"
    )
)

Running = Callable[[Callable[[], Any]], Awaitable[Any]]

MODEMS = [
    pytest.param(
        "fritzbox",
        fritzbox.FritzBoxSimulator,
        {CONF_USERNAME: fritzbox.USERNAME, CONF_PASSWORD: fritzbox.PASSWORD},
        "AVM FRITZ!Box",
        id="fritzbox",
    ),
    pytest.param(
        "ch7465", compal.CompalSimulator, {CONF_PASSWORD: compal.PASSWORD}, "Compal", id="compal"
    ),
    pytest.param(
        "ch7465_play",
        partial(compal.CompalSimulator, play=True),
        {CONF_PASSWORD: compal.PASSWORD},
        "Compal",
        id="compal-play",
    ),
    pytest.param(
        "vodafone_station",
        partial(vodafone_station.VodafoneStationSimulator, "cga"),
        {CONF_PASSWORD: vodafone_station.PASSWORD},
        "CGA4322DE",
        id="vodafone-cga",
    ),
    pytest.param(
        "vodafone_station",
        partial(vodafone_station.VodafoneStationSimulator, "tg"),
        {CONF_PASSWORD: vodafone_station.PASSWORD},
        "Vodafone",
        id="vodafone-tg",
    ),
    pytest.param("json_http", JsonModemSimulator, {}, "DOCSight", id="json"),
]


@pytest.fixture
async def running(socket_enabled: None) -> AsyncGenerator[Running]:
    """Start simulators for a test and stop them when it ends."""
    started: list[Any] = []

    async def start(factory: Callable[[], Any]) -> Any:
        simulator = factory()
        await simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        await simulator.close()


@pytest.fixture(autouse=True)
def no_setup() -> Generator[AsyncMock]:
    """Create entries without polling them (test_modems.py polls every modem)."""
    with patch("custom_components.docsight.async_setup_entry", return_value=True) as setup:
        yield setup


def _assert_translated(result: ConfigFlowResult) -> None:
    strings = STRINGS["config"]
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] in strings["step"]
    fields = {str(key) for key in result["data_schema"].schema}
    assert fields <= strings["step"][result["step_id"]]["data"].keys()
    assert fields <= strings["step"][result["step_id"]]["data_description"].keys()
    for error in (result.get("errors") or {}).values():
        assert error in strings["error"], f"no string for error {error!r}"


def _suggested(result: ConfigFlowResult, field: str) -> Any:
    for key in result["data_schema"].schema:
        if key == field:
            return (key.description or {}).get("suggested_value")
    raise AssertionError(f"no field {field!r}")


async def _start_detect(hass: HomeAssistant) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    (selector,) = result["data_schema"].schema.values()
    assert selector.config["options"][0] == "auto"
    assert "auto" in STRINGS["selector"]["modem_type"]["options"]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEM_TYPE: "auto"}
    )
    assert result["step_id"] == "detect"
    assert result["errors"] == {}
    assert [str(key) for key in result["data_schema"].schema] == [CONF_URL]
    assert _suggested(result, CONF_URL) is None
    _assert_translated(result)
    return result


@pytest.mark.parametrize(("modem_type", "simulator", "credentials", "title"), MODEMS)
async def test_detect_then_connect_creates_the_entry(
    hass: HomeAssistant,
    running: Running,
    *,
    modem_type: str,
    simulator: Callable[[], Any],
    credentials: dict[str, str],
    title: str,
) -> None:
    sim = await running(simulator)
    result = await _start_detect(hass)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_URL: sim.url})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "connection"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"modem": MODEM_TYPES[modem_type].name}
    assert _suggested(result, CONF_URL) == sim.url
    _assert_translated(result)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: sim.url, **credentials}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["data"][CONF_MODEM_TYPE] == modem_type
    assert result["data"][CONF_URL] == sim.url
    assert title in result["title"]


async def test_unknown_device_is_not_detected_then_recovers(
    hass: HomeAssistant, running: Running
) -> None:
    other = await running(partial(vodafone_station.VodafoneStationSimulator, "none"))
    box = await running(fritzbox.FritzBoxSimulator)
    result = await _start_detect(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: other.url}
    )

    assert result["step_id"] == "detect"
    assert result["errors"] == {"base": "not_detected"}
    assert _suggested(result, CONF_URL) == other.url  # what was typed stays for correcting
    _assert_translated(result)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_URL: box.url})

    assert result["step_id"] == "connection"
    assert result["description_placeholders"] == {"modem": "AVM FRITZ!Box Cable"}
    assert box.logins == 0  # detection never logs in


async def test_nothing_answering_cannot_connect_then_recovers(
    hass: HomeAssistant, running: Running
) -> None:
    modem = await running(JsonModemSimulator)
    result = await _start_detect(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"http://{HOST}:{unused_port()}"}
    )

    assert result["step_id"] == "detect"
    assert result["errors"] == {"base": "cannot_connect"}
    _assert_translated(result)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: modem.url}
    )
    assert result["step_id"] == "connection"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: modem.url}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_MODEM_TYPE: "json_http", CONF_URL: modem.url}


@pytest.mark.parametrize(
    ("outcome", "error"),
    [
        pytest.param(RuntimeError("boom"), "unknown", id="unexpected-error"),
        pytest.param(Detection("ultra_hub_7", "a type not registered"), "not_detected", id="new"),
    ],
)
async def test_detection_oddities_show_an_error(
    hass: HomeAssistant, outcome: object, error: str
) -> None:
    result = await _start_detect(hass)
    kwargs = (
        {"side_effect": outcome} if isinstance(outcome, Exception) else {"return_value": outcome}
    )

    with patch("custom_components.docsight.config_flow.detect_modem", **kwargs):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: "http://192.0.2.1"}
        )

    assert result["step_id"] == "detect"
    assert result["errors"] == {"base": error}
    _assert_translated(result)
