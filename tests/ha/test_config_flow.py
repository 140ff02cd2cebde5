"""The config, reauth, reconfigure and options flows, on a real Home Assistant.

Entries for the ``json_http`` type are tested against a real HTTP server on
127.0.0.1 (:mod:`tests.ha.jsonmodem`); only the "unknown error" path and the
failing demo modem are patched, as nothing real produces them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.docsight.config_flow import DEMO_TITLE
from custom_components.docsight.const import (
    CONF_HEALTH_HYSTERESIS,
    CONF_MODEM_TYPE,
    CONF_RETENTION_DAYS,
    DOMAIN,
)
from custom_components.docsight.docsis.drivers import MODEM_TYPES, ModemConnectionError
from custom_components.docsight.docsis.drivers.demo import DemoModem
from custom_components.docsight.docsis.drivers.json_http import JsonHttpModem
from custom_components.docsight.docsis.model import DeviceInfo
from tests.sim.loopback import HOST, unused_port

from .jsonmodem import (
    JsonModemSimulator,
    Mode,
    json_modem_fixture,  # noqa: F401 - the json_modem fixture
)

STRINGS = json.loads(
    (Path(__file__).parents[2] / "custom_components" / DOMAIN / "strings.json").read_text(
        encoding="utf-8"
    )
)
JSON_TITLE = "DOCSight Demo Router"  # manufacturer + model the simulator reports


def _assert_translated(result: ConfigFlowResult, section: str = "config") -> None:
    """Fail when a flow shows a step, error or abort reason without a string."""
    strings = STRINGS[section]
    if result["type"] is FlowResultType.FORM:
        assert result["step_id"] in strings["step"]
        for error in (result.get("errors") or {}).values():
            assert error in strings["error"], f"no string for error {error!r}"
    elif result["type"] is FlowResultType.ABORT:
        assert result["reason"] in strings["abort"], f"no string for abort {result['reason']!r}"


async def _start_user_flow(hass: HomeAssistant) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] is None
    _assert_translated(result)
    return result


async def _start_json_flow(hass: HomeAssistant) -> ConfigFlowResult:
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEM_TYPE: "json_http"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "connection"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"modem": "DOCSight JSON over HTTP"}
    _assert_translated(result)
    return result


def _json_entry(
    simulator: JsonModemSimulator, url: str | None = None, **credentials: str
) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=JSON_TITLE,
        unique_id=simulator.serial,
        data={CONF_MODEM_TYPE: "json_http", CONF_URL: url or simulator.url, **credentials},
    )


def _closed_url() -> str:
    return f"http://{HOST}:{unused_port()}/docsight/reading.json"


# --- user step and the demo modem --------------------------------------------


async def test_user_step_offers_the_modem_types(hass: HomeAssistant) -> None:
    result = await _start_user_flow(hass)

    schema = result["data_schema"].schema
    (selector,) = schema.values()
    assert selector.config["options"] == ["auto", *MODEM_TYPES]
    assert selector.config["options"][:2] == ["auto", "demo"]
    assert set(selector.config["options"]) == set(STRINGS["selector"]["modem_type"]["options"])


async def test_demo_creates_the_demo_entry(hass: HomeAssistant, good_time: datetime) -> None:
    result = await _start_user_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEM_TYPE: "demo"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == DEMO_TITLE == "DOCSight Demo"
    assert result["data"] == {CONF_MODEM_TYPE: "demo"}
    entry = result["result"]
    assert entry.unique_id == "demo"
    assert entry.options == {}
    assert entry.state is ConfigEntryState.LOADED


async def test_second_demo_aborts(hass: HomeAssistant, demo_entry: MockConfigEntry) -> None:
    demo_entry.add_to_hass(hass)
    result = await _start_user_flow(hass)

    with patch.object(DemoModem, "async_fetch") as fetch:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_MODEM_TYPE: "demo"}
        )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    _assert_translated(result)
    fetch.assert_not_called()  # the duplicate is refused before anything is polled
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_demo_that_fails_aborts(hass: HomeAssistant) -> None:
    result = await _start_user_flow(hass)

    # Patched: the built-in demo modem has no way to fail on its own.
    with patch.object(DemoModem, "async_fetch", side_effect=ModemConnectionError("boom")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_MODEM_TYPE: "demo"}
        )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
    _assert_translated(result)
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_connection_step_without_a_modem_type_goes_back_to_user(
    hass: HomeAssistant,
) -> None:
    # Not reachable from the UI (the user step always sets the type first);
    # a flow started at the connection step shows the modem type form instead.
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "connection"})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    hass.config_entries.flow.async_abort(result["flow_id"])


# --- json_http: the connection step --------------------------------------------


async def test_json_creates_entry(hass: HomeAssistant, json_modem: JsonModemSimulator) -> None:
    result = await _start_json_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: json_modem.url}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == JSON_TITLE
    assert result["data"] == {CONF_MODEM_TYPE: "json_http", CONF_URL: json_modem.url}
    entry = result["result"]
    assert entry.unique_id == json_modem.serial
    assert entry.state is ConfigEntryState.LOADED
    stored = entry.runtime_data.modem.data.analysis.reading
    assert replace(stored, read_at=json_modem.reading.read_at) == json_modem.reading


async def test_json_with_credentials_creates_entry(
    hass: HomeAssistant, json_modem: JsonModemSimulator
) -> None:
    json_modem.require_auth("admin", "s3cret")
    result = await _start_json_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: json_modem.url, CONF_USERNAME: "admin", CONF_PASSWORD: "s3cret"},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_MODEM_TYPE: "json_http",
        CONF_URL: json_modem.url,
        CONF_USERNAME: "admin",
        CONF_PASSWORD: "s3cret",
    }
    assert result["result"].state is ConfigEntryState.LOADED


def _closed_port(sim: JsonModemSimulator, form: dict[str, Any]) -> Callable[[], None]:
    form[CONF_URL] = _closed_url()

    def fix() -> None:
        form[CONF_URL] = sim.url

    return fix


def _mode(mode: Mode) -> Callable[[JsonModemSimulator, dict[str, Any]], Callable[[], None]]:
    def breaks(sim: JsonModemSimulator, form: dict[str, Any]) -> Callable[[], None]:
        sim.mode = mode

        def fix() -> None:
            sim.mode = Mode.OK

        return fix

    return breaks


def _wrong_password(sim: JsonModemSimulator, form: dict[str, Any]) -> Callable[[], None]:
    sim.require_auth("admin", "s3cret")
    form.update({CONF_USERNAME: "admin", CONF_PASSWORD: "wrong"})

    def fix() -> None:
        form[CONF_PASSWORD] = "s3cret"

    return fix


def _no_credentials(sim: JsonModemSimulator, form: dict[str, Any]) -> Callable[[], None]:
    sim.require_auth("admin", "s3cret")

    def fix() -> None:
        form.update({CONF_USERNAME: "admin", CONF_PASSWORD: "s3cret"})

    return fix


@pytest.mark.parametrize(
    ("breaks", "error"),
    [
        (_closed_port, "cannot_connect"),
        (_mode(Mode.SERVER_ERROR), "cannot_connect"),
        (_wrong_password, "invalid_auth"),
        (_no_credentials, "invalid_auth"),
        (_mode(Mode.LOCKED), "locked_out"),
        (_mode(Mode.GARBAGE), "unsupported_modem"),
        (_mode(Mode.NOT_A_READING), "unsupported_modem"),
    ],
    ids=[
        "nothing_listening",
        "http_500",
        "wrong_password",
        "no_credentials",
        "locked_out",
        "not_json",
        "not_a_reading",
    ],
)
async def test_json_error_then_recovery(
    hass: HomeAssistant,
    json_modem: JsonModemSimulator,
    breaks: Callable[[JsonModemSimulator, dict[str, Any]], Callable[[], None]],
    error: str,
) -> None:
    form: dict[str, Any] = {CONF_URL: json_modem.url}
    fix = breaks(json_modem, form)
    result = await _start_json_flow(hass)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], dict(form))

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "connection"
    assert result["errors"] == {"base": error}
    _assert_translated(result)
    assert not hass.config_entries.async_entries(DOMAIN)

    fix()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], dict(form))
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == JSON_TITLE
    assert result["data"] == {CONF_MODEM_TYPE: "json_http", **form}
    assert result["result"].unique_id == json_modem.serial
    assert result["result"].state is ConfigEntryState.LOADED


async def test_json_unexpected_error_then_recovery(
    hass: HomeAssistant, json_modem: JsonModemSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    result = await _start_json_flow(hass)

    # Patched: no real endpoint makes the driver raise something it does not know.
    with patch.object(JsonHttpModem, "async_fetch", side_effect=RuntimeError("driver bug")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: json_modem.url}
        )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    _assert_translated(result)
    assert "Unexpected error while testing the modem" in caplog.text

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: json_modem.url}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].state is ConfigEntryState.LOADED


async def test_json_title_falls_back_to_the_modem_type(
    hass: HomeAssistant, json_modem: JsonModemSimulator
) -> None:
    json_modem.reading = replace(json_modem.reading, device=DeviceInfo(serial="NONAME1"))
    json_modem.serial = "NONAME1"
    result = await _start_json_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: json_modem.url}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "DOCSight JSON over HTTP"
    assert result["result"].unique_id == "NONAME1"


async def test_json_same_modem_aborts_and_updates_url(
    hass: HomeAssistant, json_modem: JsonModemSimulator
) -> None:
    # The modem moved: the stored address no longer answers, the entry retries.
    entry = _json_entry(json_modem, url=_closed_url())
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    result = await _start_json_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: json_modem.url}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    _assert_translated(result)
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert entry.data[CONF_URL] == json_modem.url
    assert entry.state is ConfigEntryState.LOADED  # reloaded at the new address


async def test_json_username_with_colon_shows_an_error(
    hass: HomeAssistant, json_modem: JsonModemSimulator
) -> None:
    result = await _start_json_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: json_modem.url, CONF_USERNAME: "ad:min", CONF_PASSWORD: "s3cret"},
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"]["base"] in STRINGS["config"]["error"]


# --- reauth ---------------------------------------------------------------


async def test_reauth(hass: HomeAssistant, json_modem: JsonModemSimulator) -> None:
    json_modem.require_auth("admin", "new-password")
    entry = _json_entry(json_modem, **{CONF_USERNAME: "admin", CONF_PASSWORD: "old-password"})
    entry.add_to_hass(hass)

    result = await entry.start_reauth_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["title"] == JSON_TITLE
    _assert_translated(result)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "still-wrong"}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    _assert_translated(result)
    assert entry.data[CONF_PASSWORD] == "old-password"

    # The form suggests the stored username (pre-filled, so it is submitted).
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested[CONF_USERNAME] == "admin"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "new-password"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    _assert_translated(result)
    assert entry.data == {
        CONF_MODEM_TYPE: "json_http",
        CONF_URL: json_modem.url,
        CONF_USERNAME: "admin",
        CONF_PASSWORD: "new-password",
    }
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth_lockout_then_success(
    hass: HomeAssistant, json_modem: JsonModemSimulator
) -> None:
    json_modem.require_auth("admin", "s3cret")
    json_modem.mode = Mode.LOCKED
    entry = _json_entry(json_modem, **{CONF_USERNAME: "admin", CONF_PASSWORD: "old"})
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "s3cret"}
    )
    assert result["errors"] == {"base": "locked_out"}

    json_modem.mode = Mode.OK
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "s3cret"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == "s3cret"


# --- reconfigure -------------------------------------------------------------


async def test_reconfigure_switches_the_demo_to_a_real_modem(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, json_modem: JsonModemSimulator
) -> None:
    """The demo asks for the modem type, then the connection, tests it, and becomes that modem."""
    entry = loaded_demo
    device_registry = dr.async_get(hass)
    assert device_registry.async_get_device(identifiers={(DOMAIN, "demo")})

    result = await entry.start_reconfigure_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_modem"
    _assert_translated(result)
    (selector,) = result["data_schema"].schema.values()
    assert selector.config["options"] == [
        key for key in MODEM_TYPES if key not in ("demo", "generic")
    ]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEM_TYPE: "json_http"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_connection"
    assert result["description_placeholders"] == {"modem": "DOCSight JSON over HTTP"}
    _assert_translated(result)

    # A wrong address: the error is shown, and the demo stays the demo.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: _closed_url()}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    _assert_translated(result)
    assert entry.data == {CONF_MODEM_TYPE: "demo"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: json_modem.url}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    _assert_translated(result)
    assert entry.data == {CONF_MODEM_TYPE: "json_http", CONF_URL: json_modem.url}
    assert entry.unique_id == json_modem.serial
    assert entry.title == JSON_TITLE
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.modem.data.analysis.reading == json_modem.reading
    # The demo device went with the demo; the real modem has its own.
    assert device_registry.async_get_device(identifiers={(DOMAIN, "demo")}) is None
    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert [device.identifiers for device in devices] == [{(DOMAIN, json_modem.serial)}]


async def test_reconfigure_demo_to_a_modem_with_an_entry_aborts(
    hass: HomeAssistant, demo_entry: MockConfigEntry, json_modem: JsonModemSimulator
) -> None:
    """The demo cannot become a modem that is configured already."""
    demo_entry.add_to_hass(hass)
    _json_entry(json_modem).add_to_hass(hass)

    result = await demo_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEM_TYPE: "json_http"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: json_modem.url}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    _assert_translated(result)
    assert demo_entry.unique_id == "demo"
    assert demo_entry.data == {CONF_MODEM_TYPE: "demo"}


async def test_reconfigure_connection_without_a_modem_type_asks_for_it(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    # Not reachable from the UI (the modem step always sets the type first).
    demo_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": "reconfigure_connection", "entry_id": demo_entry.entry_id}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_modem"
    hass.config_entries.flow.async_abort(result["flow_id"])


async def test_reconfigure_json(hass: HomeAssistant, json_modem: JsonModemSimulator) -> None:
    json_modem.require_auth("admin", "s3cret")
    old_url = _closed_url()
    entry = _json_entry(json_modem, url=old_url, **{CONF_USERNAME: "admin"})
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    _assert_translated(result)
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
        if (key.description or {}).get("suggested_value") is not None
    }
    assert suggested == {CONF_MODEM_TYPE: "json_http", CONF_URL: old_url, CONF_USERNAME: "admin"}

    # Still the wrong address: the error is shown and nothing is stored.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: _closed_url(), CONF_USERNAME: "admin", CONF_PASSWORD: "s3cret"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    _assert_translated(result)
    assert entry.data[CONF_URL] == old_url

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: json_modem.url, CONF_USERNAME: "admin", CONF_PASSWORD: "s3cret"},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    _assert_translated(result)
    assert entry.data == {
        CONF_MODEM_TYPE: "json_http",
        CONF_URL: json_modem.url,
        CONF_USERNAME: "admin",
        CONF_PASSWORD: "s3cret",
    }
    assert entry.unique_id == json_modem.serial
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_to_a_different_modem_aborts(
    hass: HomeAssistant, json_modem: JsonModemSimulator
) -> None:
    old_url = _closed_url()
    entry = _json_entry(json_modem, url=old_url)
    entry.add_to_hass(hass)
    json_modem.serial = "OTHER0001"  # another modem answers at the new address

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: json_modem.url}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "different_modem"
    _assert_translated(result)
    assert entry.data[CONF_URL] == old_url
    assert entry.unique_id != "OTHER0001"


async def test_reconfigure_can_remove_the_username(
    hass: HomeAssistant, json_modem: JsonModemSimulator
) -> None:
    entry = _json_entry(json_modem, **{CONF_USERNAME: "admin"})
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: json_modem.url}
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_MODEM_TYPE: "json_http", CONF_URL: json_modem.url}


# --- options -------------------------------------------------------------------


def _defaults(result: ConfigFlowResult) -> dict[str, Any]:
    return {str(key): key.default() for key in result["data_schema"].schema}


async def test_options_store_hysteresis_retention_and_reload(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    old_coordinator = loaded_demo.runtime_data.modem
    assert old_coordinator.rules.health_hysteresis == 0

    result = await hass.config_entries.options.async_init(loaded_demo.entry_id)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    _assert_translated(result, "options")
    assert _defaults(result) == {
        CONF_HEALTH_HYSTERESIS: 0,
        CONF_RETENTION_DAYS: 365,
        "backup_enabled": False,
        "backup_interval_hours": 24,
        "backup_keep": 5,
    }
    retention = result["data_schema"].schema[CONF_RETENTION_DAYS].config
    assert (retention["min"], retention["max"]) == (30, 3650)
    assert set(_defaults(result)) <= STRINGS["options"]["step"]["init"]["data"].keys()

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_HEALTH_HYSTERESIS: 3.0, CONF_RETENTION_DAYS: 90.0}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_demo.options == {
        CONF_HEALTH_HYSTERESIS: 3,
        CONF_RETENTION_DAYS: 90,
        "backup_enabled": False,
        "backup_interval_hours": 24,
        "backup_keep": 5,
    }
    assert type(loaded_demo.options[CONF_HEALTH_HYSTERESIS]) is int
    assert type(loaded_demo.options[CONF_RETENTION_DAYS]) is int
    assert loaded_demo.state is ConfigEntryState.LOADED
    new_coordinator = loaded_demo.runtime_data.modem
    assert new_coordinator is not old_coordinator  # the entry was reloaded
    assert new_coordinator.rules.health_hysteresis == 3

    # The form shows the stored values the next time.
    result = await hass.config_entries.options.async_init(loaded_demo.entry_id)
    assert _defaults(result) == {
        CONF_HEALTH_HYSTERESIS: 3,
        CONF_RETENTION_DAYS: 90,
        "backup_enabled": False,
        "backup_interval_hours": 24,
        "backup_keep": 5,
    }
    hass.config_entries.options.async_abort(result["flow_id"])


async def test_options_retention_out_of_range_is_refused(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(loaded_demo.entry_id)
    for days in (29, 3651):
        with pytest.raises(vol.Invalid):
            await hass.config_entries.options.async_configure(
                result["flow_id"], {CONF_HEALTH_HYSTERESIS: 0, CONF_RETENTION_DAYS: days}
            )
    hass.config_entries.options.async_abort(result["flow_id"])


async def test_reconfigure_keeps_the_password_when_left_empty(
    hass: HomeAssistant, json_modem: JsonModemSimulator
) -> None:
    """The password is never shown back, so leaving it empty keeps the stored one."""
    json_modem.require_auth("admin", "s3cret")
    entry = _json_entry(json_modem, **{CONF_USERNAME: "admin", CONF_PASSWORD: "s3cret"})
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested.get(CONF_PASSWORD) is None

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: json_modem.url, CONF_USERNAME: "admin"}
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PASSWORD] == "s3cret"
    assert entry.state is ConfigEntryState.LOADED
