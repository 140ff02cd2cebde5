"""Poll-now button."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import DocsightConfigEntry, ModemCoordinator, SpeedtestCoordinator
from .entity import DocsightEntity, DocsightSourceEntity

PARALLEL_UPDATES = 1

POLL_NOW = ButtonEntityDescription(
    key="poll_now",
    translation_key="poll_now",
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: DocsightConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the poll-now button."""
    if entry.runtime_data.modem_type.has_docsis:
        async_add_entities([PollNowButton(entry.runtime_data.modem)])
    for subentry_id, source in entry.runtime_data.sources.items():
        if isinstance(source, SpeedtestCoordinator):
            async_add_entities([RunSpeedtestButton(source)], config_subentry_id=subentry_id)


class PollNowButton(DocsightEntity, ButtonEntity):
    """Polls the modem at once (refused within seconds of the last poll)."""

    entity_description = POLL_NOW

    def __init__(self, coordinator: ModemCoordinator) -> None:
        """Bind to the coordinator."""
        super().__init__(coordinator, POLL_NOW.key)

    @property
    def available(self) -> bool:
        """Stay pressable while the modem is away: polling is how one finds it back."""
        return True

    async def async_press(self) -> None:
        """Poll now."""
        await self.coordinator.async_poll_now()


RUN_SPEEDTEST = ButtonEntityDescription(key="run_speedtest", translation_key="run_speedtest")


class RunSpeedtestButton(DocsightSourceEntity[SpeedtestCoordinator], ButtonEntity):
    """Asks the Speedtest Tracker to run a test now; the result arrives with a later poll."""

    entity_description = RUN_SPEEDTEST

    def __init__(self, coordinator: SpeedtestCoordinator) -> None:
        """Bind to the source's coordinator."""
        super().__init__(coordinator, RUN_SPEEDTEST.key)

    @property
    def available(self) -> bool:
        """Stay pressable while reading fails: the tracker may still run tests."""
        return True

    async def async_press(self) -> None:
        """Start a speed test (refused within a minute of the last)."""
        await self.coordinator.async_run_test()
