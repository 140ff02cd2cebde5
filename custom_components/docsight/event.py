"""Event entity: fires every change the detector finds on the line.

Automations trigger on it (for example: notify on a critical ``health_change``),
which is how the reference's notifier maps onto Home Assistant.
"""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import DocsightConfigEntry, ModemCoordinator
from .docsis.events import EventType
from .docsis.serialize import iso_z
from .entity import DocsightEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: DocsightConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the line event entity."""
    if entry.runtime_data.modem_type.has_docsis:
        async_add_entities([LineEventEntity(entry.runtime_data.modem)])


class LineEventEntity(DocsightEntity, EventEntity):
    """Fires one Home Assistant event per detected line event."""

    _attr_translation_key = "line_event"
    _attr_event_types = [event_type.value for event_type in EventType]  # noqa: RUF012
    # Details can list dozens of channels; they belong in our history, not in
    # a recorder row per event.
    _unrecorded_attributes = frozenset({"details"})

    def __init__(self, coordinator: ModemCoordinator) -> None:
        """Start with no poll handled yet."""
        super().__init__(coordinator, "line_event")
        self._handled_poll = 0

    async def async_added_to_hass(self) -> None:
        """Fire what the first poll found (at least ``monitoring_started``)."""
        await super().async_added_to_hass()
        self._fire_new_events()

    @callback
    def _handle_coordinator_update(self) -> None:
        self._fire_new_events()
        super()._handle_coordinator_update()

    @callback
    def _fire_new_events(self) -> None:
        data = self.coordinator.data
        if data.poll_count == self._handled_poll:
            return
        self._handled_poll = data.poll_count
        for event in data.events:
            self._trigger_event(
                event.event_type.value,
                {
                    "severity": event.severity.value,
                    "message": event.message,
                    "detected_at": iso_z(event.timestamp),
                    "details": event.details,
                },
            )
            self.async_write_ha_state()
