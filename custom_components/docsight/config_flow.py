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

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_NAME, CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
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

from .const import (
    CONF_HEALTH_HYSTERESIS,
    CONF_MODEM_TYPE,
    CONF_RETENTION_DAYS,
    DEFAULT_RETENTION_DAYS,
    DEMO_MODEM,
    DOMAIN,
    GENERIC_ROUTER,
    LOGGER,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
)
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
                }
            ),
        )
