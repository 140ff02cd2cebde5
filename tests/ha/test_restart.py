"""What survives a restart: the error-counter baseline, kept in the history store."""

from __future__ import annotations

from dataclasses import replace

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.docsight.const import CONF_MODEM_TYPE, DOMAIN
from custom_components.docsight.coordinator import ERROR_STATE_KEY
from custom_components.docsight.docsis.storage import HistoryStore

from .jsonmodem import JsonModemSimulator, json_modem_fixture  # noqa: F401


def _grow_counters(simulator: JsonModemSimulator, corrected: int, uncorrected: int) -> None:
    reading = simulator.reading
    per_channel = len(reading.downstream)
    simulator.reading = replace(
        reading,
        downstream=tuple(
            replace(
                channel,
                corrected=(channel.corrected or 0) + corrected // per_channel,
                uncorrected=(channel.uncorrected or 0) + uncorrected // per_channel,
            )
            for channel in reading.downstream
        ),
    )


async def _setup(hass: HomeAssistant, simulator: JsonModemSimulator) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Simulated modem",
        unique_id=simulator.serial,
        data={CONF_MODEM_TYPE: "json_http", CONF_URL: simulator.url},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _rate(entry: MockConfigEntry) -> float | None:
    return entry.runtime_data.modem.data.analysis.summary.ds_uncorr_pct


async def test_uncorrectable_rate_continues_after_a_restart(
    hass: HomeAssistant, json_modem: JsonModemSimulator
) -> None:
    entry = await _setup(hass, json_modem)
    assert _rate(entry) == 0.0  # no growth yet since monitoring began

    _grow_counters(json_modem, corrected=25_000, uncorrected=500)
    await entry.runtime_data.modem.async_refresh()
    await hass.async_block_till_done()
    before = _rate(entry)
    assert before == pytest.approx(500 / 25_500 * 100, abs=0.01)
    assert "uncorr_errors_high" in entry.runtime_data.modem.data.analysis.summary.issues

    # A restart (reload) with the modem unchanged: the rate is still measured
    # from when monitoring began, not from zero.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _rate(entry) == pytest.approx(before, abs=0.0001)
    saved = await entry.runtime_data.history.run(HistoryStore.load_state, ERROR_STATE_KEY)
    assert (
        saved["baseline"]["uncorrected"]
        == sum(channel.uncorrected or 0 for channel in json_modem.reading.downstream)
        - 500 // 25 * 25
    )


async def test_unreadable_saved_state_starts_afresh(
    hass: HomeAssistant, json_modem: JsonModemSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await _setup(hass, json_modem)
    await entry.runtime_data.history.run(
        HistoryStore.save_state, {ERROR_STATE_KEY: {"baseline": {"taken_at": "yesterday"}}}
    )
    _grow_counters(json_modem, corrected=25_000, uncorrected=500)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert "ignoring a saved error baseline" in caplog.text
    assert _rate(entry) == 0.0
