"""Problem sensor: on whenever the line is anything but good."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import DocsightConfigEntry, ModemCoordinator, ModemData
from .docsis.analyzer import LineHealth
from .entity import DocsightEntity

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class DocsightBinarySensorDescription(BinarySensorEntityDescription):
    """A yes/no conclusion about the line."""

    value_fn: Callable[[ModemData], bool]
    attributes_fn: Callable[[ModemData], dict[str, Any]]


BINARY_SENSORS: tuple[DocsightBinarySensorDescription, ...] = (
    DocsightBinarySensorDescription(
        key="problem",
        translation_key="problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        value_fn=lambda data: data.analysis.summary.health is not LineHealth.GOOD,
        attributes_fn=lambda data: {
            "health": data.analysis.summary.health.value,
            "issues": list(data.analysis.summary.issues),
        },
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: DocsightConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors."""
    if not entry.runtime_data.modem_type.has_docsis:
        return
    coordinator = entry.runtime_data.modem
    async_add_entities(
        DocsightBinarySensor(coordinator, description) for description in BINARY_SENSORS
    )


class DocsightBinarySensor(DocsightEntity, BinarySensorEntity):
    """A binary sensor computed from the last poll."""

    entity_description: DocsightBinarySensorDescription

    def __init__(
        self, coordinator: ModemCoordinator, description: DocsightBinarySensorDescription
    ) -> None:
        """Bind the description."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def is_on(self) -> bool:
        """Return the conclusion from the last poll."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return why."""
        return self.entity_description.attributes_fn(self.coordinator.data)
