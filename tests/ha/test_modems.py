"""Every real modem driver through Home Assistant: the UI flow and the coordinator.

Each runs against its simulator on 127.0.0.1 (tests/sim), which speaks the
modem's real login protocol: a wrong password is refused with the form's
invalid_auth error, the right one creates an entry that polls and fills its
sensors.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest

from custom_components.docsight.const import CONF_MODEM_TYPE, DOMAIN
from custom_components.docsight.docsis.drivers import MODEM_TYPES
from custom_components.docsight.docsis.drivers.technicolor_tc4400 import TechnicolorTC4400Modem
from tests.sim import (
    arris_cm3500,
    arris_cm8200,
    arris_surfboard,
    compal,
    fritzbox,
    netgear_cm3000,
    tc4400,
    ultrahub7,
    vodafone_station,
)
from tests.sim.loopback import unused_port
from tests.sim.snmpagent import SnmpAgent
from tests.sim.tc4400 import tc4400_agent_fixture  # noqa: F401 - the tc4400_agent fixture

MODEMS = [
    pytest.param("ch7465", compal.CompalSimulator, {CONF_PASSWORD: compal.PASSWORD}, id="compal"),
    pytest.param(
        "fritzbox",
        fritzbox.FritzBoxSimulator,
        {CONF_USERNAME: fritzbox.USERNAME, CONF_PASSWORD: fritzbox.PASSWORD},
        id="fritzbox",
    ),
    pytest.param(
        "vodafone_station",
        partial(vodafone_station.VodafoneStationSimulator, "cga"),
        {CONF_PASSWORD: vodafone_station.PASSWORD},
        id="vodafone-cga",
    ),
    pytest.param(
        "vodafone_station",
        partial(vodafone_station.VodafoneStationSimulator, "tg"),
        {CONF_PASSWORD: vodafone_station.PASSWORD},
        id="vodafone-tg",
    ),
    pytest.param(
        "cm3500",
        arris_cm3500.ArrisCM3500Simulator,
        {CONF_USERNAME: arris_cm3500.USERNAME, CONF_PASSWORD: arris_cm3500.PASSWORD},
        id="arris-cm3500",
    ),
    pytest.param(
        "surfboard",
        arris_surfboard.ArrisSurfboardSimulator,
        {CONF_PASSWORD: arris_surfboard.PASSWORD},
        id="arris-surfboard-hnap",
    ),
    pytest.param(
        "surfboard",
        # MD5 firmware: each wrong password costs two attempts (SHA-256 is tried first).
        partial(arris_surfboard.ArrisSurfboardSimulator, algorithm="md5", tls=True, lock_after=5),
        {CONF_PASSWORD: arris_surfboard.PASSWORD},
        id="arris-surfboard-md5-tls",
    ),
    pytest.param(
        "surfboard",
        partial(arris_surfboard.ArrisSurfboardSimulator, hnap=False),
        {CONF_PASSWORD: arris_surfboard.PASSWORD},
        id="arris-surfboard-html",
    ),
    pytest.param(
        "cm8200",
        partial(arris_cm8200.ArrisCM8200Simulator, tls=True),
        {CONF_PASSWORD: arris_cm8200.PASSWORD},
        id="arris-cm8200-tls",
    ),
    pytest.param(
        "cm3000",
        netgear_cm3000.CM3000Simulator,
        {CONF_USERNAME: netgear_cm3000.USERNAME, CONF_PASSWORD: netgear_cm3000.PASSWORD},
        id="netgear-cm3000-basic",
    ),
    pytest.param(
        "cm3000",
        partial(netgear_cm3000.CM3000Simulator, "form"),
        {CONF_USERNAME: netgear_cm3000.USERNAME, CONF_PASSWORD: netgear_cm3000.PASSWORD},
        id="netgear-cm3000-form",
    ),
    pytest.param(
        "ultrahub7",
        ultrahub7.UltraHub7Simulator,
        {CONF_PASSWORD: ultrahub7.PASSWORD},
        id="ultrahub7",
    ),
]


@pytest.fixture
async def running() -> AsyncGenerator[Callable[[Callable[[], Any]], Awaitable[Any]]]:
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


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize(("modem_type", "simulator", "credentials"), MODEMS)
async def test_set_up_from_the_ui(
    hass: HomeAssistant,
    running: Callable[[Callable[[], Any]], Awaitable[Any]],
    modem_type: str,
    simulator: Callable[[], Any],
    credentials: dict[str, str],
) -> None:
    sim = await running(simulator)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEM_TYPE: modem_type}
    )
    assert result["step_id"] == "connection"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: sim.url, **credentials, CONF_PASSWORD: "wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: sim.url, **credentials}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED

    summary = entry.runtime_data.modem.data.analysis.summary
    assert summary.ds_total > 0
    assert summary.us_total > 0
    assert summary.health.value in {"good", "tolerated", "marginal", "critical"}
    assert any(s.entity_id.endswith("_line_health") for s in hass.states.async_all("sensor"))

    if modem_type == "vodafone_station":
        # The detected variant is kept for the next start.
        assert entry.data["driver_hints"]["variant"] in {"cga", "tg"}
        assert (
            entry.runtime_data.modem.driver.variant.value == entry.data["driver_hints"]["variant"]
        )

    # A second poll works too (session reuse or a fresh, polite login).
    await entry.runtime_data.modem.async_refresh()
    assert entry.runtime_data.modem.last_update_success
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("socket_enabled")
async def test_reconfigure_changes_the_type_of_the_same_modem(
    hass: HomeAssistant, running: Callable[[Callable[[], Any]], Awaitable[Any]]
) -> None:
    """A Connect Box moved to PLAY firmware: same serial, new type, entry kept."""
    sim = await running(partial(compal.CompalSimulator, play=True))
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEM_TYPE: "ch7465"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: sim.url, CONF_PASSWORD: compal.PASSWORD}
    )
    await hass.async_block_till_done()
    entry = result["result"]
    unique_id = entry.unique_id

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_MODEM_TYPE: "ch7465_play", CONF_URL: sim.url, CONF_PASSWORD: compal.PASSWORD},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_MODEM_TYPE] == "ch7465_play"
    assert entry.unique_id == unique_id
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.modem_type.key == "ch7465_play"
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("socket_enabled")
async def test_tc4400_over_snmp_from_the_ui(hass: HomeAssistant, tc4400_agent: SnmpAgent) -> None:
    """The TC4400 read over SNMP (a real snmpsim agent), set up from the UI."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEM_TYPE: "tc4400"}
    )
    wrong = tc4400_agent.url.replace("snmp://public@", "snmp://private@")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_URL: wrong})
    # A wrong community gets no SNMP answer, and the web fallback no answer either.
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: tc4400_agent.url}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry = result["result"]
    assert entry.unique_id == tc4400.SERIAL
    assert entry.data["driver_hints"] == {"transport": "snmp"}
    summary = entry.runtime_data.modem.data.analysis.summary
    assert (summary.ds_total, summary.us_total) == (
        len(tc4400.DS_QAM) + len(tc4400.DS_OFDM),
        len(tc4400.US_QAM) + len(tc4400.US_OFDMA),
    )
    # The entities exist: the device links to the web interface, not to snmp://.
    assert any(s.entity_id.endswith("_line_health") for s in hass.states.async_all("sensor"))
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, tc4400.SERIAL)})
    assert device is not None
    assert device.configuration_url == "http://127.0.0.1"
    assert await hass.config_entries.async_unload(entry.entry_id)
    # The SNMP engine went with the entry: nothing of pysnmp is left running.
    assert not [task for task in asyncio.all_tasks() if "pysnmp" in repr(task.get_coro())]


@pytest.mark.usefixtures("socket_enabled")
async def test_tc4400_web_page_from_the_ui(
    hass: HomeAssistant, running: Callable[[Callable[[], Any]], Awaitable[Any]]
) -> None:
    """The TC4400's web page behind Basic auth, when SNMP does not answer."""
    sim = await running(tc4400.TC4400Simulator)
    with patch.dict(
        MODEM_TYPES,
        tc4400=replace(
            MODEM_TYPES["tc4400"],
            factory=partial(TechnicolorTC4400Modem, snmp_port=unused_port(), snmp_timeout=0.2),
        ),
    ):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_MODEM_TYPE: "tc4400"}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: sim.url, CONF_PASSWORD: "wrong"}
        )
        assert result["errors"] == {"base": "invalid_auth"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: sim.url, CONF_PASSWORD: tc4400.PASSWORD}
        )
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.CREATE_ENTRY, result
        entry = result["result"]
        assert entry.data["driver_hints"] == {"transport": "web"}
        assert entry.runtime_data.modem.data.analysis.summary.errors_supported
        assert await hass.config_entries.async_unload(entry.entry_id)
