"""The stable JSON form of readings and analyses (documented in the README).

The command line prints it, ``analyze`` reads it back, and diagnostics and
exports reuse it, so one format describes a reading everywhere.  Channel
``frequency_hz`` is an integer for a single-carrier channel and a
``[low, high]`` pair for an OFDM/OFDMA block.  Times are UTC with a ``Z``.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .analyzer import ErrorBaseline
from .model import Channel, DeviceInfo, Direction, Family, Reading, normalize_modulation

if TYPE_CHECKING:
    from .analyzer import Analysis, ChannelAnalysis
    from .events import Event
    from .storage import SnapshotSummary, StoredChannel, StoredEvent, StoredSnapshot, TrendPoint

FORMAT = "docsight.reading/1"


def iso_z(when: datetime) -> str:
    """Format a timezone-aware time as UTC ISO 8601 with a Z suffix."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time; a time without zone is taken as UTC."""
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _frequency(channel: Channel) -> int | list[int] | None:
    if channel.frequency_end_hz is not None and channel.frequency_hz is not None:
        return [channel.frequency_hz, channel.frequency_end_hz]
    return channel.frequency_hz


def _channel_fields(channel: Channel) -> dict[str, Any]:
    """Return what every JSON form of a channel carries, graded or not."""
    return {
        "channel_id": channel.channel_id,
        "family": channel.family.value,
        "frequency_hz": _frequency(channel),
        "power_dbmv": channel.power_dbmv,
        "snr_db": channel.snr_db,
        "modulation": channel.modulation,
        "corrected": channel.corrected,
        "uncorrected": channel.uncorrected,
        "locked": channel.locked,
        "symbol_rate_ksym": channel.symbol_rate_ksym,
    }


def channel_to_json(item: ChannelAnalysis) -> dict[str, Any]:
    """Return one analysed channel in the documented form."""
    return {
        **_channel_fields(item.channel),
        "health": item.health.value,
        "health_detail": item.health_detail,
        "power_health": item.power_health,
        "snr_health": item.snr_health,
        "modulation_health": item.modulation_health,
    }


def _stored_channel_to_json(item: StoredChannel) -> dict[str, Any]:
    return {**_channel_fields(item.channel), "health": item.health.value}


def snapshot_summary_to_json(summary: SnapshotSummary) -> dict[str, Any]:
    """Return one stored poll's summary (what snapshot lists show)."""
    return {
        "id": summary.id,
        "read_at": iso_z(summary.ts),
        "health": summary.health.value,
        "issues": list(summary.issues),
        "ds_total": summary.ds_total,
        "us_total": summary.us_total,
        "ds_power_avg": summary.ds_power_avg,
        "ds_snr_min": summary.ds_snr_min,
        "us_power_avg": summary.us_power_avg,
        "ds_uncorr_pct": summary.ds_uncorr_pct,
        "is_demo": summary.is_demo,
    }


def stored_snapshot_to_json(snapshot: StoredSnapshot) -> dict[str, Any]:
    """Return a stored poll in the reading form, with the grades it had when stored."""
    summary = snapshot_summary_to_json(snapshot.summary)
    return {
        "format": FORMAT,
        "id": summary.pop("id"),
        "read_at": summary.pop("read_at"),
        "is_demo": summary.pop("is_demo"),
        "device": asdict(snapshot.device),
        "downstream": [_stored_channel_to_json(item) for item in snapshot.downstream],
        "upstream": [_stored_channel_to_json(item) for item in snapshot.upstream],
        "summary": summary,
    }


def stored_event_to_json(event: StoredEvent) -> dict[str, Any]:
    """Return a stored event."""
    return {
        "id": event.id,
        "timestamp": iso_z(event.ts),
        "event_type": event.event_type,
        "severity": event.severity,
        "message": event.message,
        "details": event.details,
        "acknowledged": event.acknowledged,
        "is_demo": event.is_demo,
    }


def trend_point_to_json(point: TrendPoint) -> dict[str, Any]:
    """Return one trend bucket."""
    data = asdict(point)
    data["start"] = iso_z(point.start)
    data["worst_health"] = point.worst_health.value
    return data


def analysis_to_json(analysis: Analysis, modem: str | None = None) -> dict[str, Any]:
    """Return a reading with its analysis in the documented form."""
    summary = asdict(analysis.summary)
    summary["health"] = analysis.summary.health.value
    summary["issues"] = list(analysis.summary.issues)
    summary["families"] = [
        {**asdict(stats), "modulations": list(stats.modulations)}
        for stats in analysis.summary.families
    ]
    result: dict[str, Any] = {
        "format": FORMAT,
        "read_at": iso_z(analysis.read_at),
        "profile": analysis.profile_id,
        "device": asdict(analysis.reading.device),
        "downstream": [channel_to_json(item) for item in analysis.downstream],
        "upstream": [channel_to_json(item) for item in analysis.upstream],
        "summary": summary,
    }
    if modem is not None:
        result["modem"] = modem
    return result


def event_to_json(event: Event) -> dict[str, Any]:
    """Return an event in the form the event entity and exports use."""
    return {
        "timestamp": iso_z(event.timestamp),
        "event_type": event.event_type.value,
        "severity": event.severity.value,
        "message": event.message,
        "details": event.details,
    }


def _channel_from_json(raw: dict[str, Any], direction: Direction) -> Channel:
    frequency = raw.get("frequency_hz")
    low: int | None
    high: int | None = None
    if isinstance(frequency, list):
        low, high = int(frequency[0]), int(frequency[1])
    else:
        low = None if frequency is None else int(frequency)
    default_family = Family.SC_QAM

    def number(key: str) -> float | None:
        value = raw.get(key)
        return None if value is None else float(value)

    def count(key: str) -> int | None:
        value = raw.get(key)
        return None if value is None else int(value)

    return Channel(
        direction=direction,
        family=Family(raw.get("family", default_family)),
        channel_id=int(raw["channel_id"]),
        frequency_hz=low,
        frequency_end_hz=high,
        power_dbmv=number("power_dbmv"),
        snr_db=number("snr_db") if direction is Direction.DOWNSTREAM else None,
        modulation=normalize_modulation(raw.get("modulation")),
        corrected=count("corrected"),
        uncorrected=count("uncorrected"),
        locked=raw.get("locked"),
        symbol_rate_ksym=number("symbol_rate_ksym"),
    )


_DEVICE_FIELDS = {field.name for field in fields(DeviceInfo)}


def reading_from_json(raw: dict[str, Any]) -> Reading:
    """Rebuild a reading from the documented form; analysis fields are ignored.

    Raises ValueError, with a message naming what is wrong, for input that is
    not a reading (a missing key or a value of the wrong type included), so
    that callers such as the command line need to handle one exception only.
    """
    if not isinstance(raw, dict) or "downstream" not in raw or "upstream" not in raw:
        raise ValueError("not a DOCSight reading: 'downstream' and 'upstream' lists are required")
    try:
        device_raw = raw.get("device") or {}
        device = DeviceInfo(
            **{key: value for key, value in device_raw.items() if key in _DEVICE_FIELDS}
        )
        read_at = parse_time(raw["read_at"]) if raw.get("read_at") else datetime.now(UTC)
        return Reading(
            read_at=read_at,
            device=device,
            downstream=tuple(
                _channel_from_json(ch, Direction.DOWNSTREAM) for ch in raw["downstream"]
            ),
            upstream=tuple(_channel_from_json(ch, Direction.UPSTREAM) for ch in raw["upstream"]),
        )
    except KeyError as err:
        raise ValueError(f"not a DOCSight reading: missing key {err}") from err
    except (TypeError, AttributeError, ValueError) as err:
        raise ValueError(f"not a DOCSight reading: {err}") from err


def error_baseline_to_json(baseline: ErrorBaseline) -> dict[str, Any]:
    """Return the error-counter baseline in a form the store can keep."""
    return {
        "taken_at": iso_z(baseline.taken_at),
        "corrected": baseline.corrected,
        "uncorrected": baseline.uncorrected,
        "cohort": sorted(baseline.cohort),
    }


def error_baseline_from_json(raw: dict[str, Any]) -> ErrorBaseline:
    """Rebuild a baseline; raises ValueError for anything that is not one."""
    try:
        return ErrorBaseline(
            taken_at=parse_time(raw["taken_at"]),
            corrected=int(raw["corrected"]),
            uncorrected=int(raw["uncorrected"]),
            cohort=frozenset(int(channel_id) for channel_id in raw["cohort"]),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"not an error baseline: {err}") from err
