"""Service actions: poll_now and get_status."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.docsight.const import DOMAIN


async def test_poll_now_service(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "poll_now", {"config_entry": loaded_demo.entry_id}, blocking=True
        )
    assert err.value.translation_key == "poll_too_soon"
    freezer.tick(timedelta(seconds=12))
    await hass.services.async_call(
        DOMAIN, "poll_now", {"config_entry": loaded_demo.entry_id}, blocking=True
    )
    assert loaded_demo.runtime_data.modem.status()["polls"] == 2


async def test_get_status(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    for data in ({}, {"config_entry": loaded_demo.entry_id}):
        response = await hass.services.async_call(
            DOMAIN, "get_status", data, blocking=True, return_response=True
        )
        (entry,) = response["entries"]
        assert entry["entry_id"] == loaded_demo.entry_id
        assert entry["modem_type"] == "demo"
        (collector,) = entry["collectors"]
        assert collector["name"] == "modem"
        assert collector["consecutive_failures"] == 0
        assert collector["penalty_seconds"] == 0
        assert collector["poll_interval"] == 300
        assert collector["last_poll"] == "2026-03-17T12:00:00+00:00"
        assert collector["next_poll"] == "2026-03-17T12:05:00+00:00"


async def test_bad_service_calls(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "get_status", {"config_entry": "nope"}, blocking=True, return_response=True
        )
    assert err.value.translation_key == "entry_not_found"

    other = MockConfigEntry(domain="sun")
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "poll_now", {"config_entry": other.entry_id}, blocking=True
        )
    assert err.value.translation_key == "entry_not_found"

    await hass.config_entries.async_unload(loaded_demo.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "poll_now", {"config_entry": loaded_demo.entry_id}, blocking=True
        )
    assert err.value.translation_key == "entry_not_loaded"
    assert err.value.translation_placeholders == {"title": "DOCSight Demo"}
