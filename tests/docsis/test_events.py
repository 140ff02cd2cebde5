"""Event detection between two polls (docs/docsis-reference.md section 2)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custom_components.docsight.docsis.analyzer import Analysis, LineHealth
from custom_components.docsight.docsis.events import (
    DetectorRules,
    DetectorState,
    Event,
    EventType,
    Severity,
    detect,
)
from custom_components.docsight.docsis.model import Channel, DeviceInfo, Family

from .factories import POLL, T0, analysis, counted, ds, us

LATER = T0 + POLL


def _events(previous: Analysis, current: Analysis, **rules: int) -> list[Event]:
    """Return the events of ``current`` after ``previous`` (with no event left pending)."""
    _, state = detect(None, previous, DetectorRules(**rules))
    events, _ = detect(state, current, DetectorRules(**rules))
    return events


def _of(events: list[Event], event_type: EventType) -> list[Event]:
    return [event for event in events if event.event_type is event_type]


def _only(events: list[Event], event_type: EventType) -> Event:
    matching = _of(events, event_type)
    assert len(matching) == 1, events
    return matching[0]


def test_rules_default_to_the_reference_constants() -> None:
    rules = DetectorRules()
    assert rules.power_shift_db == 2.0
    assert rules.spike_threshold == 1000
    assert rules.restart_min_overlap == 4
    assert rules.restart_overlap_ratio == 0.5
    assert rules.restart_falling_ratio == 0.8
    assert rules.health_hysteresis == 0


def test_nothing_changed_nothing_to_report() -> None:
    line = [ds(1), ds(2)]
    assert _events(analysis(line), analysis(line, at=LATER)) == []


# ---------------------------------------------------------------------------
# monitoring_started


def test_first_poll_starts_monitoring() -> None:
    first = analysis([ds(1, power=13.5)])
    events, state = detect(None, first)
    assert events == [
        Event(
            T0,
            EventType.MONITORING_STARTED,
            Severity.INFO,
            "Monitoring started, line health tolerated",
            {"health": "tolerated", "issues": ["ds_power_tolerated"]},
        )
    ]
    assert state == DetectorState(first, LineHealth.TOLERATED)


# ---------------------------------------------------------------------------
# health_change

GOOD_LINE = [ds(1)]
TOLERATED_LINE = [ds(1, power=13.5)]
MARGINAL_LINE = [ds(1, power=15.5)]
CRITICAL_LINE = [ds(1, power=17.0)]
LINES = {
    LineHealth.GOOD: GOOD_LINE,
    LineHealth.TOLERATED: TOLERATED_LINE,
    LineHealth.MARGINAL: MARGINAL_LINE,
    LineHealth.CRITICAL: CRITICAL_LINE,
}


@pytest.mark.parametrize(
    ("before", "after", "severity"),
    [
        (LineHealth.GOOD, LineHealth.TOLERATED, Severity.WARNING),
        (LineHealth.GOOD, LineHealth.MARGINAL, Severity.WARNING),
        (LineHealth.TOLERATED, LineHealth.MARGINAL, Severity.WARNING),
        (LineHealth.GOOD, LineHealth.CRITICAL, Severity.CRITICAL),
        (LineHealth.MARGINAL, LineHealth.CRITICAL, Severity.CRITICAL),
        (LineHealth.CRITICAL, LineHealth.MARGINAL, Severity.INFO),
        (LineHealth.CRITICAL, LineHealth.GOOD, Severity.INFO),
        (LineHealth.TOLERATED, LineHealth.GOOD, Severity.INFO),
    ],
)
def test_health_change_severity(before: LineHealth, after: LineHealth, severity: Severity) -> None:
    events = _events(analysis(LINES[before]), analysis(LINES[after], at=LATER))
    event = _only(events, EventType.HEALTH_CHANGE)
    assert event.severity is severity
    assert event.timestamp == LATER
    assert event.message == f"Line health changed from {before} to {after}"
    assert event.details["previous"] == before.value
    assert event.details["current"] == after.value
    assert event.details["issues"] == list(analysis(LINES[after]).summary.issues)


def _run(healths: list[LineHealth], hysteresis: int) -> list[list[Event]]:
    """Poll lines of the given healths in turn; return the health events of each poll."""
    rules = DetectorRules(health_hysteresis=hysteresis)
    state = None
    per_poll = []
    for step, health in enumerate(healths):
        events, state = detect(state, analysis(LINES[health], at=T0 + step * POLL), rules)
        per_poll.append(_of(events, EventType.HEALTH_CHANGE))
    return per_poll


@pytest.mark.parametrize("hysteresis", [0, 1])
def test_health_change_is_immediate_without_hysteresis(hysteresis: int) -> None:
    polls = _run([LineHealth.GOOD, LineHealth.MARGINAL, LineHealth.GOOD], hysteresis)
    assert [len(events) for events in polls] == [0, 1, 1]


def test_health_hysteresis_waits_for_n_polls() -> None:
    g, m = LineHealth.GOOD, LineHealth.MARGINAL
    polls = _run([g, m, m, m, g, g], hysteresis=2)
    assert [len(events) for events in polls] == [0, 0, 1, 0, 0, 1]
    assert polls[2][0].details == {
        "previous": "good",
        "current": "marginal",
        "issues": ["ds_power_marginal"],
    }
    assert polls[5][0].severity is Severity.INFO


def test_health_hysteresis_state_is_kept_in_the_detector_state() -> None:
    rules = DetectorRules(health_hysteresis=3)
    _, state = detect(None, analysis(GOOD_LINE), rules)
    _, state = detect(state, analysis(CRITICAL_LINE, at=LATER), rules)
    assert (state.reported_health, state.pending_health, state.pending_count) == (
        LineHealth.GOOD,
        LineHealth.CRITICAL,
        1,
    )
    events, state = detect(state, analysis(CRITICAL_LINE, at=LATER + POLL), rules)
    assert (state.pending_health, state.pending_count, events) == (LineHealth.CRITICAL, 2, [])
    events, state = detect(state, analysis(CRITICAL_LINE, at=LATER + 2 * POLL), rules)
    assert _only(events, EventType.HEALTH_CHANGE).severity is Severity.CRITICAL
    assert (state.reported_health, state.pending_health, state.pending_count) == (
        LineHealth.CRITICAL,
        None,
        0,
    )


def test_health_flap_resets_the_pending_count() -> None:
    g, m, c = LineHealth.GOOD, LineHealth.MARGINAL, LineHealth.CRITICAL
    # Back to the reported health clears the pending count ...
    assert [len(e) for e in _run([g, m, g, m, g, m, m], hysteresis=2)] == [0, 0, 0, 0, 0, 0, 1]
    # ... and so does a different new health.
    polls = _run([g, m, c, m, c, c], hysteresis=2)
    assert [len(events) for events in polls] == [0, 0, 0, 0, 0, 1]
    assert polls[5][0].details["current"] == "critical"


# ---------------------------------------------------------------------------
# power_change: abs(delta of the average) > 2.0 dB, one event per direction.


@pytest.mark.parametrize(
    ("before", "after", "fires"),
    [
        (0.0, 2.0, False),
        (0.0, 2.01, True),
        (0.0, -2.0, False),
        (0.0, -2.01, True),
        (5.0, 7.0, False),
        (5.0, 7.5, True),
    ],
)
def test_downstream_power_change(before: float, after: float, fires: bool) -> None:
    events = _events(analysis([ds(1, power=before)]), analysis([ds(1, power=after)], at=LATER))
    power = _of(events, EventType.POWER_CHANGE)
    assert len(power) == int(fires)
    if fires:
        delta = round(after - before, 2)
        assert power[0].severity is Severity.WARNING
        assert power[0].details == {
            "direction": "downstream",
            "previous": before,
            "current": after,
            "delta": delta,
        }
        assert power[0].message.startswith(f"Average downstream power moved {delta:+.1f} dB")


@pytest.mark.parametrize(("after", "fires"), [(46.0, False), (46.01, True), (41.99, True)])
def test_upstream_power_change(after: float, fires: bool) -> None:
    events = _events(
        analysis(upstream=[us(1, power=44.0)]), analysis(upstream=[us(1, power=after)], at=LATER)
    )
    power = _of(events, EventType.POWER_CHANGE)
    assert len(power) == int(fires)
    if fires:
        assert power[0].details["direction"] == "upstream"


def test_power_change_one_event_per_direction() -> None:
    events = _events(
        analysis([ds(1, power=0.0)], [us(1, power=44.0)]),
        analysis([ds(1, power=3.0)], [us(1, power=41.0)], at=LATER),
    )
    power = _of(events, EventType.POWER_CHANGE)
    assert [event.details["direction"] for event in power] == ["downstream", "upstream"]
    assert [event.details["delta"] for event in power] == [3.0, -3.0]


def test_power_change_is_about_the_average() -> None:
    # One channel moves 4 dB, the other does not: the average moves 2 dB.
    events = _events(
        analysis([ds(1, power=0.0), ds(2, power=0.0)]),
        analysis([ds(1, power=4.0), ds(2, power=0.0)], at=LATER),
    )
    assert _of(events, EventType.POWER_CHANGE) == []


def test_power_change_needs_both_averages() -> None:
    events = _events(analysis([ds(1, power=None)]), analysis([ds(1, power=10.0)], at=LATER))
    assert _of(events, EventType.POWER_CHANGE) == []
    events = _events(analysis(upstream=[us(1)]), analysis(at=LATER))
    assert _of(events, EventType.POWER_CHANGE) == []


def test_power_change_threshold_is_a_rule() -> None:
    events = _events(
        analysis([ds(1, power=0.0)]), analysis([ds(1, power=1.5)], at=LATER), power_shift_db=1
    )
    assert len(_of(events, EventType.POWER_CHANGE)) == 1


# ---------------------------------------------------------------------------
# snr_change: the minimum changed and a channel's SNR grade got worse, to non-good.


@pytest.mark.parametrize(
    ("before", "after", "severity"),
    [
        (40.0, 35.0, None),  # still good
        (40.0, 32.9, Severity.WARNING),  # good -> tolerated
        (40.0, 30.0, Severity.WARNING),  # good -> warning
        (40.0, 28.9, Severity.CRITICAL),  # good -> critical
        (32.5, 30.5, Severity.WARNING),  # tolerated -> warning
        (30.5, 28.0, Severity.CRITICAL),  # warning -> critical
        (32.5, 32.0, None),  # tolerated, still tolerated
        (28.0, 27.0, None),  # critical, still critical
        (30.0, 40.0, None),  # better
    ],
)
def test_snr_change(before: float, after: float, severity: Severity | None) -> None:
    events = _events(
        analysis([ds(1, snr=before), ds(2, snr=41.0)]),
        analysis([ds(1, snr=after), ds(2, snr=41.0)], at=LATER),
    )
    snr = _of(events, EventType.SNR_CHANGE)
    if severity is None:
        assert snr == []
        return
    assert len(snr) == 1
    assert snr[0].severity is severity
    assert snr[0].message == (
        f"Downstream SNR degraded on 1 channel(s), minimum now {min(after, 41.0)} dB"
    )
    health = analysis([ds(1, snr=after)]).downstream[0].snr_health
    assert snr[0].details == {
        "previous_min": before,
        "current_min": after,
        "channels": [
            {
                "channel_id": 1,
                "previous": before,
                "current": after,
                "delta": round(after - before, 2),
                "health": str(health),
            }
        ],
    }


def test_snr_change_needs_the_minimum_to_change() -> None:
    # Channel 2 worsens to tolerated, but channel 1 keeps the minimum where it was.
    events = _events(
        analysis([ds(1, snr=30.0), ds(2, snr=40.0)]),
        analysis([ds(1, snr=30.0), ds(2, snr=32.0)], at=LATER),
    )
    assert _of(events, EventType.SNR_CHANGE) == []


def test_snr_change_lists_every_worsened_channel_and_takes_the_worst_severity() -> None:
    events = _events(
        analysis([ds(1, snr=40.0), ds(2, snr=40.0), ds(3, snr=40.0)]),
        analysis([ds(1, snr=32.0), ds(2, snr=28.0), ds(3, snr=39.0)], at=LATER),
    )
    event = _only(events, EventType.SNR_CHANGE)
    assert event.severity is Severity.CRITICAL
    assert [item["channel_id"] for item in event.details["channels"]] == [1, 2]
    assert [item["health"] for item in event.details["channels"]] == ["tolerated", "critical"]


def test_snr_change_ignores_new_channels_and_channels_without_snr() -> None:
    events = _events(
        analysis([ds(1, snr=40.0), ds(2, snr=None), ds(4, snr=40.0)]),
        analysis([ds(1, snr=40.0), ds(2, snr=20.0), ds(3, snr=20.0), ds(4, snr=None)], at=LATER),
    )
    assert _of(events, EventType.SNR_CHANGE) == []


def test_snr_grade_uses_the_ofdm_row() -> None:
    # 30 dB MER is good on OFDM (good_min 27) though it would be a warning at 256QAM.
    ofdm = {"family": Family.OFDM, "modulation": "4096QAM"}
    events = _events(
        analysis([ds(33, snr=40.0, **ofdm)]),  # type: ignore[arg-type]
        analysis([ds(33, snr=30.0, **ofdm)], at=LATER),  # type: ignore[arg-type]
    )
    assert _of(events, EventType.SNR_CHANGE) == []


# ---------------------------------------------------------------------------
# channel_change


def test_downstream_channel_lost_is_a_warning() -> None:
    events = _events(analysis([ds(1), ds(2), ds(3)]), analysis([ds(1)], at=LATER))
    event = _only(events, EventType.CHANNEL_CHANGE)
    assert event.severity is Severity.WARNING
    assert event.message == "Downstream channels changed from 3 to 1"
    assert event.details == {
        "direction": "downstream",
        "previous_count": 3,
        "current_count": 1,
        "lost_channels": [2, 3],
        "added_channels": [],
    }


def test_upstream_channel_added_is_info() -> None:
    events = _events(analysis(upstream=[us(1)]), analysis(upstream=[us(2), us(1)], at=LATER))
    event = _only(events, EventType.CHANNEL_CHANGE)
    assert event.severity is Severity.INFO
    assert event.details == {
        "direction": "upstream",
        "previous_count": 1,
        "current_count": 2,
        "lost_channels": [],
        "added_channels": [2],
    }


def test_channel_change_per_direction_and_swaps() -> None:
    events = _events(
        analysis([ds(1), ds(2)], [us(1)]),
        analysis([ds(1), ds(3)], [us(1), us(2)], at=LATER),
    )
    changes = _of(events, EventType.CHANNEL_CHANGE)
    assert [event.details["direction"] for event in changes] == ["downstream", "upstream"]
    # A swap keeps the count but still loses a channel: a warning.
    assert changes[0].severity is Severity.WARNING
    assert changes[0].details["lost_channels"] == [2]
    assert changes[0].details["added_channels"] == [3]
    assert changes[1].severity is Severity.INFO


# ---------------------------------------------------------------------------
# modulation_change


def test_downstream_downgrade_with_good_health_is_a_warning() -> None:
    events = _events(
        analysis([ds(1), ds(2)]), analysis([ds(1, modulation="64QAM"), ds(2)], at=LATER)
    )
    event = _only(events, EventType.MODULATION_CHANGE)
    assert event.severity is Severity.WARNING
    assert event.message == "Modulation downgraded on 1 channel(s)"
    assert event.details == {
        "direction": "downgrade",
        "changes": [
            {
                "direction": "downstream",
                "channel_id": 1,
                "previous": "256QAM",
                "current": "64QAM",
                "rank_delta": -2,
                "health": "good",
            }
        ],
    }


def test_downgrade_to_critical_modulation_is_critical() -> None:
    events = _events(analysis([ds(1)]), analysis([ds(1, modulation="16QAM")], at=LATER))
    event = _only(events, EventType.MODULATION_CHANGE)
    assert event.severity is Severity.CRITICAL
    assert event.details["changes"][0]["rank_delta"] == -4
    assert event.details["changes"][0]["health"] == "critical"


@pytest.mark.parametrize(
    ("family", "before", "after", "severity"),
    [
        (Family.SC_QAM, "64QAM", "16QAM", Severity.WARNING),
        (Family.SC_QAM, "64QAM", "QPSK", Severity.CRITICAL),
        (Family.OFDMA, "1024QAM", "256QAM", Severity.WARNING),  # still good: rank only
        (Family.OFDMA, "1024QAM", "128QAM", Severity.WARNING),  # tolerated
        (Family.OFDMA, "128QAM", "32QAM", Severity.CRITICAL),
    ],
)
def test_upstream_downgrades(family: Family, before: str, after: str, severity: Severity) -> None:
    events = _events(
        analysis(upstream=[us(5, family=family, modulation=before)]),
        analysis(upstream=[us(5, family=family, modulation=after)], at=LATER),
    )
    event = _only(events, EventType.MODULATION_CHANGE)
    assert event.severity is severity
    assert event.details["direction"] == "downgrade"
    assert event.details["changes"][0]["direction"] == "upstream"


def test_upgrade_is_info_and_separate_from_downgrades() -> None:
    events = _events(
        analysis([ds(1, modulation="64QAM"), ds(2)], [us(1, modulation="16QAM")]),
        analysis([ds(1), ds(2, modulation="64QAM")], [us(1, modulation="64QAM")], at=LATER),
    )
    downgrade, upgrade = _of(events, EventType.MODULATION_CHANGE)
    assert downgrade.details["direction"] == "downgrade"
    assert [change["channel_id"] for change in downgrade.details["changes"]] == [2]
    assert upgrade.severity is Severity.INFO
    assert upgrade.message == "Modulation upgraded on 2 channel(s)"
    assert [(c["direction"], c["rank_delta"]) for c in upgrade.details["changes"]] == [
        ("downstream", 2),
        ("upstream", 2),
    ]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, "256QAM"),
        ("256QAM", None),
        ("OFDM", "256QAM"),
        ("256QAM", "unknown"),
        # Two spellings of one constellation are no change (QPSK is 4-QAM).
        ("QPSK", "4QAM"),
    ],
)
def test_modulation_change_needs_two_different_ranks(before: str | None, after: str | None) -> None:
    events = _events(
        analysis(upstream=[us(1, modulation=before)]),
        analysis(upstream=[us(1, modulation=after)], at=LATER),
    )
    assert _of(events, EventType.MODULATION_CHANGE) == []


def test_modulation_change_ignores_new_channels() -> None:
    events = _events(analysis([ds(1)]), analysis([ds(1), ds(2, modulation="16QAM")], at=LATER))
    assert _of(events, EventType.MODULATION_CHANGE) == []


# ---------------------------------------------------------------------------
# modem_restart_detected


def _restart(previous: list[Channel], current: list[Channel]) -> list[Event]:
    return _of(
        _events(analysis(previous), analysis(current, at=LATER)),
        EventType.MODEM_RESTART_DETECTED,
    )


def test_restart_detected_when_all_counters_reset() -> None:
    events = _restart(counted(4, 1000, 10), counted(4, 5, 0))
    assert len(events) == 1
    assert events[0].severity is Severity.INFO
    assert events[0].message == "Modem restart detected: error counters reset on 4 of 4 channels"
    assert events[0].details == {
        "falling_channels": 4,
        "overlapping_channels": 4,
        "previous_corrected": 4000,
        "current_corrected": 20,
    }


def test_restart_needs_four_overlapping_channels() -> None:
    assert _restart(counted(3, 1000, 10), counted(3, 5, 0)) == []


def test_restart_needs_half_of_the_previous_channels_to_overlap() -> None:
    # 4 of 9 previous channels still there: 4 < 0.5 * 9.
    previous = counted(9, 1000, 10)
    assert _restart(previous, counted(4, 5, 0)) == []
    # 4 of 8: exactly half is enough.
    assert len(_restart(counted(8, 1000, 10), counted(4, 5, 0))) == 1


def test_restart_needs_half_of_the_current_channels_to_overlap() -> None:
    current = counted(4, 5, 0) + [ds(i, corrected=0, uncorrected=0) for i in range(10, 15)]
    assert _restart(counted(4, 1000, 10), current) == []


def test_restart_needs_eighty_percent_falling() -> None:
    # 5 overlapping: 4 falling (80 %) and 1 unchanged is a restart ...
    previous = counted(5, 1000, 10)
    four = [*counted(4, 5, 0), ds(5, corrected=1000, uncorrected=10)]
    assert len(_restart(previous, four)) == 1
    # ... 3 falling (60 %) and 2 unchanged is not.
    three = counted(3, 5, 0) + [ds(i, corrected=1000, uncorrected=10) for i in (4, 5)]
    assert _restart(previous, three) == []


def test_restart_needs_no_counter_rising() -> None:
    previous = counted(5, 1000, 10)
    current = [*counted(4, 5, 0), ds(5, corrected=1001, uncorrected=10)]
    assert _restart(previous, current) == []


def test_restart_counts_a_falling_uncorrected_counter_alone() -> None:
    events = _restart(counted(4, 1000, 10), counted(4, 1000, 0))
    assert len(events) == 1
    assert events[0].details["current_corrected"] == 4000


def test_restart_needs_a_summary_total_to_fall() -> None:
    # The overlapping channels reset, but a new channel brings higher totals.
    current = [*counted(4, 5, 0), ds(9, corrected=10000, uncorrected=100)]
    assert _restart(counted(4, 1000, 10), current) == []


def test_restart_ignores_channels_without_both_counters() -> None:
    previous = [ds(i, corrected=1000) for i in range(1, 6)]
    current = [ds(i, corrected=0) for i in range(1, 6)]
    assert _restart(previous, current) == []


def test_restart_rules_are_configurable() -> None:
    events = _events(
        analysis(counted(2, 1000, 10)),
        analysis(counted(2, 0, 0), at=LATER),
        restart_min_overlap=2,
    )
    assert len(_of(events, EventType.MODEM_RESTART_DETECTED)) == 1


# ---------------------------------------------------------------------------
# error_spike: the raw uncorrectable total rose by more than 1000.


@pytest.mark.parametrize(("delta", "fires"), [(999, False), (1000, False), (1001, True)])
def test_error_spike_threshold(delta: int, fires: bool) -> None:
    previous = [ds(1, corrected=50, uncorrected=0), ds(2, corrected=50, uncorrected=500)]
    current = [ds(1, corrected=50, uncorrected=delta), ds(2, corrected=50, uncorrected=500)]
    events = _of(_events(analysis(previous), analysis(current, at=LATER)), EventType.ERROR_SPIKE)
    assert len(events) == int(fires)
    if fires:
        assert events[0].severity is Severity.WARNING
        assert events[0].message == f"Uncorrectable errors jumped by {delta} since the last poll"
        assert events[0].details == {"previous": 500, "current": 500 + delta, "delta": delta}


def test_error_spike_skipped_when_errors_are_unsupported() -> None:
    # Uncorrectable totals without corrected counters: no comparable cohort.
    previous, current = analysis([ds(1, uncorrected=0)]), analysis([ds(1, uncorrected=5000)])
    assert current.summary.errors_supported is False
    assert current.summary.ds_uncorrectable_errors == 5000
    assert _of(_events(previous, current), EventType.ERROR_SPIKE) == []


def test_error_spike_needs_a_previous_total() -> None:
    previous = analysis([ds(1)])
    current = analysis([ds(1, corrected=0, uncorrected=5000)], at=LATER)
    assert _of(_events(previous, current), EventType.ERROR_SPIKE) == []


# ---------------------------------------------------------------------------
# device events


def _device_events(old: DeviceInfo, new: DeviceInfo) -> list[Event]:
    return _events(analysis([ds(1)], device=old), analysis([ds(1)], device=new, at=LATER))


def test_firmware_change_is_info() -> None:
    events = _device_events(DeviceInfo(firmware="1.0"), DeviceInfo(firmware="1.1"))
    assert events == [
        Event(
            LATER,
            EventType.DEVICE_SW_UPDATE,
            Severity.INFO,
            "Firmware changed from 1.0 to 1.1",
            {"previous": "1.0", "current": "1.1"},
        )
    ]


@pytest.mark.parametrize(("old", "new"), [(None, "1.1"), ("1.0", None), ("1.0", "1.0")])
def test_no_firmware_event_without_a_known_change(old: str | None, new: str | None) -> None:
    assert _device_events(DeviceInfo(firmware=old), DeviceInfo(firmware=new)) == []


def test_uptime_decrease_is_a_reboot() -> None:
    events = _device_events(DeviceInfo(uptime_seconds=5000), DeviceInfo(uptime_seconds=60))
    assert events == [
        Event(
            LATER,
            EventType.DEVICE_REBOOT,
            Severity.WARNING,
            "Modem rebooted (uptime went from 5000 s to 60 s)",
            {"previous_uptime": 5000, "current_uptime": 60},
        )
    ]


@pytest.mark.parametrize(("old", "new"), [(60, 360), (None, 60), (5000, None), (60, 60)])
def test_no_reboot_without_a_falling_uptime(old: int | None, new: int | None) -> None:
    events = _device_events(DeviceInfo(uptime_seconds=old), DeviceInfo(uptime_seconds=new))
    assert _of(events, EventType.DEVICE_REBOOT) == []


def test_wan_address_changes_are_info_per_family() -> None:
    events = _device_events(
        DeviceInfo(uptime_seconds=60, wan_ipv4="198.51.100.1", wan_ipv6="2001:db8::1"),
        DeviceInfo(uptime_seconds=360, wan_ipv4="198.51.100.2", wan_ipv6="2001:db8::2"),
    )
    assert [(e.event_type, e.severity, e.message, e.details) for e in events] == [
        (
            EventType.DEVICE_IP_CHANGE,
            Severity.INFO,
            "WAN IPV4 address changed",
            {"family": "ipv4", "previous": "198.51.100.1", "current": "198.51.100.2"},
        ),
        (
            EventType.DEVICE_IP_CHANGE,
            Severity.INFO,
            "WAN IPV6 address changed",
            {"family": "ipv6", "previous": "2001:db8::1", "current": "2001:db8::2"},
        ),
    ]


def test_no_ip_change_event_after_a_reboot() -> None:
    events = _device_events(
        DeviceInfo(uptime_seconds=5000, wan_ipv4="198.51.100.1"),
        DeviceInfo(uptime_seconds=60, wan_ipv4="198.51.100.2"),
    )
    assert [event.event_type for event in events] == [EventType.DEVICE_REBOOT]


@pytest.mark.parametrize(("old", "new"), [(None, "198.51.100.2"), ("198.51.100.1", None)])
def test_no_ip_change_event_when_an_address_is_unknown(old: str | None, new: str | None) -> None:
    assert _device_events(DeviceInfo(wan_ipv4=old), DeviceInfo(wan_ipv4=new)) == []


# ---------------------------------------------------------------------------
# Several rules at once, over a sequence of polls.


def test_events_come_in_rule_order_and_state_moves_on() -> None:
    first = analysis(counted(4, 1000, 10), device=DeviceInfo(firmware="1", uptime_seconds=9000))
    second = analysis(
        counted(4, 0, 0, power=3.0, modulation="16QAM"),
        device=DeviceInfo(firmware="2", uptime_seconds=30),
        at=LATER,
    )
    _, state = detect(None, first)
    events, state = detect(state, second)
    assert [event.event_type for event in events] == [
        EventType.HEALTH_CHANGE,
        EventType.POWER_CHANGE,
        EventType.MODULATION_CHANGE,
        EventType.MODEM_RESTART_DETECTED,
        EventType.DEVICE_SW_UPDATE,
        EventType.DEVICE_REBOOT,
    ]
    assert state.previous is second
    assert state.reported_health is LineHealth.CRITICAL
    assert all(event.timestamp == LATER for event in events)
    # The next identical poll raises nothing.
    events, _ = detect(
        state,
        analysis(
            second.reading.downstream, device=second.reading.device, at=LATER + timedelta(minutes=5)
        ),
    )
    assert events == []
