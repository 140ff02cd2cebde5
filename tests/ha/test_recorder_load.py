"""What the default entity set writes to the recorder in a day.

The Cable Modem Monitor integration enables 181 entities for a 32+3 channel
modem and writes about 24,500 state rows a day; our target is under 3,000 with
every channel's detail still kept in our own history.  This counts the rows a
real recorder stores over 24 simulated hours of demo polls, on a day with a bad
night and evening upstream downgrades, which is the demo's noisiest kind of day.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.db_schema import States, StatesMeta
from homeassistant.components.recorder.util import session_scope
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

POLL_SECONDS = 300


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder must exist before Home Assistant starts, so request it first."""


TARGET_ROWS_PER_DAY = 3000


async def test_state_rows_per_day(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    # 2026-03-11 is day 70 of the year: a demo bad night (02-08 h) and an
    # evening, in the test instance's time zone (US/Pacific, on summer time).
    freezer.move_to("2026-03-11 00:00:00-07:00")
    demo_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(demo_entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    def count_rows() -> dict[str, int]:
        with session_scope(hass=hass, read_only=True) as session:
            rows = (
                session.query(StatesMeta.entity_id, States.state_id)
                .join(States, States.metadata_id == StatesMeta.metadata_id)
                .filter(StatesMeta.entity_id.like("%docsight%"))
                .all()
            )
        counts: dict[str, int] = {}
        for entity_id, _ in rows:
            counts[entity_id] = counts.get(entity_id, 0) + 1
        return counts

    at_start = sum((await recorder_mock.async_add_executor_job(count_rows)).values())
    polls = 24 * 3600 // POLL_SECONDS
    for _ in range(polls):
        freezer.tick(timedelta(seconds=POLL_SECONDS))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    per_entity = await recorder_mock.async_add_executor_job(count_rows)
    rows_per_day = sum(per_entity.values()) - at_start
    assert demo_entry.runtime_data.modem.status()["polls"] == polls + 1
    print(f"\nrecorder state rows in 24 h: {rows_per_day} over {len(per_entity)} entities")
    for entity_id, count in sorted(per_entity.items(), key=lambda item: -item[1]):
        print(f"  {count:5d} {entity_id}")
    # Numeric summary values move on nearly every poll, so a broken update
    # path shows up as far too few rows, and a chatty entity as too many.
    assert rows_per_day > polls * 5
    assert rows_per_day < TARGET_ROWS_PER_DAY
