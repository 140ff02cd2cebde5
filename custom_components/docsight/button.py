"""Poll-now button."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import DocsightConfigEntry, ModemCoordinator
from .entity import DocsightEntity

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
