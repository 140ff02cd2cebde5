"""Modem drivers and the registry the config flow and command line list them from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .arris_cm3500 import DEFAULT_URL as CM3500_URL, ArrisCM3500Modem
from .arris_cm8200 import DEFAULT_URL as CM8200_URL, ArrisCM8200Modem
from .arris_surfboard import DEFAULT_URL as SURFBOARD_URL, ArrisSurfboardModem
from .base import (
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemDriver,
    ModemError,
    ModemLockedError,
    ModemParseError,
    UnsupportedModemError,
)
from .compal import DEFAULT_URL as COMPAL_URL, CompalModem, CompalPlayModem
from .demo import DemoModem
from .fritzbox import DEFAULT_URL as FRITZBOX_URL, FritzBoxModem
from .generic import GenericRouter
from .json_http import JsonHttpModem
from .netgear_cm3000 import DEFAULT_URL as CM3000_URL, NetgearCM3000Modem
from .technicolor_tc4400 import DEFAULT_URL as TC4400_URL, TechnicolorTC4400Modem
from .ultrahub7 import DEFAULT_URL as ULTRAHUB7_URL, UltraHub7Modem
from .vodafone_station import DEFAULT_URL as STATION_URL, VodafoneStationModem

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "MODEM_TYPES",
    "DriverConfig",
    "ModemAuthError",
    "ModemConnectionError",
    "ModemDriver",
    "ModemError",
    "ModemLockedError",
    "ModemParseError",
    "ModemType",
    "UnsupportedModemError",
    "create_driver",
]


@dataclass(frozen=True, slots=True)
class ModemType:
    """One selectable kind of modem.

    ``poll_interval`` is fixed per type: cable modems serve their status pages
    slowly and some allow one session only, so polling is not user-tunable.
    """

    key: str
    name: str
    manufacturer: str
    factory: Callable[[DriverConfig], ModemDriver]
    poll_interval: int
    needs_url: bool = True
    needs_username: bool = False
    needs_password: bool = False
    default_url: str | None = None
    # False for a router without DOCSIS data: the entry then only carries the
    # external sources, the journal and the reports (no polling, no channels).
    has_docsis: bool = True


MODEM_TYPES: dict[str, ModemType] = {
    modem.key: modem
    for modem in (
        ModemType(
            key="demo",
            name="Demo modem",
            manufacturer="DOCSight",
            factory=DemoModem,
            poll_interval=300,
            needs_url=False,
        ),
        ModemType(
            key="fritzbox",
            name="AVM FRITZ!Box Cable",
            manufacturer="AVM",
            factory=FritzBoxModem,
            poll_interval=300,
            needs_password=True,
            default_url=FRITZBOX_URL,
        ),
        ModemType(
            key="vodafone_station",
            name="Vodafone Station (CGA and TG)",
            manufacturer="Vodafone",
            factory=VodafoneStationModem,
            poll_interval=300,
            needs_password=True,
            default_url=STATION_URL,
        ),
        ModemType(
            key="ultrahub7",
            name="Vodafone Ultra Hub 7",
            manufacturer="Sercomm",
            factory=UltraHub7Modem,
            poll_interval=300,
            needs_password=True,
            default_url=ULTRAHUB7_URL,
        ),
        ModemType(
            key="ch7465",
            name="Compal CH7465 Connect Box",
            manufacturer="Compal",
            factory=CompalModem,
            poll_interval=300,
            needs_password=True,
            default_url=COMPAL_URL,
        ),
        ModemType(
            key="ch7465_play",
            name="Compal CH7465 Connect Box (PLAY firmware)",
            manufacturer="Compal",
            factory=CompalPlayModem,
            poll_interval=300,
            needs_password=True,
            default_url=COMPAL_URL,
        ),
        ModemType(
            key="cm3500",
            name="Arris CM3500B",
            manufacturer="Arris",
            factory=ArrisCM3500Modem,
            poll_interval=300,
            needs_password=True,
            default_url=CM3500_URL,
        ),
        ModemType(
            key="surfboard",
            name="Arris SURFboard S33/S34/SB8200",
            manufacturer="Arris",
            factory=ArrisSurfboardModem,
            poll_interval=300,
            needs_password=True,
            default_url=SURFBOARD_URL,
        ),
        ModemType(
            key="cm8200",
            name="Arris CM8200A",
            manufacturer="Arris",
            factory=ArrisCM8200Modem,
            poll_interval=300,
            needs_password=True,
            default_url=CM8200_URL,
        ),
        ModemType(
            key="cm3000",
            name="Netgear CM3000",
            manufacturer="Netgear",
            factory=NetgearCM3000Modem,
            poll_interval=300,
            needs_password=True,
            default_url=CM3000_URL,
        ),
        ModemType(
            key="tc4400",
            name="Technicolor TC4400",
            manufacturer="Technicolor",
            factory=TechnicolorTC4400Modem,
            poll_interval=300,
            default_url=TC4400_URL,
        ),
        ModemType(
            key="generic",
            name="Generic router (no DOCSIS data)",
            manufacturer="Generic",
            factory=GenericRouter,
            poll_interval=3600,
            needs_url=False,
            has_docsis=False,
        ),
        ModemType(
            key="json_http",
            name="DOCSight JSON over HTTP",
            manufacturer="DOCSight",
            factory=JsonHttpModem,
            poll_interval=300,
            needs_username=False,
            needs_password=False,
        ),
    )
}


def create_driver(modem_type: str, config: DriverConfig) -> ModemDriver:
    """Return a driver for a registered modem type; raises KeyError for unknown types."""
    return MODEM_TYPES[modem_type].factory(config)
