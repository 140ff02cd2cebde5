"""Sensors: the line's grade, its summary values, and (disabled) per-channel levels.

The default set is deliberately small: a dozen values that change on most
polls is what the recorder stores all day.  Every channel's full detail is kept
in the integration's own history; per-channel sensors exist for those who want
one channel on a dashboard and are disabled by default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfDataRate, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .bnetz import BnetzLatestCoordinator
from .const import SUBENTRY_BQM, SUBENTRY_SPEEDTEST
from .coordinator import (
    BqmData,
    DocsightConfigEntry,
    ModemCoordinator,
    ModemData,
    SourceCoordinator,
    SpeedtestData,
)
from .docsis.analyzer import ChannelAnalysis, LineHealth
from .docsis.model import Direction
from .docsis.sources.bnetz import StoredCampaign, Verdict as BnetzVerdict, verdict_to_json
from .docsis.sources.bqm import BqmDay
from .entity import DocsightEntity, DocsightSourceEntity

PARALLEL_UPDATES = 0

DBMV = "dBmV"
DB = "dB"


@dataclass(frozen=True, kw_only=True)
class DocsightSensorDescription(SensorEntityDescription):
    """A summary sensor: where its value comes from and whether the modem has it."""

    value_fn: Callable[[ModemData], StateType | datetime]
    exists_fn: Callable[[ModemData], bool] = lambda _: True
    attributes_fn: Callable[[ModemData], dict[str, Any]] | None = None


def _level(unit: str, precision: int = 1, **kwargs: Any) -> dict[str, Any]:
    return {
        "native_unit_of_measurement": unit,
        "state_class": SensorStateClass.MEASUREMENT,
        "suggested_display_precision": precision,
        **kwargs,
    }


SUMMARY_SENSORS: tuple[DocsightSensorDescription, ...] = (
    DocsightSensorDescription(
        key="line_health",
        translation_key="line_health",
        device_class=SensorDeviceClass.ENUM,
        options=[health.value for health in LineHealth],
        value_fn=lambda data: data.analysis.summary.health.value,
        attributes_fn=lambda data: {"issues": list(data.analysis.summary.issues)},
    ),
    DocsightSensorDescription(
        key="ds_power_avg",
        translation_key="ds_power_avg",
        value_fn=lambda data: data.analysis.summary.ds_power_avg,
        exists_fn=lambda data: data.analysis.summary.ds_total > 0,
        **_level(DBMV),
    ),
    DocsightSensorDescription(
        key="ds_power_min",
        translation_key="ds_power_min",
        value_fn=lambda data: data.analysis.summary.ds_power_min,
        exists_fn=lambda data: data.analysis.summary.ds_total > 0,
        **_level(DBMV),
    ),
    DocsightSensorDescription(
        key="ds_power_max",
        translation_key="ds_power_max",
        value_fn=lambda data: data.analysis.summary.ds_power_max,
        exists_fn=lambda data: data.analysis.summary.ds_total > 0,
        **_level(DBMV),
    ),
    DocsightSensorDescription(
        key="ds_snr_min",
        translation_key="ds_snr_min",
        value_fn=lambda data: data.analysis.summary.ds_snr_min,
        exists_fn=lambda data: data.analysis.summary.ds_total > 0,
        **_level(DB),
    ),
    DocsightSensorDescription(
        key="ds_snr_avg",
        translation_key="ds_snr_avg",
        value_fn=lambda data: data.analysis.summary.ds_snr_avg,
        exists_fn=lambda data: data.analysis.summary.ds_total > 0,
        **_level(DB),
    ),
    DocsightSensorDescription(
        key="ds_snr_max",
        translation_key="ds_snr_max",
        value_fn=lambda data: data.analysis.summary.ds_snr_max,
        exists_fn=lambda data: data.analysis.summary.ds_total > 0,
        entity_registry_enabled_default=False,
        **_level(DB),
    ),
    DocsightSensorDescription(
        key="us_power_avg",
        translation_key="us_power_avg",
        value_fn=lambda data: data.analysis.summary.us_power_avg,
        exists_fn=lambda data: data.analysis.summary.us_total > 0,
        **_level(DBMV),
    ),
    DocsightSensorDescription(
        key="us_power_min",
        translation_key="us_power_min",
        value_fn=lambda data: data.analysis.summary.us_power_min,
        exists_fn=lambda data: data.analysis.summary.us_total > 0,
        entity_registry_enabled_default=False,
        **_level(DBMV),
    ),
    DocsightSensorDescription(
        key="us_power_max",
        translation_key="us_power_max",
        value_fn=lambda data: data.analysis.summary.us_power_max,
        exists_fn=lambda data: data.analysis.summary.us_total > 0,
        entity_registry_enabled_default=False,
        **_level(DBMV),
    ),
    DocsightSensorDescription(
        key="uncorrectable_rate",
        translation_key="uncorrectable_rate",
        value_fn=lambda data: data.analysis.summary.ds_uncorr_pct,
        exists_fn=lambda data: data.analysis.summary.errors_supported,
        **_level(PERCENTAGE, precision=3),
    ),
    DocsightSensorDescription(
        key="corrected_errors",
        translation_key="corrected_errors",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda data: data.analysis.summary.ds_correctable_errors,
        exists_fn=lambda data: data.analysis.summary.ds_correctable_errors is not None,
    ),
    DocsightSensorDescription(
        key="uncorrected_errors",
        translation_key="uncorrected_errors",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda data: data.analysis.summary.ds_uncorrectable_errors,
        exists_fn=lambda data: data.analysis.summary.ds_uncorrectable_errors is not None,
    ),
    DocsightSensorDescription(
        key="ds_channels",
        translation_key="ds_channels",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.analysis.summary.ds_total,
    ),
    DocsightSensorDescription(
        key="us_channels",
        translation_key="us_channels",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.analysis.summary.us_total,
    ),
    DocsightSensorDescription(
        key="ds_capacity",
        translation_key="ds_capacity",
        device_class=SensorDeviceClass.DATA_RATE,
        native_unit_of_measurement="Mbit/s",
        entity_registry_enabled_default=False,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.analysis.summary.ds_capacity_mbps,
        exists_fn=lambda data: data.analysis.summary.ds_capacity_mbps is not None,
    ),
    DocsightSensorDescription(
        key="us_capacity",
        translation_key="us_capacity",
        device_class=SensorDeviceClass.DATA_RATE,
        native_unit_of_measurement="Mbit/s",
        entity_registry_enabled_default=False,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.analysis.summary.us_capacity_mbps,
        exists_fn=lambda data: data.analysis.summary.us_capacity_mbps is not None,
    ),
    DocsightSensorDescription(
        key="last_boot",
        translation_key="last_boot",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.boot_time,
        exists_fn=lambda data: data.boot_time is not None,
    ),
)


@dataclass(frozen=True, kw_only=True)
class ChannelSensorDescription(SensorEntityDescription):
    """A per-channel level; ``direction`` picks the channel list it reads."""

    direction: Direction
    value_fn: Callable[[ChannelAnalysis], float | None]


CHANNEL_SENSORS: tuple[ChannelSensorDescription, ...] = (
    ChannelSensorDescription(
        key="power",
        translation_key="ds_channel_power",
        direction=Direction.DOWNSTREAM,
        entity_registry_enabled_default=False,
        value_fn=lambda item: item.channel.power_dbmv,
        **_level(DBMV),
    ),
    ChannelSensorDescription(
        key="snr",
        translation_key="ds_channel_snr",
        direction=Direction.DOWNSTREAM,
        entity_registry_enabled_default=False,
        value_fn=lambda item: item.channel.snr_db,
        **_level(DB),
    ),
    ChannelSensorDescription(
        key="power",
        translation_key="us_channel_power",
        direction=Direction.UPSTREAM,
        entity_registry_enabled_default=False,
        value_fn=lambda item: item.channel.power_dbmv,
        **_level(DBMV),
    ),
)


def _channels(data: ModemData, direction: Direction) -> tuple[ChannelAnalysis, ...]:
    analysis = data.analysis
    return analysis.downstream if direction is Direction.DOWNSTREAM else analysis.upstream


async def async_setup_entry(
    hass: HomeAssistant,
    entry: DocsightConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's sensors (a router without DOCSIS data has no line sensors)."""
    if entry.runtime_data.modem_type.has_docsis:
        _async_add_line_sensors(entry, async_add_entities)
    _async_add_source_sensors(entry, async_add_entities)
    await _async_add_bnetz_sensors(hass, entry, async_add_entities)


def _async_add_line_sensors(
    entry: DocsightConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the summary sensors, and channel sensors for every channel seen so far.

    Channels that appear later (a modem re-bonding onto a new frequency) get
    their sensors on the poll that first shows them.
    """
    coordinator = entry.runtime_data.modem
    async_add_entities(
        DocsightSensor(coordinator, description)
        for description in SUMMARY_SENSORS
        if description.exists_fn(coordinator.data)
    )
    known: set[tuple[str, str, int]] = set()

    @callback
    def add_channel_sensors() -> None:
        new = []
        for description in CHANNEL_SENSORS:
            for item in _channels(coordinator.data, description.direction):
                key = (description.translation_key or "", description.key, item.channel.channel_id)
                if key not in known:
                    known.add(key)
                    new.append(ChannelSensor(coordinator, description, item.channel.channel_id))
        if new:
            async_add_entities(new)

    add_channel_sensors()
    entry.async_on_unload(coordinator.async_add_listener(add_channel_sensors))


class DocsightSensor(DocsightEntity, SensorEntity):
    """A summary value of the line."""

    entity_description: DocsightSensorDescription

    def __init__(
        self, coordinator: ModemCoordinator, description: DocsightSensorDescription
    ) -> None:
        """Bind the description."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType | datetime:
        """Return the value picked from the last poll."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the description's attributes, if it has any."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.coordinator.data)


class ChannelSensor(DocsightEntity, SensorEntity):
    """One level of one channel; unavailable while the modem is not bonded to it.

    The unique id uses direction and channel id, never a list position, so it
    survives channels coming and going.
    """

    entity_description: ChannelSensorDescription
    # Frequency and modulation are context, not history worth a row per change.
    _unrecorded_attributes = frozenset({"frequency_hz", "modulation", "family", "health"})

    def __init__(
        self,
        coordinator: ModemCoordinator,
        description: ChannelSensorDescription,
        channel_id: int,
    ) -> None:
        """Bind the description to one channel id."""
        prefix = "ds" if description.direction is Direction.DOWNSTREAM else "us"
        super().__init__(coordinator, f"{prefix}_{channel_id}_{description.key}")
        self.entity_description = description
        self.channel_id = channel_id
        self._attr_translation_placeholders = {"channel": str(channel_id)}

    def _item(self) -> ChannelAnalysis | None:
        for item in _channels(self.coordinator.data, self.entity_description.direction):
            if item.channel.channel_id == self.channel_id:
                return item
        return None

    @property
    def available(self) -> bool:
        """Return False while the modem does not report this channel."""
        return super().available and self._item() is not None

    @property
    def native_value(self) -> float | None:
        """Return the channel's level from the last poll."""
        item = self._item()
        return None if item is None else self.entity_description.value_fn(item)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return what identifies the channel on the line."""
        item = self._item()
        if item is None:
            return None
        channel = item.channel
        return {
            "frequency_hz": channel.frequency_hz,
            "modulation": channel.modulation,
            "family": channel.family.value,
            "health": item.health.value,
        }


# -- external sources (one device per config subentry) ------------------------


@dataclass(frozen=True, kw_only=True)
class SourceSensorDescription(SensorEntityDescription):
    """A sensor of an external source: where its value comes from in the source's data."""

    value_fn: Callable[[Any], StateType | datetime | date]
    attributes_fn: Callable[[Any], dict[str, Any]] | None = None


def _speedtest(field: str) -> Callable[[SpeedtestData], float | None]:
    def value(data: SpeedtestData) -> float | None:
        return None if data.latest is None else cast("float | None", getattr(data.latest, field))

    return value


def _speedtest_attributes(data: SpeedtestData) -> dict[str, Any]:
    """Return the test's context: server, provider, and the line's state at that moment."""
    latest = data.latest
    if latest is None:
        return {}
    snapshot = data.snapshot
    return {
        "result_id": latest.source_id,
        "server": latest.server_name,
        "isp": latest.isp,
        "result_url": latest.details.get("result_url"),
        "snapshot_time": snapshot.ts.isoformat() if snapshot else None,
        "line_health": snapshot.health.value if snapshot else None,
        "stored_results": data.stored,
    }


def _bqm(value: Callable[[BqmDay], StateType | date]) -> Callable[[BqmData], StateType | date]:
    def pick(data: BqmData) -> StateType | date:
        return None if data.latest is None else value(data.latest.day)

    return pick


_MBITS: dict[str, Any] = {
    "device_class": SensorDeviceClass.DATA_RATE,
    "native_unit_of_measurement": UnitOfDataRate.MEGABITS_PER_SECOND,
    "state_class": SensorStateClass.MEASUREMENT,
    "suggested_display_precision": 1,
}
_MILLISECONDS: dict[str, Any] = {
    "device_class": SensorDeviceClass.DURATION,
    "native_unit_of_measurement": UnitOfTime.MILLISECONDS,
    "state_class": SensorStateClass.MEASUREMENT,
    "suggested_display_precision": 1,
}
_LOSS: dict[str, Any] = {
    "native_unit_of_measurement": PERCENTAGE,
    "state_class": SensorStateClass.MEASUREMENT,
    "suggested_display_precision": 2,
}

SPEEDTEST_SENSORS: tuple[SourceSensorDescription, ...] = (
    SourceSensorDescription(
        key="download",
        translation_key="speedtest_download",
        value_fn=_speedtest("download_mbps"),
        **_MBITS,
    ),
    SourceSensorDescription(
        key="upload",
        translation_key="speedtest_upload",
        value_fn=_speedtest("upload_mbps"),
        **_MBITS,
    ),
    SourceSensorDescription(
        key="ping",
        translation_key="speedtest_ping",
        value_fn=_speedtest("ping_ms"),
        **_MILLISECONDS,
    ),
    SourceSensorDescription(
        key="jitter",
        translation_key="speedtest_jitter",
        value_fn=_speedtest("jitter_ms"),
        **_MILLISECONDS,
    ),
    SourceSensorDescription(
        key="packet_loss",
        translation_key="speedtest_packet_loss",
        value_fn=_speedtest("packet_loss_pct"),
        **_LOSS,
    ),
    SourceSensorDescription(
        key="last_test",
        translation_key="speedtest_last_test",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda data: data.latest.timestamp if data.latest else None,
        attributes_fn=_speedtest_attributes,
    ),
)
BQM_SENSORS: tuple[SourceSensorDescription, ...] = (
    SourceSensorDescription(
        key="packet_loss",
        translation_key="bqm_packet_loss",
        value_fn=_bqm(lambda day: day.packet_loss_pct),
        **_LOSS,
    ),
    SourceSensorDescription(
        key="latency_avg",
        translation_key="bqm_latency_avg",
        value_fn=_bqm(lambda day: day.latency_avg_ms),
        **_MILLISECONDS,
    ),
    SourceSensorDescription(
        key="latency_max",
        translation_key="bqm_latency_max",
        value_fn=_bqm(lambda day: day.latency_max_ms),
        **_MILLISECONDS,
    ),
    SourceSensorDescription(
        key="latency_min",
        translation_key="bqm_latency_min",
        value_fn=_bqm(lambda day: day.latency_min_ms),
        entity_registry_enabled_default=False,
        **_MILLISECONDS,
    ),
    SourceSensorDescription(
        key="day",
        translation_key="bqm_day",
        device_class=SensorDeviceClass.DATE,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_bqm(lambda day: day.day),
    ),
)

# Subentry type -> its sensors.  A new source adds its tuple here.
SOURCE_SENSORS: dict[str, tuple[SourceSensorDescription, ...]] = {
    SUBENTRY_SPEEDTEST: SPEEDTEST_SENSORS,
    SUBENTRY_BQM: BQM_SENSORS,
}


def _async_add_source_sensors(
    entry: DocsightConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add each source's sensors to its subentry."""
    for subentry_id, source in entry.runtime_data.sources.items():
        async_add_entities(
            (
                SourceSensor(source, description)
                for description in SOURCE_SENSORS.get(source.source_type, ())
            ),
            config_subentry_id=subentry_id,
        )


class SourceSensor(DocsightSourceEntity[SourceCoordinator[Any]], SensorEntity):
    """One value of an external source."""

    entity_description: SourceSensorDescription

    def __init__(
        self, coordinator: SourceCoordinator[Any], description: SourceSensorDescription
    ) -> None:
        """Bind the description."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType | datetime | date:
        """Return the value picked from the source's data."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the description's attributes, if it has any."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.coordinator.data)


# -- BNetzA campaigns (on the modem's device) ---------------------------------


def _bnetz_verdict(direction: str) -> BnetzSensorDescription:
    return BnetzSensorDescription(
        key=f"bnetz_{direction}_verdict",
        translation_key=f"bnetz_{direction}_verdict",
        device_class=SensorDeviceClass.ENUM,
        options=[verdict.value for verdict in BnetzVerdict],
        value_fn=lambda stored: stored.verdicts[direction].verdict.value,
        attributes_fn=lambda stored: {
            key: value
            for key, value in verdict_to_json(stored.verdicts[direction]).items()
            if key in ("fired", "criteria", "problems", "per_day")
        },
    )


def _bnetz_average(direction: str) -> BnetzSensorDescription:
    def attributes(stored: StoredCampaign) -> dict[str, Any]:
        tariff = stored.campaign.tariff(direction)
        if tariff is None:
            return {}
        return {
            "tariff_maximum": tariff.maximum,
            "tariff_normal": tariff.normal,
            "tariff_minimum": tariff.minimum,
        }

    return BnetzSensorDescription(
        key=f"bnetz_{direction}_average",
        translation_key=f"bnetz_{direction}_average",
        device_class=SensorDeviceClass.DATA_RATE,
        native_unit_of_measurement=UnitOfDataRate.MEGABITS_PER_SECOND,
        suggested_display_precision=1,
        value_fn=lambda stored: stored.campaign.average(direction),
        attributes_fn=attributes,
    )


@dataclass(frozen=True, kw_only=True)
class BnetzSensorDescription(SensorEntityDescription):
    """A sensor of the newest BNetzA campaign."""

    value_fn: Callable[[StoredCampaign], StateType | date]
    attributes_fn: Callable[[StoredCampaign], dict[str, Any]] | None = None


BNETZ_SENSORS: tuple[BnetzSensorDescription, ...] = (
    BnetzSensorDescription(
        key="bnetz_campaign",
        translation_key="bnetz_campaign",
        device_class=SensorDeviceClass.DATE,
        value_fn=lambda stored: stored.campaign.date,
        attributes_fn=lambda stored: {
            "provider": stored.campaign.provider,
            "tariff": stored.campaign.tariff_name,
            "measurements": stored.campaign.measurement_count,
            "kind": stored.campaign.kind,
        },
    ),
    _bnetz_verdict("download"),
    _bnetz_verdict("upload"),
    _bnetz_average("download"),
    _bnetz_average("upload"),
)


async def _async_add_bnetz_sensors(
    hass: HomeAssistant,
    entry: DocsightConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of the newest BNetzA campaign (unknown until one is stored)."""
    coordinator = BnetzLatestCoordinator(hass, entry)
    await coordinator.async_refresh()
    coordinator.async_start()
    modem = entry.runtime_data.modem
    async_add_entities(
        BnetzSensor(coordinator, modem, description) for description in BNETZ_SENSORS
    )


class BnetzSensor(CoordinatorEntity[BnetzLatestCoordinator], SensorEntity):
    """A value of the newest BNetzA campaign, on the modem's device."""

    _attr_has_entity_name = True
    entity_description: BnetzSensorDescription

    def __init__(
        self,
        coordinator: BnetzLatestCoordinator,
        modem: ModemCoordinator,
        description: BnetzSensorDescription,
    ) -> None:
        """Bind the description; the modem gives the device."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{modem.device_key}_{description.key}"
        self._attr_device_info = modem.device_info

    @property
    def native_value(self) -> StateType | date:
        """Return the value of the newest campaign (unknown before the first)."""
        stored = self.coordinator.data
        return None if stored is None else self.entity_description.value_fn(stored)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the description's attributes for the newest campaign."""
        stored = self.coordinator.data
        if stored is None or self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(stored)
