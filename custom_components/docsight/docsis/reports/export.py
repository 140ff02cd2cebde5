"""The line's state as Markdown for a language model ("explain my cable line").

Two modes: ``full`` gives the whole picture (48 hours of events, ten speed
tests, the incident journal) for a first conversation; ``update`` gives what
changed lately (6 hours, three speed tests, no journal) to paste into an
ongoing one.  Both end with the reference thresholds the numbers are to be
judged by and a fixed list of questions, so that the answer stays on the
evidence rather than on generic advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from ..storage import HistoryStore, SnapshotSummary, StoredChannel, StoredSnapshot, iso_z, parse_z
from ..thresholds import DEFAULT_PROFILE, ThresholdProfile
from .data import family_label, frequency_mhz

EXPORT_MODES = ("full", "update")
JOURNAL_ENTRIES = 20
# How close a snapshot must be to a speed test to be set next to it.
CORRELATION_WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ModeRules:
    """What one export mode includes."""

    events_window: timedelta
    speedtests: int
    journal: bool


MODES = {
    "full": ModeRules(timedelta(hours=48), 10, journal=True),
    "update": ModeRules(timedelta(hours=6), 3, journal=False),
}

QUESTIONS = (
    (
        "Is this cable line within specification? Which values are out of range, and how "
        "serious is each?"
    ),
    "Do the speed tests and events line up with the signal values (same times, same channels)?",
    (
        "What is the most likely cause (home wiring, the tap or house connection, the node or "
        "the provider's network), and what should be checked first?"
    ),
    "What should I ask my provider for, and which of these figures support the request?",
)


def _num(value: float | None, decimals: int = 1) -> str:
    return "-" if value is None else f"{value:.{decimals}f}"


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _cell(text: object) -> str:
    """Return text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(_cell(value) for value in row) + " |" for row in rows)
    return lines


class _Clock:
    def __init__(self, time_zone: tzinfo) -> None:
        self.zone = time_zone

    def __call__(self, when: datetime) -> str:
        local = when.astimezone(self.zone)
        return local.strftime("%Y-%m-%d %H:%M %z")


def llm_export(
    store: HistoryStore,
    mode: str = "full",
    *,
    now: datetime | None = None,
    time_zone: tzinfo = UTC,
    profile: ThresholdProfile = DEFAULT_PROFILE,
) -> str:
    """Return the Markdown export (run it on the store's thread)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(EXPORT_MODES)}")
    rules = MODES[mode]
    now = now or datetime.now(UTC)
    clock = _Clock(time_zone)
    latest = store.snapshot_at(now)
    since = now - rules.events_window
    events = store.events(start=since, end=now + timedelta(seconds=1), limit=200)
    speedtests = store.rows(
        "speedtest_results",
        where="ts <= ?",
        params=(iso_z(now),),
        order=f"ts DESC LIMIT {rules.speedtests}",
    )
    campaign = store.rows("bnetz_measurements", order="date DESC, id DESC LIMIT 1")

    hours = int(rules.events_window.total_seconds() // 3600)
    lines = [
        f"# DOCSight cable line data ({mode})",
        "",
        "## Context",
        "",
        (
            "Measurements of a cable (DOCSIS) internet connection, recorded by the modem and "
            "graded by DOCSight for Home Assistant. Levels are in dBmV, SNR/MER in dB, speeds in "
            f"Mbit/s. Judge them against the reference values below. Exported {clock(now)}."
        ),
        "",
        "## Overview",
        "",
    ]
    lines += _overview(latest, speedtests, campaign, clock)
    if latest is not None:
        lines += ["", "## Summary", "", *_summary(latest)]
        lines += ["", "## Downstream channels", "", *_ds_table(latest.downstream)]
        lines += ["", "## Upstream channels", "", *_us_table(latest.upstream)]
    lines += ["", f"## Events (last {hours} h)", ""]
    if events:
        lines += _table(
            ["Time", "Severity", "Type", "Message"],
            [[clock(e.ts), e.severity, e.event_type, e.message] for e in events],
        )
    else:
        lines.append("No events.")
    lines += ["", f"## Speed tests (last {rules.speedtests})", ""]
    if speedtests:
        lines += _table(
            ["Time", "Download", "Upload", "Ping ms", "Jitter ms", "Loss %"],
            [
                [
                    clock(parse_z(row["ts"])),
                    _num(row.get("download_mbps"), 2),
                    _num(row.get("upload_mbps"), 2),
                    _num(row.get("ping_ms")),
                    _num(row.get("jitter_ms"), 2),
                    _num(row.get("packet_loss_pct"), 2),
                ]
                for row in speedtests
            ],
        )
    else:
        lines.append("No speed tests.")
    if rules.journal:
        lines += ["", "## Incident journal", "", *_journal(store)]
    lines += ["", "## Cross-source correlation", "", *_correlation(store, speedtests, clock)]
    lines += ["", "## Reference values", "", *_reference(profile)]
    lines += ["", "## Questions", ""]
    lines += [f"{number}. {question}" for number, question in enumerate(QUESTIONS, 1)]
    return "\n".join(lines) + "\n"


def _overview(
    latest: StoredSnapshot | None,
    speedtests: list[dict[str, Any]],
    campaign: list[dict[str, Any]],
    clock: _Clock,
) -> list[str]:
    row = campaign[0] if campaign else {}
    provider = row.get("provider") or next(
        (test["isp"] for test in speedtests if test.get("isp")), None
    )
    tariff = row.get("tariff")
    if tariff and row.get("download_max") and row.get("upload_max"):
        tariff = f"{tariff} ({_num(row['download_max'], 0)}/{_num(row['upload_max'], 0)} Mbit/s)"
    lines = [f"- Provider: {provider or 'unknown'}", f"- Tariff: {tariff or 'unknown'}"]
    if latest is None:
        return [*lines, "- No measurement recorded yet."]
    device = latest.device
    summary = latest.summary
    modem = " ".join(part for part in (device.manufacturer, device.model) if part) or "unknown"
    lines += [
        (
            f"- Modem: {modem}, firmware {device.firmware or 'unknown'}, "
            f"DOCSIS {device.docsis_version or 'unknown'}"
        ),
        f"- Line health: {summary.health.value}",
        f"- Issues: {', '.join(summary.issues) or 'none'}",
        f"- Measured at: {clock(summary.ts)}",
    ]
    return lines


def _stats(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{min(values):.1f} / {sum(values) / len(values):.1f} / {max(values):.1f}"


def _summary(latest: StoredSnapshot) -> list[str]:
    ds_power = [c.channel.power_dbmv for c in latest.downstream if c.channel.power_dbmv is not None]
    ds_snr = [c.channel.snr_db for c in latest.downstream if c.channel.snr_db is not None]
    us_power = [c.channel.power_dbmv for c in latest.upstream if c.channel.power_dbmv is not None]
    summary = latest.summary
    not_good = sum(1 for c in (*latest.downstream, *latest.upstream) if c.health.value != "good")
    return _table(
        ["Figure", "Value"],
        [
            ["Downstream channels", str(summary.ds_total)],
            ["Upstream channels", str(summary.us_total)],
            ["Downstream power min / avg / max (dBmV)", _stats(ds_power)],
            ["Downstream SNR min / avg / max (dB)", _stats(ds_snr)],
            ["Upstream power min / avg / max (dBmV)", _stats(us_power)],
            ["Uncorrectable codewords (%)", _num(summary.ds_uncorr_pct, 3)],
            ["Channels not graded good", str(not_good)],
        ],
    )


def _ds_table(channels: tuple[StoredChannel, ...]) -> list[str]:
    return _table(
        ["Ch", "Type", "MHz", "Power", "SNR", "Modulation", "Corrected", "Uncorr.", "Health"],
        [
            [
                str(c.channel.channel_id),
                family_label(c.channel.family),
                frequency_mhz(c.channel.frequency_hz, c.channel.frequency_end_hz),
                _num(c.channel.power_dbmv),
                _num(c.channel.snr_db),
                c.channel.modulation or "-",
                _count(c.channel.corrected),
                _count(c.channel.uncorrected),
                c.health.value,
            ]
            for c in channels
        ],
    )


def _us_table(channels: tuple[StoredChannel, ...]) -> list[str]:
    return _table(
        ["Ch", "Type", "MHz", "Power", "Modulation", "Health"],
        [
            [
                str(c.channel.channel_id),
                family_label(c.channel.family),
                frequency_mhz(c.channel.frequency_hz, c.channel.frequency_end_hz),
                _num(c.channel.power_dbmv),
                c.channel.modulation or "-",
                c.health.value,
            ]
            for c in channels
        ],
    )


def _journal(store: HistoryStore) -> list[str]:
    incidents = store.rows("incidents", order="start_date DESC, id DESC LIMIT 10")
    entries = store.rows("journal_entries", order=f"date DESC, id DESC LIMIT {JOURNAL_ENTRIES}")
    if not incidents and not entries:
        return ["No journal entries."]
    lines = []
    for row in incidents:
        span = f"{row.get('start_date') or '?'} to {row.get('end_date') or 'now'}"
        text = f"- Incident **{row['name']}** ({row['status']}, {span})"
        if row.get("description"):
            text += f": {row['description']}"
        lines.append(text)
    if incidents and entries:
        lines.append("")
    for row in reversed(entries):
        text = f"- {row['date']} {row['title']}"
        if row.get("description"):
            text += f": {row['description']}"
        lines.append(text)
    return lines


def _closest(store: HistoryStore, when: datetime) -> SnapshotSummary | None:
    nearby = store.snapshots(when - CORRELATION_WINDOW, when + CORRELATION_WINDOW, limit=100)
    return min(nearby, key=lambda s: abs((s.ts - when).total_seconds()), default=None)


def _correlation(store: HistoryStore, speedtests: list[dict[str, Any]], clock: _Clock) -> list[str]:
    rows = []
    for test in speedtests:
        when = parse_z(test["ts"])
        snapshot = _closest(store, when)
        if snapshot is None:
            continue
        rows.append(
            [
                clock(when),
                _num(test.get("download_mbps"), 2),
                _num(test.get("upload_mbps"), 2),
                clock(snapshot.ts),
                snapshot.health.value,
                _num(snapshot.ds_power_avg),
                _num(snapshot.ds_snr_min),
                _num(snapshot.us_power_avg),
            ]
        )
    if not rows:
        return ["No speed test has a line measurement within an hour."]
    return _table(
        [
            "Speed test",
            "Download",
            "Upload",
            "Closest measurement",
            "Health",
            "DS power avg",
            "DS SNR min",
            "US power avg",
        ],
        rows,
    )


def _band(low_high: tuple[float, float]) -> str:
    return f"{low_high[0]:g} to {low_high[1]:g}"


def _reference(profile: ThresholdProfile) -> list[str]:
    rows = [
        ["Downstream power (dBmV)", key, _band(b.good), _band(b.warning), _band(b.critical)]
        for key, b in profile.ds_power.items()
    ]
    rows += [
        [
            "Downstream SNR/MER (dB, minimum)",
            key,
            f"{m.good:g}",
            f"{m.warning:g}",
            f"{m.critical:g}",
        ]
        for key, m in profile.ds_snr.items()
    ]
    rows += [
        ["Upstream power (dBmV)", key, _band(b.good), _band(b.warning), _band(b.critical)]
        for key, b in profile.us_power.items()
    ]
    errors = profile.errors
    rows.append(
        [
            "Uncorrectable codewords (%)",
            "all",
            f"below {errors.uncorrectable_pct_high:g}",
            f"below {errors.uncorrectable_pct_critical:g}",
            f"from {errors.uncorrectable_pct_critical:g}",
        ]
    )
    return [
        f"Profile {profile.name}, version {profile.version} ({profile.source}).",
        "",
        *_table(["Metric", "Applies to", "Good", "Tolerated", "Critical beyond"], rows),
    ]
