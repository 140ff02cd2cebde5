"""Config flow: pick a modem (or the demo), enter how to reach it, test, create.

Every path that stores connection data polls the modem first, so an entry is
never created with settings that cannot work, and each failure gets its own
message (cannot connect, wrong credentials, locked out, not such a modem).
"Detect automatically" first probes the address without credentials
(:mod:`.docsis.probe`) and then asks for the login of the modem it found.
Reconfiguring the demo entry turns it into a real modem: the user's journal
stays, the demo's made-up history goes (on the next setup of the entry).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlowWithReload,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_API_TOKEN,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .backups import (
    CONF_BACKUP_ENABLED,
    CONF_BACKUP_INTERVAL_HOURS,
    CONF_BACKUP_KEEP,
    DEFAULT_BACKUP_INTERVAL_HOURS,
    DEFAULT_BACKUP_KEEP,
    MAX_BACKUP_INTERVAL_HOURS,
    MAX_BACKUP_KEEP,
    MIN_BACKUP_INTERVAL_HOURS,
)
from .bnetz import check_folder
from .const import (
    CONF_BASE_URL,
    CONF_HEALTH_HYSTERESIS,
    CONF_MODEM_TYPE,
    CONF_RETENTION_DAYS,
    CONF_SHARE,
    CONF_SHARE_ID,
    DEFAULT_RETENTION_DAYS,
    DEMO_MODEM,
    DOMAIN,
    GENERIC_ROUTER,
    LOGGER,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    SOURCE_TIMEOUT,
    SUBENTRY_BQM,
    SUBENTRY_SPEEDTEST,
)
from .coordinator import CONF_FOLDER, SUBENTRY_BNETZ_FOLDER
from .docsis.drivers import (
    MODEM_TYPES,
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemDriver,
    ModemError,
    ModemLockedError,
    ModemType,
)
from .docsis.model import Reading
from .docsis.probe import detect_modem
from .docsis.sources import (
    SourceAuthError,
    SourceDataError,
    SourceError,
    SourceNotFoundError,
    SourceRateLimitedError,
    bqm,
    speedtest,
)

DEMO_TITLE = "DOCSight Demo"
AUTO_DETECT = "auto"
CREDENTIAL_KEYS = (CONF_URL, CONF_USERNAME, CONF_PASSWORD)
GENERIC_TITLE = "Router"
# A generic router's address is only a link and a reachability check: optional.
_GENERIC_URL: dict[vol.Marker, Any] = {
    vol.Optional(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
}


def _real_modem_types() -> list[str]:
    """Return the types a configured modem can be switched to: real cable modems."""
    return [key for key, modem in MODEM_TYPES.items() if key != DEMO_MODEM and modem.has_docsis]


def _modem_type_schema(types: list[str]) -> vol.Schema:
    """Return the form that picks one of ``types``."""
    return vol.Schema(
        {
            vol.Required(CONF_MODEM_TYPE): SelectSelector(
                SelectSelectorConfig(
                    options=types, translation_key=CONF_MODEM_TYPE, mode=SelectSelectorMode.LIST
                )
            )
        }
    )


def _title(reading: Reading, modem_type: ModemType) -> str:
    """Return the entry title for a modem: its manufacturer and model, else its type."""
    device = reading.device
    return " ".join(filter(None, (device.manufacturer, device.model))) or modem_type.name


def _without_credentials(data: Mapping[str, Any], keep_username: bool = False) -> dict[str, Any]:
    """Return entry data without the login (optionally keeping the username to suggest)."""
    dropped = {CONF_PASSWORD} if keep_username else {CONF_USERNAME, CONF_PASSWORD}
    return {key: value for key, value in data.items() if key not in dropped}


class DocsightConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a modem."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with no modem type chosen."""
        self._modem_type: ModemType | None = None
        self._url: str | None = None  # the address detection found a modem at

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> DocsightOptionsFlow:
        """Return the options flow."""
        return DocsightOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the external sources a modem entry can have."""
        return dict(SUBENTRY_FLOWS)

    async def _async_test(
        self, modem_type: ModemType, data: Mapping[str, Any]
    ) -> tuple[Reading | None, str | None]:
        """Poll the modem once; return the reading or the error key for the form."""
        driver: ModemDriver | None = None
        try:
            driver = modem_type.factory(
                DriverConfig(
                    url=data.get(CONF_URL),
                    username=data.get(CONF_USERNAME),
                    password=data.get(CONF_PASSWORD),
                    session=async_get_clientsession(self.hass),
                )
            )
            return await driver.async_fetch(), None
        except ModemAuthError:
            return None, "invalid_auth"
        except ModemLockedError:
            return None, "locked_out"
        except ModemConnectionError:
            return None, "cannot_connect"
        except ModemError:
            return None, "unsupported_modem"
        except Exception:  # noqa: BLE001 - a flow must show an error, never a traceback
            LOGGER.exception("Unexpected error while testing the modem")
            return None, "unknown"
        finally:
            if driver is not None:
                await driver.async_close()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the modem type."""
        if user_input is not None:
            if user_input[CONF_MODEM_TYPE] == AUTO_DETECT:
                return await self.async_step_detect()
            self._modem_type = MODEM_TYPES[user_input[CONF_MODEM_TYPE]]
            if self._modem_type.key == DEMO_MODEM:
                return await self.async_step_demo()
            if not self._modem_type.has_docsis:
                return await self.async_step_generic()
            return await self.async_step_connection()
        return self.async_show_form(
            step_id="user", data_schema=_modem_type_schema([AUTO_DETECT, *MODEM_TYPES])
        )

    async def async_step_detect(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the address only, and recognise the modem there without logging in."""
        errors: dict[str, str] = {}
        if user_input is not None:
            url = user_input[CONF_URL]
            try:
                detection = await detect_modem(async_get_clientsession(self.hass), url)
            except ModemConnectionError:
                errors["base"] = "cannot_connect"
            except Exception:  # noqa: BLE001 - a flow must show an error, never a traceback
                LOGGER.exception("Unexpected error while detecting the modem")
                errors["base"] = "unknown"
            else:
                LOGGER.debug("Modem detection at %s: %s", url, detection.evidence)
                modem_type = MODEM_TYPES.get(detection.modem_type or "")
                if modem_type is None:
                    errors["base"] = "not_detected"
                else:
                    self._modem_type = modem_type
                    self._url = url
                    return await self.async_step_connection()
        return self.async_show_form(
            step_id="detect",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_URL): TextSelector(
                            TextSelectorConfig(type=TextSelectorType.URL)
                        )
                    }
                ),
                user_input or {},
            ),
            errors=errors,
        )

    async def async_step_demo(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Add the built-in demo modem (one per installation)."""
        await self.async_set_unique_id(DEMO_MODEM)
        self._abort_if_unique_id_configured()
        modem_type = MODEM_TYPES[DEMO_MODEM]
        _reading, error = await self._async_test(modem_type, {})
        if error:
            return self.async_abort(reason=error)
        return self.async_create_entry(title=DEMO_TITLE, data={CONF_MODEM_TYPE: DEMO_MODEM})

    async def async_step_generic(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a router without DOCSIS data: a name, and its address if wanted."""
        modem_type = MODEM_TYPES[GENERIC_ROUTER]
        errors: dict[str, str] = {}
        if user_input is not None:
            _reading, error = await self._async_test(modem_type, user_input)
            if error:
                errors["base"] = error
            else:
                url = user_input.get(CONF_URL)
                if url:
                    await self.async_set_unique_id(f"{GENERIC_ROUTER}:{url}")
                    self._abort_if_unique_id_configured()
                data = {CONF_MODEM_TYPE: GENERIC_ROUTER}
                if url:
                    data[CONF_URL] = url
                return self.async_create_entry(title=user_input[CONF_NAME], data=data)
        return self.async_show_form(
            step_id="generic",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Required(CONF_NAME): TextSelector(), **_GENERIC_URL}),
                user_input or {CONF_NAME: GENERIC_TITLE},
            ),
            errors=errors,
        )

    def _connection_schema(self, modem_type: ModemType) -> vol.Schema:
        """Return the URL/credentials form; current values go in as suggestions.

        Suggestions rather than defaults: voluptuous would put a default back
        into a field the user cleared, so a username could never be removed.
        """
        username_key = vol.Required if modem_type.needs_username else vol.Optional
        password_key = vol.Required if modem_type.needs_password else vol.Optional
        return vol.Schema(
            {
                vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
                username_key(CONF_USERNAME): TextSelector(
                    TextSelectorConfig(autocomplete="username")
                ),
                password_key(CONF_PASSWORD): TextSelector(
                    TextSelectorConfig(
                        type=TextSelectorType.PASSWORD, autocomplete="current-password"
                    )
                ),
            }
        )

    async def async_step_connection(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask how to reach the modem and test it."""
        if self._modem_type is None:
            return await self.async_step_user()
        modem_type = self._modem_type
        errors: dict[str, str] = {}
        if user_input is not None:
            reading, error = await self._async_test(modem_type, user_input)
            if reading is None:
                errors["base"] = error or "unknown"
            else:
                device = reading.device
                await self.async_set_unique_id(device.serial or device.mac or user_input[CONF_URL])
                # The same modem again: take the address and credentials just
                # tested, which is how a user repairs an entry after a change.
                self._abort_if_unique_id_configured(
                    updates={key: user_input[key] for key in CREDENTIAL_KEYS if key in user_input}
                )
                return self.async_create_entry(
                    title=_title(reading, modem_type),
                    data={CONF_MODEM_TYPE: modem_type.key, **user_input},
                )
        return self.async_show_form(
            step_id="connection",
            data_schema=self.add_suggested_values_to_schema(
                self._connection_schema(modem_type),
                user_input or {CONF_URL: self._url or modem_type.default_url},
            ),
            errors=errors,
            description_placeholders={"modem": modem_type.name},
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The modem refused the stored credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new credentials and test them before storing them."""
        entry = self._get_reauth_entry()
        modem_type = MODEM_TYPES[entry.data[CONF_MODEM_TYPE]]
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**_without_credentials(entry.data), **user_input}
            _reading, error = await self._async_test(modem_type, data)
            if error:
                errors["base"] = error
            else:
                return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Optional(CONF_USERNAME): TextSelector(
                            TextSelectorConfig(autocomplete="username")
                        ),
                        vol.Optional(CONF_PASSWORD): TextSelector(
                            TextSelectorConfig(type=TextSelectorType.PASSWORD)
                        ),
                    }
                ),
                {CONF_USERNAME: entry.data.get(CONF_USERNAME)},
            ),
            errors=errors,
            description_placeholders={"title": entry.title},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the type, address or credentials of a configured modem.

        The type matters when a modem's firmware changes under the same
        hardware (a Connect Box moved to PLAY firmware); it defaults to the
        current one, and the same serial must answer.
        """
        entry = self._get_reconfigure_entry()
        current = MODEM_TYPES[entry.data[CONF_MODEM_TYPE]]
        if current.key == DEMO_MODEM:
            return await self.async_step_reconfigure_modem()
        if not current.has_docsis:
            return await self.async_step_reconfigure_generic()
        modem_type = current
        errors: dict[str, str] = {}
        if user_input is not None:
            modem_type = MODEM_TYPES[user_input.get(CONF_MODEM_TYPE, current.key)]
            data = {**user_input, CONF_MODEM_TYPE: modem_type.key}
            # The password is never shown back; left empty, the stored one stays.
            if CONF_PASSWORD not in data and CONF_PASSWORD in entry.data:
                data[CONF_PASSWORD] = entry.data[CONF_PASSWORD]
            reading, error = await self._async_test(modem_type, data)
            if reading is None:
                errors["base"] = error or "unknown"
            else:
                device = reading.device
                new_id = device.serial or device.mac
                if new_id and entry.unique_id and new_id != entry.unique_id:
                    return self.async_abort(reason="different_modem")
                return self.async_update_reload_and_abort(entry, data=data)
        # The type is optional here: a call that leaves it out keeps the current one.
        (type_selector,) = _modem_type_schema(_real_modem_types()).schema.values()
        schema = vol.Schema(
            {
                vol.Optional(CONF_MODEM_TYPE): type_selector,
                **self._connection_schema(modem_type).schema,
            }
        )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or _without_credentials(entry.data, keep_username=True)
            ),
            errors=errors,
        )

    async def async_step_reconfigure_generic(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change (or clear) a generic router's address, tested before saving."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            _reading, error = await self._async_test(MODEM_TYPES[GENERIC_ROUTER], user_input)
            if error:
                errors["base"] = error
            else:
                data = {CONF_MODEM_TYPE: GENERIC_ROUTER}
                if user_input.get(CONF_URL):
                    data[CONF_URL] = user_input[CONF_URL]
                return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reconfigure_generic",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(_GENERIC_URL), user_input or dict(entry.data)
            ),
            errors=errors,
        )

    async def async_step_reconfigure_modem(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Switch the demo to a real modem: first its type."""
        if user_input is not None:
            self._modem_type = MODEM_TYPES[user_input[CONF_MODEM_TYPE]]
            return await self.async_step_reconfigure_connection()
        return self.async_show_form(
            step_id="reconfigure_modem",
            data_schema=_modem_type_schema(_real_modem_types()),
        )

    async def async_step_reconfigure_connection(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Switch the demo to a real modem: how to reach it, tested before saving."""
        if self._modem_type is None:
            return await self.async_step_reconfigure_modem()
        modem_type = self._modem_type
        errors: dict[str, str] = {}
        if user_input is not None:
            reading, error = await self._async_test(modem_type, user_input)
            if reading is None:
                errors["base"] = error or "unknown"
            else:
                device = reading.device
                await self.async_set_unique_id(
                    device.serial or device.mac or user_input[CONF_URL], raise_on_progress=False
                )
                # The modem has an entry of its own already: keep the demo.
                self._abort_if_unique_id_configured()
                return self.async_update_reload_and_abort(
                    self._get_reconfigure_entry(),
                    unique_id=self.unique_id,
                    title=_title(reading, modem_type),
                    data={CONF_MODEM_TYPE: modem_type.key, **user_input},
                )
        return self.async_show_form(
            step_id="reconfigure_connection",
            data_schema=self.add_suggested_values_to_schema(
                self._connection_schema(modem_type),
                user_input or {CONF_URL: modem_type.default_url},
            ),
            errors=errors,
            description_placeholders={"modem": modem_type.name},
        )


class DocsightOptionsFlow(OptionsFlowWithReload):
    """Tune how events are raised and how long the history is kept."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    CONF_HEALTH_HYSTERESIS: int(user_input[CONF_HEALTH_HYSTERESIS]),
                    CONF_RETENTION_DAYS: int(user_input[CONF_RETENTION_DAYS]),
                    CONF_BACKUP_ENABLED: bool(user_input[CONF_BACKUP_ENABLED]),
                    CONF_BACKUP_INTERVAL_HOURS: int(user_input[CONF_BACKUP_INTERVAL_HOURS]),
                    CONF_BACKUP_KEEP: int(user_input[CONF_BACKUP_KEEP]),
                }
            )
        options = self.config_entry.options
        return self.async_show_form(
            step_id="init",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_HEALTH_HYSTERESIS, default=options.get(CONF_HEALTH_HYSTERESIS, 0)
                    ): NumberSelector(
                        NumberSelectorConfig(min=0, max=12, step=1, mode=NumberSelectorMode.BOX)
                    ),
                    vol.Required(
                        CONF_RETENTION_DAYS,
                        default=options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=MIN_RETENTION_DAYS,
                            max=MAX_RETENTION_DAYS,
                            step=1,
                            mode=NumberSelectorMode.BOX,
                            unit_of_measurement="d",
                        )
                    ),
                    **_backup_options_schema(options),
                }
            ),
        )


def _backup_options_schema(options: Mapping[str, Any]) -> dict[vol.Marker, Any]:
    """Return the options of scheduled backups (see backups.py)."""
    return {
        vol.Required(
            CONF_BACKUP_ENABLED, default=options.get(CONF_BACKUP_ENABLED, False)
        ): BooleanSelector(),
        vol.Required(
            CONF_BACKUP_INTERVAL_HOURS,
            default=options.get(CONF_BACKUP_INTERVAL_HOURS, DEFAULT_BACKUP_INTERVAL_HOURS),
        ): NumberSelector(
            NumberSelectorConfig(
                min=MIN_BACKUP_INTERVAL_HOURS,
                max=MAX_BACKUP_INTERVAL_HOURS,
                step=1,
                mode=NumberSelectorMode.BOX,
                unit_of_measurement="h",
            )
        ),
        vol.Required(
            CONF_BACKUP_KEEP, default=options.get(CONF_BACKUP_KEEP, DEFAULT_BACKUP_KEEP)
        ): NumberSelector(
            NumberSelectorConfig(min=1, max=MAX_BACKUP_KEEP, step=1, mode=NumberSelectorMode.BOX)
        ),
    }


# -- external sources: config subentries of a modem entry ---------------------


class SourceFlowError(Exception):
    """A source's input is wrong in a way the form should say (``key``: the error)."""

    def __init__(self, key: str) -> None:
        """Keep the translation key of the form error."""
        super().__init__(key)
        self.key = key


class SourceSubentryFlow(ConfigSubentryFlow):
    """Add or edit an external source of a modem: one form, tested before anything is saved.

    A source type subclasses this with its form (:meth:`_schema`) and its test
    (:meth:`_async_test`, which returns the title, unique id and data to store,
    or raises a library ``SourceError`` or :class:`SourceFlowError`), and is
    listed in :data:`SUBENTRY_FLOWS`.  The same source cannot be added twice.
    Reconfiguring runs the same form and test on the stored values (see
    :meth:`_form_values`), so editing a source is never looser than adding it.
    """

    # Form error per library error; a subclass may name its own.
    error_keys: ClassVar[Mapping[type[SourceError], str]] = {
        SourceAuthError: "invalid_auth",
        SourceRateLimitedError: "rate_limited",
        SourceNotFoundError: "not_found",
        SourceDataError: "bad_data",
    }

    def _schema(self) -> vol.Schema:
        """Return the form."""
        raise NotImplementedError

    def _form_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Return the form input that the stored ``data`` came from (to edit it)."""
        return dict(data)

    def _secret_keys(self) -> set[str]:
        """Return the form's password fields: never shown back when editing."""
        return {
            str(key)
            for key, selector in self._schema().schema.items()
            if isinstance(selector, TextSelector)
            and selector.config.get("type") == TextSelectorType.PASSWORD
        }

    async def _async_test(self, user_input: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        """Test the input; return the subentry's title, unique id and data."""
        raise NotImplementedError

    def _unique_id(self, user_input: dict[str, Any]) -> str | None:
        """Return the unique id the input would get, if known before testing it."""
        return None

    def _is_configured(self, unique_id: str | None) -> bool:
        """Tell whether another source of this type has ``unique_id`` (not the one edited)."""
        editing = self._reconfigure_subentry_id if self.source == SOURCE_RECONFIGURE else None
        return unique_id is not None and any(
            subentry.subentry_type == self._subentry_type
            and subentry.unique_id == unique_id
            and subentry.subentry_id != editing
            for subentry in self._get_entry().subentries.values()
        )

    def _error_key(self, err: SourceError) -> str:
        for error_type, key in self.error_keys.items():
            if isinstance(err, error_type):
                return key
        return "cannot_connect"

    async def _async_check(
        self, user_input: dict[str, Any], errors: dict[str, str]
    ) -> tuple[str, str, dict[str, Any]] | SubentryFlowResult | None:
        """Test the input as on adding: the result to store, an abort, or None (``errors`` set)."""
        # A source already added is refused before anything is sent to it.
        if self._is_configured(self._unique_id(user_input)):
            return self.async_abort(reason="already_configured")
        try:
            async with asyncio.timeout(SOURCE_TIMEOUT):
                title, unique_id, data = await self._async_test(user_input)
        except SourceFlowError as err:
            errors["base"] = err.key
        except SourceError as err:
            errors["base"] = self._error_key(err)
        except TimeoutError:
            errors["base"] = "cannot_connect"
        except Exception:  # noqa: BLE001 - a flow must show an error, never a traceback
            LOGGER.exception("Unexpected error while testing a %s source", self._subentry_type)
            errors["base"] = "unknown"
        else:
            if self._is_configured(unique_id):
                return self.async_abort(reason="already_configured")
            return title, unique_id, data
        return None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Show the form; test and create the source."""
        errors: dict[str, str] = {}
        if user_input is not None:
            checked = await self._async_check(user_input, errors)
            if isinstance(checked, tuple):
                title, unique_id, data = checked
                return self.async_create_entry(title=title, data=data, unique_id=unique_id)
            if checked is not None:
                return checked
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(self._schema(), user_input or {}),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Edit a source: the stored values prefilled, tested like a new one, then replaced.

        Secrets are not shown back; one left empty keeps the stored value, but
        only for the same server: a stored token is never sent to a new address
        the user has not given it for (``secret_required``).  The
        entry reloads by itself once the subentry's data changed (see
        ``_reload_on_subentry_change`` in ``__init__``), so only the update is done here.
        """
        entry = self._get_entry()
        subentry = self._get_reconfigure_subentry()
        current = self._form_values(subentry.data)
        secrets = self._secret_keys()
        errors: dict[str, str] = {}
        if user_input is not None:
            tested = dict(user_input)
            # Another source's server is refused first, whatever else is wrong.
            if self._is_configured(self._unique_id(tested)):
                return self.async_abort(reason="already_configured")
            moved = _server(tested.get(CONF_URL)) != _server(current.get(CONF_URL))
            for key in secrets:
                if not str(tested.get(key) or "").strip():
                    if moved:
                        errors["base"] = "secret_required"
                    tested[key] = current.get(key)
            checked = None if errors else await self._async_check(tested, errors)
            if isinstance(checked, tuple):
                title, unique_id, data = checked
                return self.async_update_and_abort(
                    entry, subentry, unique_id=unique_id, title=title, data=data
                )
            if checked is not None:
                return checked
        # The form of adding, with each secret optional (empty: keep the stored one).
        schema = vol.Schema(
            {
                vol.Optional(str(key)) if str(key) in secrets else key: value
                for key, value in self._schema().schema.items()
            }
        )
        shown = {key: value for key, value in (user_input or current).items() if key not in secrets}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(schema, shown),
            errors=errors,
        )


def _server(url: object) -> str:
    """Return the scheme and host:port a URL points to (what a stored secret belongs to)."""
    parts = urlsplit(str(url or "").strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class SpeedtestSubentryFlow(SourceSubentryFlow):
    """Speedtest Tracker: its address and an API token that may read results."""

    error_keys: ClassVar[Mapping[type[SourceError], str]] = {
        **SourceSubentryFlow.error_keys,
        SourceNotFoundError: "not_speedtest_tracker",
    }

    def _schema(self) -> vol.Schema:
        return vol.Schema(
            {
                vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
                vol.Required(CONF_API_TOKEN): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                ),
                vol.Optional(CONF_VERIFY_SSL, default=True): BooleanSelector(),
            }
        )

    @staticmethod
    def _tracker_id(url: str) -> str | None:
        """Return the tracker's address as its unique id (None if it is no http(s) URL)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        return f"{parts.scheme}://{parts.netloc.lower()}{parts.path}"

    def _unique_id(self, user_input: dict[str, Any]) -> str | None:
        return self._tracker_id(str(user_input[CONF_URL]).strip().rstrip("/"))

    async def _async_test(self, user_input: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        url = str(user_input[CONF_URL]).strip().rstrip("/")
        parts = urlsplit(url)
        unique_id = self._tracker_id(url)
        if unique_id is None:
            raise SourceFlowError("invalid_url")
        token = str(user_input[CONF_API_TOKEN]).strip()
        verify_ssl = bool(user_input.get(CONF_VERIFY_SSL, True))
        client = speedtest.SpeedtestTrackerClient(
            async_get_clientsession(self.hass, verify_ssl=verify_ssl), url, token
        )
        await client.async_validate()
        return (
            f"Speedtest Tracker {parts.hostname}",
            unique_id,
            {CONF_URL: url, CONF_API_TOKEN: token, CONF_VERIFY_SSL: verify_ssl},
        )


class BqmSubentryFlow(SourceSubentryFlow):
    """ThinkBroadband BQM: the monitor's share link (or its id); its live CSV is read once."""

    error_keys: ClassVar[Mapping[type[SourceError], str]] = {
        **SourceSubentryFlow.error_keys,
        SourceNotFoundError: "share_not_found",
    }

    def _schema(self) -> vol.Schema:
        return vol.Schema({vol.Required(CONF_SHARE): TextSelector()})

    def _form_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        # The link the stored share came from: a bare id where it is ThinkBroadband's own.
        share_id = str(data[CONF_SHARE_ID])
        base_url = str(data[CONF_BASE_URL])
        return {CONF_SHARE: share_id if base_url == bqm.DEFAULT_BASE_URL else base_url + share_id}

    def _unique_id(self, user_input: dict[str, Any]) -> str | None:
        return bqm.extract_share_id(str(user_input[CONF_SHARE]))

    async def _async_test(self, user_input: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        text = str(user_input[CONF_SHARE])
        share_id = bqm.extract_share_id(text)
        if share_id is None:
            raise SourceFlowError("invalid_share")
        base_url = bqm.base_url_of(text)
        await bqm.BqmClient(async_get_clientsession(self.hass), share_id, base_url).async_validate()
        return (
            f"ThinkBroadband BQM {share_id[:8]}",
            share_id,
            {CONF_SHARE_ID: share_id, CONF_BASE_URL: base_url},
        )


class BnetzFolderSubentryFlow(SourceSubentryFlow):
    """A folder of BNetzA protocols to watch: it must be allowed and exist."""

    def _schema(self) -> vol.Schema:
        return vol.Schema({vol.Required(CONF_FOLDER): TextSelector()})

    async def _async_test(self, user_input: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        folder = await self.hass.async_add_executor_job(
            check_folder, self.hass, str(user_input[CONF_FOLDER])
        )
        if isinstance(folder, str):
            raise SourceFlowError(folder)
        return f"BNetzA folder {folder.name}", str(folder), {CONF_FOLDER: str(folder)}


# Subentry type -> its flow.  A new source adds its flow class here.
SUBENTRY_FLOWS: dict[str, type[ConfigSubentryFlow]] = {
    SUBENTRY_SPEEDTEST: SpeedtestSubentryFlow,
    SUBENTRY_BQM: BqmSubentryFlow,
    SUBENTRY_BNETZ_FOLDER: BnetzFolderSubentryFlow,
}
