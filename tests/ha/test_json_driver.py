"""The json_http driver against a real HTTP server, directly and as a Home Assistant entry."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import timedelta

import aiohttp
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.docsight.const import CONF_MODEM_TYPE, DOMAIN
from custom_components.docsight.coordinator import ModemData
from custom_components.docsight.docsis.drivers import (
    MODEM_TYPES,
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemLockedError,
    ModemParseError,
    UnsupportedModemError,
    create_driver,
)
from custom_components.docsight.docsis.drivers.json_http import JsonHttpModem
from tests.sim.loopback import HOST, unused_port

from .jsonmodem import (
    JsonModemSimulator,
    Mode,
    json_modem_fixture,  # noqa: F401 - the json_modem fixture
)


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as client:
        yield client


def _driver(
    session: aiohttp.ClientSession,
    url: str,
    username: str | None = None,
    password: str | None = None,
) -> JsonHttpModem:
    return JsonHttpModem(
        DriverConfig(url=url, username=username, password=password, session=session)
    )


# --- the driver on its own ---------------------------------------------------


async def test_fetch_returns_what_is_served(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession
) -> None:
    reading = await _driver(session, json_modem.url).async_fetch()

    served = json_modem.reading
    # Everything as served, except the time: a poll is stamped when it is fetched.
    assert replace(reading, read_at=served.read_at) == served
    assert [ch.channel_id for ch in reading.downstream] == [*range(1, 25), 33]
    assert [ch.channel_id for ch in reading.upstream] == [1, 2, 3, 4, 5]
    assert reading.downstream[-1].frequency_end_hz == served.downstream[-1].frequency_end_hz
    assert reading.device.serial == served.device.serial
    assert json_modem.requests == 1


async def test_registry_builds_the_json_driver(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession
) -> None:
    driver = create_driver("json_http", DriverConfig(url=json_modem.url, session=session))
    assert isinstance(driver, JsonHttpModem)
    assert (await driver.async_fetch()).device.model == "Demo Router"
    await driver.async_close()


async def test_basic_auth_is_sent(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession
) -> None:
    json_modem.require_auth("admin", "s3cret")

    reading = await _driver(session, json_modem.url, "admin", "s3cret").async_fetch()

    assert reading.device.serial == json_modem.serial


async def test_password_outside_latin1_is_sent_as_utf8(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession
) -> None:
    json_modem.require_auth("админ", "пароль€")

    reading = await _driver(session, json_modem.url, "админ", "пароль€").async_fetch()

    assert reading.device.serial == json_modem.serial


async def test_username_without_password_sends_empty_password(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession
) -> None:
    json_modem.require_auth("admin", "")

    reading = await _driver(session, json_modem.url, "admin").async_fetch()

    assert reading.device.serial == json_modem.serial


@pytest.mark.parametrize(
    ("username", "password"),
    [(None, None), ("admin", "wrong"), ("someone", "s3cret")],
    ids=["no_credentials", "wrong_password", "wrong_user"],
)
async def test_401_is_an_auth_error(
    json_modem: JsonModemSimulator,
    session: aiohttp.ClientSession,
    username: str | None,
    password: str | None,
) -> None:
    json_modem.require_auth("admin", "s3cret")

    with pytest.raises(ModemAuthError, match="HTTP 401"):
        await _driver(session, json_modem.url, username, password).async_fetch()


async def test_429_is_a_lockout(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession
) -> None:
    json_modem.mode = Mode.LOCKED

    with pytest.raises(ModemLockedError):
        await _driver(session, json_modem.url).async_fetch()


async def test_500_is_a_connection_error(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession
) -> None:
    json_modem.mode = Mode.SERVER_ERROR

    with pytest.raises(ModemConnectionError, match="HTTP 500"):
        await _driver(session, json_modem.url).async_fetch()


async def test_404_is_a_connection_error(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ModemConnectionError, match="HTTP 404"):
        await _driver(session, json_modem.base_url).async_fetch()


async def test_connection_refused_is_a_connection_error(
    session: aiohttp.ClientSession,
) -> None:
    with pytest.raises(ModemConnectionError):
        await _driver(session, f"http://{HOST}:{unused_port()}/reading.json").async_fetch()


async def test_not_json_is_unsupported(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession
) -> None:
    json_modem.mode = Mode.GARBAGE

    with pytest.raises(UnsupportedModemError):
        await _driver(session, json_modem.url).async_fetch()


async def test_page_that_is_not_utf8_is_unsupported(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession
) -> None:
    json_modem.mode = Mode.LATIN1_PAGE

    with pytest.raises(UnsupportedModemError):
        await _driver(session, json_modem.url).async_fetch()


async def test_json_that_is_no_reading_is_a_parse_error(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession
) -> None:
    json_modem.mode = Mode.NOT_A_READING

    with pytest.raises(ModemParseError, match="not a DOCSight reading"):
        await _driver(session, json_modem.url).async_fetch()


async def test_missing_session_is_a_connection_error() -> None:
    driver = JsonHttpModem(DriverConfig(url="http://127.0.0.1/reading.json"))

    with pytest.raises(ModemConnectionError, match="no HTTP session"):
        await driver.async_fetch()


@pytest.mark.parametrize("url", [None, ""])
async def test_missing_url_is_refused(url: str | None) -> None:
    with pytest.raises(ValueError, match="URL is required"):
        JsonHttpModem(DriverConfig(url=url))


# --- a json_http entry in Home Assistant ---------------------------------------


def _json_entry(simulator: JsonModemSimulator, **credentials: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="DOCSight Demo Router",
        unique_id=simulator.serial,
        data={CONF_MODEM_TYPE: "json_http", CONF_URL: simulator.url, **credentials},
    )


async def test_entry_sets_up_against_the_endpoint(
    hass: HomeAssistant, json_modem: JsonModemSimulator
) -> None:
    entry = _json_entry(json_modem)
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.modem
    assert coordinator.modem_type is MODEM_TYPES["json_http"]
    stored = coordinator.data.analysis.reading
    assert replace(stored, read_at=json_modem.reading.read_at) == json_modem.reading
    assert coordinator.device_info["configuration_url"] == json_modem.url
    assert coordinator.device_info["serial_number"] == json_modem.serial

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_wrong_credentials_at_setup_start_reauth(
    hass: HomeAssistant, json_modem: JsonModemSimulator
) -> None:
    json_modem.require_auth("admin", "new-password")
    entry = _json_entry(json_modem, **{CONF_USERNAME: "admin", CONF_PASSWORD: "old-password"})
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert len(flows) == 1
    flow = flows[0]
    assert flow["handler"] == DOMAIN
    assert flow["step_id"] == "reauth_confirm"
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["context"]["entry_id"] == entry.entry_id

    # The user answers the reauth flow Home Assistant started: the entry recovers.
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "new-password"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == "new-password"
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("mode", [Mode.GARBAGE, Mode.NOT_A_READING, Mode.SERVER_ERROR])
async def test_bad_answer_at_setup_is_not_ready(
    hass: HomeAssistant, json_modem: JsonModemSimulator, mode: Mode
) -> None:
    json_modem.mode = mode
    entry = _json_entry(json_modem)
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert not hass.config_entries.flow.async_progress()


async def test_malformed_page_fails_the_poll_and_keeps_the_data(
    hass: HomeAssistant, json_modem: JsonModemSimulator, entity_registry: er.EntityRegistry
) -> None:
    entry = _json_entry(json_modem)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.modem
    previous = coordinator.data
    assert isinstance(previous, ModemData)
    assert coordinator.last_update_success
    entity_id = entity_registry.async_get_entity_id(
        "binary_sensor", DOMAIN, f"{json_modem.serial}_problem"
    )
    assert entity_id is not None
    assert hass.states.get(entity_id).state == "off"

    json_modem.mode = Mode.GARBAGE
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert coordinator.last_update_success is False
    assert coordinator.data is previous
    assert coordinator.last_error == "the URL does not serve JSON"
    assert coordinator.backoff.failures == 1
    assert hass.states.get(entity_id).state == "unavailable"
    assert entry.state is ConfigEntryState.LOADED

    # The endpoint recovers: the next poll succeeds and the entities come back.
    json_modem.mode = Mode.OK
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert coordinator.last_update_success is True
    assert coordinator.data is not previous
    assert coordinator.data.poll_count == previous.poll_count + 1
    assert coordinator.backoff.failures == 0
    assert hass.states.get(entity_id).state == "off"


async def test_poll_is_stamped_when_fetched(
    json_modem: JsonModemSimulator, session: aiohttp.ClientSession, freezer
) -> None:
    """A file served unchanged for days must not give every poll the same time."""
    freezer.move_to("2026-05-01 10:00:00+00:00")
    first = await _driver(session, json_modem.url).async_fetch()
    freezer.move_to("2026-05-01 10:05:00+00:00")
    second = await _driver(session, json_modem.url).async_fetch()
    assert first.read_at.isoformat() == "2026-05-01T10:00:00+00:00"
    assert second.read_at - first.read_at == timedelta(minutes=5)
