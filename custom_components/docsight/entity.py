"""Base entity: every DOCSight entity belongs to its modem's device."""

from __future__ import annotations

from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import ModemCoordinator


class DocsightEntity(CoordinatorEntity[ModemCoordinator]):
    """An entity fed by the modem coordinator."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: ModemCoordinator, key: str) -> None:
        """Give the entity its unique id (modem key + ``key``) and device."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{coordinator.device_key}_{key}"
        self._attr_device_info = coordinator.device_info
