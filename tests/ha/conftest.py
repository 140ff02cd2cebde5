"""Fixtures for the tests that run a real Home Assistant."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from datetime import datetime
from pathlib import Path
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.docsight.const import CONF_MODEM_TYPE, DOMAIN

# A weekday noon in March: not a demo bad night, not an evening slot, so the
# demo line is good and the tests do not depend on the hour they run at.
GOOD_TIME = "2026-03-17 12:00:00+00:00"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/docsight."""


@pytest.fixture(autouse=True)
def history_in_tmp_path(
    auto_enable_custom_integrations: None, hass: HomeAssistant, tmp_path: Path
) -> None:
    """Keep each test's history databases in a folder of its own.

    The test config dir lies inside the installed test plugin; an entry's
    history (``<config>/docsight/<entry_id>/``) must not pile up there.
    Requested after ``auto_enable_custom_integrations``, so that a module
    which needs the recorder before ``hass`` (by overriding that fixture)
    still gets it first.
    """
    hass.config.config_dir = str(tmp_path)


@pytest.fixture(autouse=True)
def short_demo_history() -> Generator[None]:
    """Seed one day of demo history, not nine months, so that demo tests stay fast.

    Tests of the seeding itself override this fixture.
    """
    with patch("custom_components.docsight.history.DEMO_HISTORY_DAYS", 1):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialise snapshots the way Home Assistant core does."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def good_time(freezer: FrozenDateTimeFactory) -> Generator[datetime]:
    """Freeze the clock at a moment when the demo line is good."""
    freezer.move_to(GOOD_TIME)
    yield dt_util.utcnow()


@pytest.fixture
def demo_entry() -> MockConfigEntry:
    """A config entry for the demo modem."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="DOCSight Demo",
        unique_id="demo",
        data={CONF_MODEM_TYPE: "demo"},
    )


@pytest.fixture
async def loaded_demo(
    hass: HomeAssistant, demo_entry: MockConfigEntry, good_time: datetime
) -> AsyncGenerator[MockConfigEntry]:
    """The demo entry, set up (the first poll has run)."""
    demo_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(demo_entry.entry_id)
    await hass.async_block_till_done()
    yield demo_entry
