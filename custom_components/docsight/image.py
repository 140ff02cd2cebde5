"""The BQM graph of the last stored day, as an image entity of the BQM source."""

from __future__ import annotations

from datetime import date, datetime, time

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import BqmCoordinator, DocsightConfigEntry
from .entity import DocsightSourceEntity

PARALLEL_UPDATES = 0

BQM_GRAPH = ImageEntityDescription(key="graph", translation_key="bqm_graph")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: DocsightConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a graph image to every BQM source."""
    for subentry_id, source in entry.runtime_data.sources.items():
        if isinstance(source, BqmCoordinator):
            async_add_entities([BqmGraphImage(hass, source)], config_subentry_id=subentry_id)


class BqmGraphImage(DocsightSourceEntity[BqmCoordinator], ImageEntity):
    """Yesterday's BQM graph as ThinkBroadband drew it; served from the history, never fetched."""

    entity_description = BQM_GRAPH
    _attr_content_type = "image/png"

    def __init__(self, hass: HomeAssistant, coordinator: BqmCoordinator) -> None:
        """Bind to the source's coordinator."""
        super().__init__(coordinator, BQM_GRAPH.key)
        ImageEntity.__init__(self, hass)
        self._day: date | None = None
        self._sync_day()

    def _sync_day(self) -> None:
        """Note the day shown; a new day changes the image's URL token and timestamp."""
        data = self.coordinator.data
        day = data.latest.day.day if data is not None and data.latest is not None else None
        if day != self._day:
            self._day = day
            self._attr_image_last_updated = (
                None
                if day is None
                else datetime.combine(day, time(), dt_util.get_default_time_zone())
            )

    @property
    def available(self) -> bool:
        """Return False while there is no stored graph to show."""
        data = self.coordinator.data
        return super().available and data.latest is not None and data.latest.image is not None

    @callback
    def _handle_coordinator_update(self) -> None:
        self._sync_day()
        super()._handle_coordinator_update()

    async def async_image(self) -> bytes | None:
        """Return the stored PNG of the newest day."""
        data = self.coordinator.data
        return data.latest.image if data is not None and data.latest is not None else None
