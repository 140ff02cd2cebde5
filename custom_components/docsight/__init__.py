"""DOCSight for Home Assistant: watch a cable (DOCSIS) line and keep the evidence."""

from __future__ import annotations

from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from .const import CONF_MODEM_TYPE, DOMAIN
from .coordinator import DocsightConfigEntry, DocsightRuntimeData, ModemCoordinator
from .docsis.drivers import MODEM_TYPES, DriverConfig
from .services import async_setup_services

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SENSOR,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the service actions once, whatever entries exist."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: DocsightConfigEntry) -> bool:
    """Connect to the modem, poll it once, and set up the platforms."""
    # Imported here, not at the top: it pulls in zeroconf and costs the
    # library's command line (which imports this package) well over a second.
    from homeassistant.helpers.aiohttp_client import async_get_clientsession  # noqa: PLC0415

    modem_type = MODEM_TYPES[entry.data[CONF_MODEM_TYPE]]
    driver = modem_type.factory(
        DriverConfig(
            url=entry.data.get(CONF_URL),
            username=entry.data.get(CONF_USERNAME),
            password=entry.data.get(CONF_PASSWORD),
            session=async_get_clientsession(hass),
            time_zone=dt_util.get_default_time_zone(),
        )
    )
    coordinator = ModemCoordinator(hass, entry, driver, modem_type)
    entry.async_on_unload(driver.async_close)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = DocsightRuntimeData(modem=coordinator, modem_type=modem_type)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: DocsightConfigEntry) -> bool:
    """Unload the platforms; the driver is closed by the unload callback."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
