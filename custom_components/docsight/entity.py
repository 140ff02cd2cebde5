"""Base entity: every DOCSight entity belongs to its modem's device."""

from __future__ import annotations

from typing import Any

from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import ModemCoordinator, SourceCoordinator


class DocsightEntity(CoordinatorEntity[ModemCoordinator]):
    """An entity fed by the modem coordinator."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: ModemCoordinator, key: str) -> None:
        """Give the entity its unique id (modem key + ``key``) and device."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{coordinator.device_key}_{key}"
        self._attr_device_info = coordinator.device_info


class DocsightSourceEntity[CoordinatorT: SourceCoordinator[Any]](CoordinatorEntity[CoordinatorT]):
    """An entity of an external source (a config subentry), on the source's own device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: CoordinatorT, key: str) -> None:
        """Give the entity its unique id (subentry id + ``key``) and device."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{coordinator.subentry.subentry_id}_{key}"
        self._attr_device_info = coordinator.device_info

    @property
    def available(self) -> bool:
        """Return False until the source has been read once, and while it fails."""
        return super().available and self.coordinator.data is not None
