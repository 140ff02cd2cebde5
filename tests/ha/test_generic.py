"""The generic router: an entry without DOCSIS data, on a real Home Assistant.

It is set up from the UI (with or without an address, which is checked
against a real HTTP peer on 127.0.0.1), has no line entities, never polls,
and still has its device, its history store and its services.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta

from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_NAME, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.docsight.const import CONF_MODEM_TYPE, DOMAIN
from custom_components.docsight.diagnostics import async_get_config_entry_diagnostics
from custom_components.docsight.docsis.drivers import MODEM_TYPES, DriverConfig
from custom_components.docsight.docsis.drivers.generic import MODEL, GenericRouter
from tests.sim.loopback import HOST, unused_port


@pytest.fixture
async def router(socket_enabled: None) -> AsyncGenerator[TestServer]:
    """A web interface on 127.0.0.1 that asks for a login (any answer will do)."""

    async def login_required(_request: web.Request) -> web.Response:
        return web.Response(status=401, text="login")

    app = web.Application()
    app.router.add_get("/", login_required)
    server = TestServer(app, host=HOST)
    await server.start_server()
    yield server
    await server.close()


def _url(server: TestServer) -> str:
    return str(server.make_url("/")).rstrip("/")


async def _add(hass: HomeAssistant, user_input: dict[str, str]) -> dict[str, object]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEM_TYPE: "generic"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "generic"
    return dict(await hass.config_entries.flow.async_configure(result["flow_id"], user_input))


async def test_add_without_address(hass: HomeAssistant) -> None:
    result = await _add(hass, {CONF_NAME: "Fibre router"})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Fibre router"
    assert result["data"] == {CONF_MODEM_TYPE: "generic"}
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.state is ConfigEntryState.LOADED
    assert entry.unique_id is None


async def test_add_with_address_checks_it(hass: HomeAssistant, router: TestServer) -> None:
    result = await _add(hass, {CONF_NAME: "DSL", CONF_URL: _url(router)})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_MODEM_TYPE: "generic", CONF_URL: _url(router)}
    await hass.async_block_till_done()

    # The same address again is the same router.
    again = await _add(hass, {CONF_NAME: "DSL again", CONF_URL: _url(router)})
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_configured"


async def test_unreachable_address_is_refused(hass: HomeAssistant, socket_enabled: None) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEM_TYPE: "generic"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Gone", CONF_URL: f"http://{HOST}:{unused_port()}"}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert not hass.config_entries.async_entries(DOMAIN)


@pytest.fixture
async def loaded_router(hass: HomeAssistant) -> MockConfigEntry:
    """A loaded generic router entry without an address."""
    entry = MockConfigEntry(domain=DOMAIN, title="Router", data={CONF_MODEM_TYPE: "generic"})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_no_line_entities_and_never_polls(
    hass: HomeAssistant, loaded_router: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    entities = er.async_entries_for_config_entry(er.async_get(hass), loaded_router.entry_id)
    # Only what the sources and the journal bring: nothing about a line.
    assert not [e for e in entities if e.domain in ("binary_sensor", "event", "button")]
    assert not [e for e in entities if e.translation_key in ("line_health", "ds_power_avg")]
    coordinator = loaded_router.runtime_data.modem
    assert coordinator.update_interval is None

    freezer.tick(timedelta(days=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert coordinator.last_poll is None
    status = coordinator.status()
    assert (status["enabled"], status["polls"], status["next_poll"]) == (False, 0, None)


async def test_device_is_a_generic_router(
    hass: HomeAssistant, loaded_router: MockConfigEntry
) -> None:
    info = loaded_router.runtime_data.modem.device_info

    assert (info["manufacturer"], info["model"]) == ("Generic", MODEL)
    assert "configuration_url" not in info


async def test_poll_now_is_refused(hass: HomeAssistant, loaded_router: MockConfigEntry) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "poll_now", {"config_entry": loaded_router.entry_id}, blocking=True
        )
    assert caught.value.translation_key == "no_docsis"


async def test_status_history_and_diagnostics_still_work(
    hass: HomeAssistant, loaded_router: MockConfigEntry
) -> None:
    status = await hass.services.async_call(
        DOMAIN,
        "get_status",
        {"config_entry": loaded_router.entry_id},
        blocking=True,
        return_response=True,
    )
    assert status["entries"][0]["modem_type"] == "generic"  # type: ignore[index,call-overload]
    snapshots = await hass.services.async_call(
        DOMAIN,
        "list_snapshots",
        {"config_entry": loaded_router.entry_id},
        blocking=True,
        return_response=True,
    )
    assert snapshots["snapshots"] == []

    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_router)
    assert diagnostics["last_reading"] is None
    assert diagnostics["history"]["rows"]["snapshots"] == 0


async def test_unload(hass: HomeAssistant, loaded_router: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(loaded_router.entry_id)
    assert loaded_router.state is ConfigEntryState.NOT_LOADED


async def test_reconfigure_changes_and_clears_the_address(
    hass: HomeAssistant, loaded_router: MockConfigEntry, router: TestServer
) -> None:
    result = await loaded_router.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_generic"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"http://{HOST}:{unused_port()}"}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: _url(router)}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded_router.data == {CONF_MODEM_TYPE: "generic", CONF_URL: _url(router)}
    await hass.async_block_till_done()
    assert loaded_router.runtime_data.modem.device_info["configuration_url"] == _url(router)

    result = await loaded_router.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["reason"] == "reconfigure_successful"
    assert loaded_router.data == {CONF_MODEM_TYPE: "generic"}
    await hass.async_block_till_done()


def test_generic_is_not_offered_to_replace_a_cable_modem() -> None:
    from custom_components.docsight.config_flow import _real_modem_types

    assert "generic" not in _real_modem_types()
    assert "demo" not in _real_modem_types()
    assert MODEM_TYPES["generic"].has_docsis is False


async def test_driver_without_session_cannot_check_an_address() -> None:
    driver = GenericRouter(DriverConfig(url="192.0.2.1"))
    from custom_components.docsight.docsis.drivers import ModemConnectionError

    with pytest.raises(ModemConnectionError, match="no HTTP session"):
        await driver.async_fetch()
    reading = await GenericRouter(DriverConfig()).async_fetch()
    assert (reading.downstream, reading.upstream, reading.device.model) == ((), (), MODEL)
