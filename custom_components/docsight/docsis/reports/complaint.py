"""The complaint letter to the provider, written from a period's figures.

The letter states facts the recordings prove (how often the line was poor,
its worst values next to the thresholds they break, the events), adds the
BNetzA campaigns that found a deviation with the share of the contractual
maximum actually reached (the figure §57(4) TKG turns into a right to pay
less or to terminate), and asks for the three things a provider can be held
to: a technician, a level measurement and a written answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .data import ChannelStats, ReportData
from .texts import Lang

BNETZ_DIRECTIONS = ("download", "upload")


@dataclass(frozen=True, slots=True)
class Letter:
    """Who complains: printed in the letter's head and signature when given."""

    name: str | None = None
    customer_number: str | None = None
    address: str | None = None


def bnetz_share(avg: float | None, maximum: float | None) -> float | None:
    """Return the measured average as a percentage of the contractual maximum."""
    if avg is None or not maximum:
        return None
    return avg / maximum * 100


def channel_label(stats: ChannelStats) -> str:
    """Return "DS 19" / "US 3" for a channel."""
    prefix = "DS" if stats.direction.value == "downstream" else "US"
    return f"{prefix} {stats.channel_id}"


def complaint_text(data: ReportData, language: str | None, letter: Letter | None = None) -> str:
    """Return the complaint letter for the report's period, as plain text."""
    lang = Lang(language, data.time_zone)
    return "\n".join(complaint_lines(data, lang, letter or Letter()))


def complaint_lines(data: ReportData, lang: Lang, letter: Letter) -> list[str]:
    """Return the letter line by line (paragraphs separated by empty lines)."""
    history = data.history
    lines: list[str] = []
    if letter.name:
        lines.append(letter.name)
    if letter.address:
        lines.extend(part.strip() for part in letter.address.splitlines() if part.strip())
    if lines:
        lines.append("")
    lines.append(lang("c_subject"))
    if letter.customer_number:
        lines.append(lang("c_customer", number=letter.customer_number))
    lines += ["", lang("c_greeting"), ""]
    lines.append(
        lang(
            "c_intro",
            start=lang.day(data.start),
            end=lang.day(_last_moment(data)),
            count=lang.num(history.snapshots, 0),
        )
    )
    lines.append("")
    findings = _findings(data, lang)
    lines.extend(f"- {finding}" for finding in findings)
    campaigns = bnetz_lines(data, lang)
    if campaigns:
        lines += ["", lang("c_bnetz_intro")]
        lines.extend(f"- {line}" for line in campaigns)
        lines.append(lang("c_bnetz_law"))
    lines += [
        "",
        lang("c_requests_intro"),
        f"1. {lang('c_request_technician')}",
        f"2. {lang('c_request_levels')}",
        f"3. {lang('c_request_written')}",
        "",
        f"{lang('c_deadline')} {lang('c_escalation')}",
        "",
        lang("c_closing"),
    ]
    if letter.name:
        lines.append(letter.name)
    return lines


def _last_moment(data: ReportData) -> datetime:
    """Return the last measurement, else the period's (exclusive) end less a second."""
    return data.history.last or data.end - timedelta(seconds=1)


def _findings(data: ReportData, lang: Lang) -> list[str]:
    history = data.history
    profile = data.profile
    if not history.snapshots:
        return [lang("no_data")]
    findings = []
    if history.poor:
        findings.append(
            lang(
                "c_poor",
                pct=lang.num(history.poor_pct),
                poor=lang.num(history.poor, 0),
                total=lang.num(history.snapshots, 0),
                profile=profile.name,
            )
        )
    else:
        findings.append(lang("c_no_poor"))
    ds_bands = profile.ds_power[profile.ds_power_default]
    low, high = history.ds_power_min, history.ds_power_max
    if low and high:
        findings.append(
            lang(
                "c_ds_power",
                low=lang.num(low.value),
                low_time=lang.time(low.ts),
                high=lang.num(high.value),
                high_time=lang.time(high.ts),
                good_low=lang.num(ds_bands.good[0]),
                good_high=lang.num(ds_bands.good[1]),
            )
        )
    snr = history.ds_snr_min
    if snr:
        minimums = profile.ds_snr[profile.ds_snr_default]
        findings.append(
            lang(
                "c_snr",
                value=lang.num(snr.value),
                time=lang.time(snr.ts),
                good=lang.num(minimums.good),
                critical=lang.num(minimums.critical),
            )
        )
    us_high = history.us_power_max
    if us_high:
        us_bands = profile.us_power[profile.us_power_default]
        findings.append(
            lang(
                "c_us_power",
                high=lang.num(us_high.value),
                time=lang.time(us_high.ts),
                good_low=lang.num(us_bands.good[0]),
                good_high=lang.num(us_bands.good[1]),
            )
        )
    uncorr = history.uncorr_pct_max
    if uncorr and uncorr.value > 0:
        findings.append(
            lang(
                "c_uncorr",
                value=lang.num(uncorr.value, 2),
                time=lang.time(uncorr.ts),
                critical=lang.num(profile.errors.uncorrectable_pct_critical),
            )
        )
    warnings = history.events_of(severities=("warning",))
    critical = history.events_of(severities=("critical",))
    if warnings or critical:
        findings.append(
            lang(
                "c_events",
                warning=warnings,
                critical=critical,
                spikes=history.events_of(event_type="error_spike"),
                restarts=history.events_of(event_type="modem_restart_detected"),
            )
        )
    worst = history.worst_channels
    if worst:
        findings.append(lang("c_channels", channels=", ".join(channel_label(s) for s in worst)))
    return findings


def bnetz_lines(data: ReportData, lang: Lang) -> list[str]:
    """Return one line per direction of each campaign in the period that found a deviation."""
    lines = []
    for row in data.bnetz:
        for direction in BNETZ_DIRECTIONS:
            if row.get(f"verdict_{direction}") != "deviation":
                continue
            avg = row.get(f"{direction}_measured_avg")
            maximum = row.get(f"{direction}_max")
            pct = bnetz_share(avg, maximum)
            if pct is None:
                continue
            lines.append(
                lang(
                    "c_bnetz_line",
                    date=lang.day(row["date"]),
                    direction=lang(f"c_{direction}"),
                    avg=lang.num(avg),
                    pct=lang.num(pct),
                    max=lang.num(maximum, 0),
                )
            )
    return lines
