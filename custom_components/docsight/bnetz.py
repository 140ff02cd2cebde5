"""BNetzA measurement campaigns in Home Assistant: the import action and the latest campaign.

The library (``docsis.sources.bnetz``) reads the Messprotokoll PDF or the
desktop app's CSV and judges it by the statute; this module only decides
which files may be read, runs the blocking work off the event loop (parsing
in the executor, storing on the history store's thread), turns the library's
errors into translated ones, and tells the sensors when there is a new
campaign.
"""

from __future__ import annotations

from pathlib import Path
import sqlite3

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN, LOGGER
from .coordinator import DocsightConfigEntry, bnetz_signal
from .docsis.sources.bnetz import (
    BnetzImportError,
    DirectionVerdict,
    LoadedFile,
    StoredCampaign,
    latest_campaign,
    load_file,
    save_import,
    stored_campaign_to_json,
)
from .docsis.storage import StoreError
from .services import ATTR_CONFIG_ENTRY, allowed_path, get_loaded_entry, reason_error

SERVICE_IMPORT_BNETZ = "import_bnetz"
ATTR_PATH = "path"
# Files here may always be imported, whatever allowlist_external_dirs says.
IMPORT_FOLDER = "bnetz_import"

IMPORT_BNETZ_SCHEMA = vol.Schema(
    {vol.Required(ATTR_CONFIG_ENTRY): cv.string, vol.Required(ATTR_PATH): cv.string}
)


def import_folder(hass: HomeAssistant) -> Path:
    """Return the integration's own import folder, ``<config>/docsight/bnetz_import``."""
    return Path(hass.config.path(DOMAIN, IMPORT_FOLDER))


def check_folder(hass: HomeAssistant, raw: str) -> Path | str:
    """Return a folder that may be watched, or the form error why not (blocking).

    The integration's own import folder is created on demand; any other folder
    must exist and lie in ``allowlist_external_dirs``.
    """
    resolved = allowed_path(hass, raw, import_folder(hass))
    if resolved is None:
        return "folder_not_allowed"
    if resolved == import_folder(hass).resolve():
        resolved.mkdir(parents=True, exist_ok=True)
    if not resolved.is_dir():
        return "folder_not_found"
    return resolved


async def async_import_file(
    hass: HomeAssistant, entry: DocsightConfigEntry, raw_path: str
) -> StoredCampaign:
    """Import one protocol or export for an entry; raise a translated error if it cannot be.

    Nothing is stored unless the whole campaign is: the file is parsed first
    (in the executor), then stored in one transaction.
    """
    path = await hass.async_add_executor_job(allowed_path, hass, raw_path, import_folder(hass))
    if path is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="bnetz_path_not_allowed",
            translation_placeholders={"path": raw_path, "folder": str(import_folder(hass))},
        )
    try:
        loaded: LoadedFile = await hass.async_add_executor_job(
            load_file, path, dt_util.get_default_time_zone()
        )
        stored = await entry.runtime_data.history.run(save_import, loaded)
    except BnetzImportError as err:
        raise reason_error(err, "bnetz") from err
    except (StoreError, sqlite3.Error) as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="bnetz_store_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    LOGGER.info(
        "Imported the BNetzA campaign of %s from %s: download %s, upload %s",
        stored.campaign.date,
        path.name,
        _describe(stored.verdicts["download"]),
        _describe(stored.verdicts["upload"]),
    )
    async_dispatcher_send(hass, bnetz_signal(entry.entry_id))
    return stored


def _describe(verdict: DirectionVerdict) -> str:
    reasons = [c.describe() for c in verdict.criteria if c.fired] or list(verdict.problems)
    return f"{verdict.verdict.value} ({'; '.join(reasons)})" if reasons else verdict.verdict.value


async def _async_import_bnetz(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    stored = await async_import_file(call.hass, entry, call.data[ATTR_PATH])
    return stored_campaign_to_json(stored)


@callback
def async_setup_bnetz_services(hass: HomeAssistant) -> None:
    """Register the BNetzA import action."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_IMPORT_BNETZ,
        _async_import_bnetz,
        schema=IMPORT_BNETZ_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


class BnetzLatestCoordinator(DataUpdateCoordinator[StoredCampaign | None]):
    """The entry's newest campaign, for the sensors on the modem's device.

    Not polled on a timer: it is read again when a campaign is imported (the
    dispatcher signal) and after each modem poll, which also picks up the
    demo's seeded campaigns and the retention's pruning at no real cost (one
    indexed row read on the store's thread).
    """

    config_entry: DocsightConfigEntry

    def __init__(self, hass: HomeAssistant, entry: DocsightConfigEntry) -> None:
        """Set up; :meth:`async_start` subscribes once the entry's runtime data exists."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title} BNetzA",
            update_interval=None,
            always_update=False,
        )

    async def _async_update_data(self) -> StoredCampaign | None:
        try:
            return await self.config_entry.runtime_data.history.run(
                latest_campaign, dt_util.get_default_time_zone()
            )
        except (StoreError, sqlite3.Error, RuntimeError) as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="bnetz_store_failed",
                translation_placeholders={"error": str(err)},
            ) from err

    @callback
    def async_start(self) -> None:
        """Refresh on imports and after modem polls, until the entry unloads."""
        entry = self.config_entry

        @callback
        def _imported() -> None:
            # At once: the user has just imported a file.
            entry.async_create_task(self.hass, self.async_refresh(), name=f"{self.name} import")

        @callback
        def _polled() -> None:
            # Debounced: polls are frequent and rarely change the campaign.
            entry.async_create_task(
                self.hass, self.async_request_refresh(), name=f"{self.name} poll"
            )

        entry.async_on_unload(
            async_dispatcher_connect(self.hass, bnetz_signal(entry.entry_id), _imported)
        )
        entry.async_on_unload(entry.runtime_data.modem.async_add_listener(_polled))
