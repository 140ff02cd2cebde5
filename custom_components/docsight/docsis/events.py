"""Detect what changed on the line between two analyses.

``detect`` is pure: the caller hands in the state returned last time and gets
the events plus the next state back.  Keeping the state explicit is what lets
the coordinator, the history seeder and the tests drive the same rules.

The reference re-implemented here has no cooldown in its detector (that lives
in its notifier), and neither do we: every change is recorded, and whoever
notifies (an automation on the event entity) decides what is worth a ping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
import math
from typing import TYPE_CHECKING, Any

from .analyzer import Analysis, ChannelAnalysis, LineHealth
from .model import qam_order

if TYPE_CHECKING:
    from datetime import datetime


class EventType(StrEnum):
    """Every modem-side event the detector can raise."""

    MONITORING_STARTED = "monitoring_started"
    HEALTH_CHANGE = "health_change"
    POWER_CHANGE = "power_change"
    SNR_CHANGE = "snr_change"
    CHANNEL_CHANGE = "channel_change"
    MODULATION_CHANGE = "modulation_change"
    MODEM_RESTART_DETECTED = "modem_restart_detected"
    ERROR_SPIKE = "error_spike"
    DEVICE_SW_UPDATE = "device_sw_update"
    DEVICE_REBOOT = "device_reboot"
    DEVICE_IP_CHANGE = "device_ip_change"


class Severity(StrEnum):
    """How much an event matters, in increasing order."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Event:
    """One detected change.  ``details`` is plain JSON-serialisable data."""

    timestamp: datetime
    event_type: EventType
    severity: Severity
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DetectorRules:
    """The detector's thresholds, as the reference defines them."""

    power_shift_db: float = 2.0
    spike_threshold: int = 1000
    restart_min_overlap: int = 4
    restart_overlap_ratio: float = 0.5
    restart_falling_ratio: float = 0.8
    health_hysteresis: int = 0


DEFAULT_RULES = DetectorRules()


@dataclass(frozen=True, slots=True)
class DetectorState:
    """What the detector remembers between polls.

    ``reported_health`` is the health last announced; with hysteresis a
    different health must hold for N polls (``pending_*``) before it is.
    """

    previous: Analysis
    reported_health: LineHealth
    pending_health: LineHealth | None = None
    pending_count: int = 0


_LINE_LEVEL = {health: level for level, health in enumerate(LineHealth)}
_HEALTH_LEVEL = {"good": 0, "tolerated": 1, "warning": 2, "critical": 3}


def _rank(modulation: str | None) -> int | None:
    """Return the reference's QAM rank: QPSK 1, 16QAM 3, 256QAM 7, 4096QAM 11."""
    order = qam_order(modulation)
    if order is None or order < 2:
        return None
    return int(math.log2(order)) - 1


def detect(
    state: DetectorState | None,
    current: Analysis,
    rules: DetectorRules = DEFAULT_RULES,
) -> tuple[list[Event], DetectorState]:
    """Return the events between the previous poll and ``current``, and the next state."""
    now = current.read_at
    health = current.summary.health
    if state is None:
        started = Event(
            now,
            EventType.MONITORING_STARTED,
            Severity.INFO,
            f"Monitoring started, line health {health}",
            {"health": str(health), "issues": list(current.summary.issues)},
        )
        return [started], DetectorState(current, health)

    previous = state.previous
    events: list[Event] = []
    state = _health(state, current, rules, events)
    _power(previous, current, rules, events)
    # The channel rules look channels of the previous poll up by id; the maps
    # are built once here rather than once per rule.
    before_ds, before_us = _by_id(previous.downstream), _by_id(previous.upstream)
    _snr(previous, current, before_ds, events)
    _channels(before_ds, before_us, current, events)
    _modulation(before_ds, before_us, current, events)
    _restart(previous, current, rules, events)
    _spike(previous, current, rules, events)
    _device(previous, current, events)
    return events, state


def _health(
    state: DetectorState, current: Analysis, rules: DetectorRules, events: list[Event]
) -> DetectorState:
    health = current.summary.health
    reported = state.reported_health
    if health == reported:
        return DetectorState(current, reported)
    if rules.health_hysteresis >= 2:
        count = state.pending_count + 1 if state.pending_health == health else 1
        if count < rules.health_hysteresis:
            return DetectorState(current, reported, health, count)
    worse = _LINE_LEVEL[health] > _LINE_LEVEL[reported]
    if not worse:
        severity = Severity.INFO
    elif health is LineHealth.CRITICAL:
        severity = Severity.CRITICAL
    else:
        severity = Severity.WARNING
    events.append(
        Event(
            current.read_at,
            EventType.HEALTH_CHANGE,
            severity,
            f"Line health changed from {reported} to {health}",
            {
                "previous": str(reported),
                "current": str(health),
                "issues": list(current.summary.issues),
            },
        )
    )
    return DetectorState(current, health)


def _power(
    previous: Analysis, current: Analysis, rules: DetectorRules, events: list[Event]
) -> None:
    for direction, before, after in (
        ("downstream", previous.summary.ds_power_avg, current.summary.ds_power_avg),
        ("upstream", previous.summary.us_power_avg, current.summary.us_power_avg),
    ):
        if before is None or after is None:
            continue
        delta = round(after - before, 2)
        if abs(delta) > rules.power_shift_db:
            events.append(
                Event(
                    current.read_at,
                    EventType.POWER_CHANGE,
                    Severity.WARNING,
                    f"Average {direction} power moved {delta:+.1f} dB ({before:.1f} to {after:.1f} dBmV)",
                    {"direction": direction, "previous": before, "current": after, "delta": delta},
                )
            )


def _by_id(channels: tuple[ChannelAnalysis, ...]) -> dict[int, ChannelAnalysis]:
    """Return the channels by id (the last one wins if a modem repeats an id)."""
    return {item.channel.channel_id: item for item in channels}


def _snr(
    previous: Analysis,
    current: Analysis,
    before: dict[int, ChannelAnalysis],
    events: list[Event],
) -> None:
    if previous.summary.ds_snr_min == current.summary.ds_snr_min:
        return
    affected = []
    worst = 0
    for item in current.downstream:
        # Only a channel whose SNR is not good now can have got worse to a
        # non-good grade, so good ones (all, on a healthy line) are skipped
        # before the lookup of their previous grade.
        if item.snr_health is None:
            continue
        level = _HEALTH_LEVEL[item.snr_health]
        if not level:
            continue
        old = before.get(item.channel.channel_id)
        if old is None or old.snr_health is None or level <= _HEALTH_LEVEL[old.snr_health]:
            continue
        worst = max(worst, level)
        affected.append(
            {
                "channel_id": item.channel.channel_id,
                "previous": old.channel.snr_db,
                "current": item.channel.snr_db,
                "delta": round((item.channel.snr_db or 0.0) - (old.channel.snr_db or 0.0), 2),
                "health": str(item.snr_health),
            }
        )
    if not affected:
        return
    events.append(
        Event(
            current.read_at,
            EventType.SNR_CHANGE,
            Severity.CRITICAL if worst == 3 else Severity.WARNING,
            f"Downstream SNR degraded on {len(affected)} channel(s), minimum now "
            f"{current.summary.ds_snr_min} dB",
            {
                "previous_min": previous.summary.ds_snr_min,
                "current_min": current.summary.ds_snr_min,
                "channels": affected,
            },
        )
    )


def _channels(
    before_ds: dict[int, ChannelAnalysis],
    before_us: dict[int, ChannelAnalysis],
    current: Analysis,
    events: list[Event],
) -> None:
    for direction, before, after in (
        ("downstream", before_ds, current.downstream),
        ("upstream", before_us, current.upstream),
    ):
        old_ids = before.keys()
        new_ids = {item.channel.channel_id for item in after}
        if old_ids == new_ids:
            continue
        lost, added = sorted(old_ids - new_ids), sorted(new_ids - old_ids)
        events.append(
            Event(
                current.read_at,
                EventType.CHANNEL_CHANGE,
                Severity.WARNING if lost else Severity.INFO,
                f"{direction.capitalize()} channels changed from {len(old_ids)} to {len(new_ids)}",
                {
                    "direction": direction,
                    "previous_count": len(old_ids),
                    "current_count": len(new_ids),
                    "lost_channels": lost,
                    "added_channels": added,
                },
            )
        )


def _modulation(
    before_ds: dict[int, ChannelAnalysis],
    before_us: dict[int, ChannelAnalysis],
    current: Analysis,
    events: list[Event],
) -> None:
    downgrades: list[dict[str, Any]] = []
    upgrades: list[dict[str, Any]] = []
    critical = False
    for direction, before, after in (
        ("downstream", before_ds, current.downstream),
        ("upstream", before_us, current.upstream),
    ):
        for item in after:
            old = before.get(item.channel.channel_id)
            if old is None or old.channel.modulation == item.channel.modulation:
                continue
            old_rank, new_rank = _rank(old.channel.modulation), _rank(item.channel.modulation)
            # Unrankable labels, and two spellings of one order ("QPSK", "4QAM"),
            # are no change of modulation.
            if old_rank is None or new_rank is None or old_rank == new_rank:
                continue
            change = {
                "direction": direction,
                "channel_id": item.channel.channel_id,
                "previous": old.channel.modulation,
                "current": item.channel.modulation,
                "rank_delta": new_rank - old_rank,
                "health": str(item.modulation_health),
            }
            if new_rank < old_rank:
                downgrades.append(change)
                critical = critical or item.modulation_health == "critical"
            else:
                upgrades.append(change)
    if downgrades:
        events.append(
            Event(
                current.read_at,
                EventType.MODULATION_CHANGE,
                Severity.CRITICAL if critical else Severity.WARNING,
                f"Modulation downgraded on {len(downgrades)} channel(s)",
                {"direction": "downgrade", "changes": downgrades},
            )
        )
    if upgrades:
        events.append(
            Event(
                current.read_at,
                EventType.MODULATION_CHANGE,
                Severity.INFO,
                f"Modulation upgraded on {len(upgrades)} channel(s)",
                {"direction": "upgrade", "changes": upgrades},
            )
        )


def _counters(channels: tuple[ChannelAnalysis, ...]) -> dict[int, tuple[int, int]]:
    """Return the codeword counters of the channels that report both, by id."""
    counters = {}
    for item in channels:
        channel = item.channel
        if channel.corrected is not None and channel.uncorrected is not None:
            counters[channel.channel_id] = (channel.corrected, channel.uncorrected)
    return counters


def _restart(
    previous: Analysis, current: Analysis, rules: DetectorRules, events: list[Event]
) -> None:
    """Recognise a modem restart from its codeword counters starting again from zero.

    A restart resets every counter at once, so most overlapping channels must
    fall and none may rise; a single channel re-locking is not a restart.
    All conditions must hold, so the cheapest goes first: on nearly every poll
    the line totals rise and the channels need not be looked at.
    """
    old_summary, new_summary = previous.summary, current.summary
    if not (
        _fell(old_summary.ds_correctable_errors, new_summary.ds_correctable_errors)
        or _fell(old_summary.ds_uncorrectable_errors, new_summary.ds_uncorrectable_errors)
    ):
        return
    before, after = _counters(previous.downstream), _counters(current.downstream)
    overlap = before.keys() & after.keys()
    count = len(overlap)
    if (
        count < rules.restart_min_overlap
        or count < rules.restart_overlap_ratio * len(before)
        or count < rules.restart_overlap_ratio * len(after)
    ):
        return
    falling = rising = 0
    for channel_id in overlap:
        (old_c, old_u), (new_c, new_u) = before[channel_id], after[channel_id]
        if new_c < old_c or new_u < old_u:
            falling += 1
        elif new_c > old_c or new_u > old_u:
            rising += 1
    if rising or falling < rules.restart_falling_ratio * count:
        return
    events.append(
        Event(
            current.read_at,
            EventType.MODEM_RESTART_DETECTED,
            Severity.INFO,
            f"Modem restart detected: error counters reset on {falling} of {count} channels",
            {
                "falling_channels": falling,
                "overlapping_channels": count,
                "previous_corrected": old_summary.ds_correctable_errors,
                "current_corrected": new_summary.ds_correctable_errors,
            },
        )
    )


def _fell(before: int | None, after: int | None) -> bool:
    return before is not None and after is not None and after < before


def _spike(
    previous: Analysis, current: Analysis, rules: DetectorRules, events: list[Event]
) -> None:
    if not current.summary.errors_supported:
        return
    before = previous.summary.ds_uncorrectable_errors
    after = current.summary.ds_uncorrectable_errors
    if before is None or after is None:
        return
    delta = after - before
    if delta > rules.spike_threshold:
        events.append(
            Event(
                current.read_at,
                EventType.ERROR_SPIKE,
                Severity.WARNING,
                f"Uncorrectable errors jumped by {delta} since the last poll",
                {"previous": before, "current": after, "delta": delta},
            )
        )


def _device(previous: Analysis, current: Analysis, events: list[Event]) -> None:
    old, new = previous.reading.device, current.reading.device
    now = current.read_at
    if old.firmware and new.firmware and old.firmware != new.firmware:
        events.append(
            Event(
                now,
                EventType.DEVICE_SW_UPDATE,
                Severity.INFO,
                f"Firmware changed from {old.firmware} to {new.firmware}",
                {"previous": old.firmware, "current": new.firmware},
            )
        )
    rebooted = (
        old.uptime_seconds is not None
        and new.uptime_seconds is not None
        and new.uptime_seconds < old.uptime_seconds
    )
    if rebooted:
        events.append(
            Event(
                now,
                EventType.DEVICE_REBOOT,
                Severity.WARNING,
                f"Modem rebooted (uptime went from {old.uptime_seconds} s to {new.uptime_seconds} s)",
                {"previous_uptime": old.uptime_seconds, "current_uptime": new.uptime_seconds},
            )
        )
        return
    for family, before, after in (
        ("ipv4", old.wan_ipv4, new.wan_ipv4),
        ("ipv6", old.wan_ipv6, new.wan_ipv6),
    ):
        if before and after and before != after:
            events.append(
                Event(
                    now,
                    EventType.DEVICE_IP_CHANGE,
                    Severity.INFO,
                    f"WAN {family.upper()} address changed",
                    {"family": family, "previous": before, "current": after},
                )
            )
