"""Small builders for channels, readings and analyses used across the library tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from custom_components.docsight.docsis.analyzer import Analysis, ErrorBaseline, analyze
from custom_components.docsight.docsis.model import (
    Channel,
    DeviceInfo,
    Direction,
    Family,
    Reading,
)

T0 = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
POLL = timedelta(minutes=5)


def ds(
    channel_id: int = 1,
    *,
    family: Family = Family.SC_QAM,
    power: float | None = 0.0,
    snr: float | None = 40.0,
    modulation: str | None = "256QAM",
    corrected: int | None = None,
    uncorrected: int | None = None,
    **extra: Any,
) -> Channel:
    """Return a downstream channel that is good unless told otherwise."""
    return Channel(
        Direction.DOWNSTREAM,
        family,
        channel_id,
        power_dbmv=power,
        snr_db=snr,
        modulation=modulation,
        corrected=corrected,
        uncorrected=uncorrected,
        **extra,
    )


def us(
    channel_id: int = 1,
    *,
    family: Family = Family.SC_QAM,
    power: float | None = 45.0,
    modulation: str | None = "64QAM",
    **extra: Any,
) -> Channel:
    """Return an upstream channel that is good unless told otherwise."""
    return Channel(
        Direction.UPSTREAM,
        family,
        channel_id,
        power_dbmv=power,
        modulation=modulation,
        **extra,
    )


def reading(
    downstream: tuple[Channel, ...] | list[Channel] = (),
    upstream: tuple[Channel, ...] | list[Channel] = (),
    *,
    at: datetime = T0,
    device: DeviceInfo | None = None,
) -> Reading:
    """Return a reading of the given channels."""
    return Reading(at, device or DeviceInfo(), tuple(downstream), tuple(upstream))


def analysis(
    downstream: tuple[Channel, ...] | list[Channel] = (),
    upstream: tuple[Channel, ...] | list[Channel] = (),
    *,
    at: datetime = T0,
    device: DeviceInfo | None = None,
    baseline: ErrorBaseline | None = None,
) -> Analysis:
    """Return the analysis of a reading of the given channels."""
    return analyze(reading(downstream, upstream, at=at, device=device), baseline=baseline)


def counted(count: int, corrected: int, uncorrected: int, **extra: Any) -> list[Channel]:
    """Return ``count`` good downstream channels that each report the same counters."""
    return [
        ds(i, corrected=corrected, uncorrected=uncorrected, **extra) for i in range(1, count + 1)
    ]
