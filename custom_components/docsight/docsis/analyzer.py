"""Grade every channel and the line as a whole against a threshold profile.

``analyze`` is a pure function of a reading, a profile and the error baseline
the caller kept from the previous poll; it keeps no state of its own.  It runs
on every poll, so the per-channel path is a handful of comparisons against
tuples prepared once per profile.

Two deliberate departures from the reference implementation:

* Summary issues carry their own grade instead of the overall health being
  guessed from the words in their names.  The reference grades 1-3 %
  uncorrectable codewords (``uncorr_errors_high``) alone as merely
  "tolerated", the grade it gives a level 0.1 dB outside its ideal band.  A
  percent of codewords lost means retransmissions the user feels, so we grade
  it "marginal"; the test suite pins this down.
* Statistics of a direction without channels are ``None`` (unknown), not 0,
  so a dead upstream does not read as 0 dBmV.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
import math
from typing import NamedTuple

from .model import Channel, Direction, Family, Reading, qam_order
from .thresholds import DEFAULT_PROFILE, ThresholdProfile


class Health(StrEnum):
    """Grade of one channel or one of its metrics."""

    GOOD = "good"
    TOLERATED = "tolerated"
    WARNING = "warning"
    CRITICAL = "critical"


class LineHealth(StrEnum):
    """Grade of the whole line; a channel "warning" is a line "marginal"."""

    GOOD = "good"
    TOLERATED = "tolerated"
    MARGINAL = "marginal"
    CRITICAL = "critical"


HEALTH_BY_LEVEL: tuple[Health, ...] = tuple(Health)
LINE_HEALTH_BY_LEVEL: tuple[LineHealth, ...] = tuple(LineHealth)
_LEVEL_WORD = ("good", "tolerated", "warning", "critical")
_SUMMARY_WORD = ("good", "tolerated", "marginal", "critical")


class ChannelAnalysis(NamedTuple):
    """A channel with its grades.  A NamedTuple: cheap to build 40 times a poll."""

    channel: Channel
    health: Health
    power_health: Health | None
    snr_health: Health | None
    modulation_health: Health
    issues: tuple[str, ...]
    capacity_mbps: float | None

    @property
    def health_detail(self) -> str:
        """Return the issues joined the way the reference shows them."""
        return " + ".join(self.issues)


@dataclass(frozen=True, slots=True)
class FamilyStats:
    """Statistics of one channel family in one direction."""

    direction: Direction
    family: Family
    count: int
    health: Health
    health_counts: dict[str, int]
    power_min: float | None
    power_max: float | None
    power_avg: float | None
    snr_min: float | None
    snr_max: float | None
    snr_avg: float | None
    modulations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ErrorBaseline:
    """Codeword totals that the uncorrectable rate is measured from.

    ``cohort`` holds the downstream channels that report both counters; the
    rate only compares like with like, so a different cohort starts afresh.
    """

    taken_at: datetime
    corrected: int
    uncorrected: int
    cohort: frozenset[int]


@dataclass(frozen=True, slots=True)
class Summary:
    """The line as a whole."""

    health: LineHealth
    issues: tuple[str, ...]
    ds_total: int
    us_total: int
    ds_power_min: float | None
    ds_power_max: float | None
    ds_power_avg: float | None
    ds_snr_min: float | None
    ds_snr_max: float | None
    ds_snr_avg: float | None
    us_power_min: float | None
    us_power_max: float | None
    us_power_avg: float | None
    ds_correctable_errors: int | None
    ds_uncorrectable_errors: int | None
    errors_supported: bool
    error_counter_coverage: float
    ds_corrected_since_baseline: int | None
    ds_uncorrected_since_baseline: int | None
    ds_uncorr_pct: float | None
    ds_capacity_mbps: float | None
    us_capacity_mbps: float | None
    capacity_coverage: float
    families: tuple[FamilyStats, ...]

    def family(self, direction: Direction, family: Family) -> FamilyStats | None:
        """Return the statistics of one family, or None if the line has none of it."""
        for stats in self.families:
            if stats.direction is direction and stats.family is family:
                return stats
        return None


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything ``analyze`` concluded about one reading."""

    reading: Reading
    profile_id: str
    downstream: tuple[ChannelAnalysis, ...]
    upstream: tuple[ChannelAnalysis, ...]
    summary: Summary
    baseline: ErrorBaseline | None

    @property
    def read_at(self) -> datetime:
        """Return when the underlying reading was taken."""
        return self.reading.read_at


# ---------------------------------------------------------------------------
# Profile preparation.
#
# Everything about grading a channel that depends only on its direction,
# family and modulation (which bands and minimums apply, the modulation
# grade, the bits per symbol) is worked out once per profile and kept in a
# small "plan" per (family, modulation).  A poll then looks a plan up once
# per run of like channels and does a few float comparisons per channel;
# strings and lists are only built for channels that actually have an issue.

type _Bands = tuple[float, float, float, float, float, float]
type _Mins = tuple[float, float, float]

# A line has a handful of (family, modulation) pairs; the cap only guards
# against a data source that invents a new modulation label on every poll.
_PLAN_CACHE_MAX = 256
_NO_ISSUES: tuple[str, ...] = ()


class _Plan(NamedTuple):
    """How to grade a channel of one direction, family and modulation.

    ``power_ok_*`` and ``snr_ok_min`` bound the values that no band flags at
    all (the intersection of the good, warning and critical bands, so a
    profile whose bands are not nested still grades exactly as
    :func:`_grade_power` does); anything outside takes the slow path.
    """

    power_bands: _Bands
    power_ok_low: float
    power_ok_high: float
    snr_minimums: _Mins | None  # None upstream: upstream SNR is not graded
    snr_ok_min: float
    modulation_level: int
    modulation_issue: str | None
    bits_per_symbol: float | None  # SC-QAM with a known constellation only, else None
    default_capacity: float  # Mbit/s at the profile's symbol rate (if bits_per_symbol)


class _Prepared(NamedTuple):
    ds_power: dict[str, _Bands]
    ds_power_ofdm: _Bands
    ds_power_default: _Bands
    ds_snr: dict[str, _Mins]
    ds_snr_ofdm: _Mins
    ds_snr_default: _Mins
    us_power_scqam: _Bands
    us_power_ofdma: _Bands
    ds_mod_scqam: tuple[int, int, int]
    ds_mod_ofdm: tuple[int, int, int]
    us_mod_scqam: tuple[int, int, int]
    us_mod_ofdma: tuple[int, int, int]
    ds_symbol_rate: float
    us_symbol_rate: float
    # Filled lazily, one plan per (family, modulation) seen on a line.
    ds_plans: dict[tuple[Family, str | None], _Plan]
    us_plans: dict[tuple[Family, str | None], _Plan]


_PREPARED: dict[int, tuple[ThresholdProfile, _Prepared]] = {}


def _prepare(profile: ThresholdProfile) -> _Prepared:
    cached = _PREPARED.get(id(profile))
    if cached is not None and cached[0] is profile:
        return cached[1]

    def flat(bands_key: str, table: dict[str, object]) -> _Bands:
        bands = table[bands_key]
        good, warning, critical = bands.good, bands.warning, bands.critical  # type: ignore[attr-defined]
        return (good[0], good[1], warning[0], warning[1], critical[0], critical[1])

    ds_power = {key: flat(key, profile.ds_power) for key in profile.ds_power}  # type: ignore[arg-type]
    ds_snr = {key: (m.good, m.warning, m.critical) for key, m in profile.ds_snr.items()}
    us_power = {key: flat(key, profile.us_power) for key in profile.us_power}  # type: ignore[arg-type]

    def ds_mod(key: str) -> tuple[int, int, int]:
        limits = profile.ds_modulation[key]
        return (limits.good_min_qam, limits.tolerated_min_qam, limits.warning_min_qam)

    def us_mod(key: str) -> tuple[int, int, int]:
        limits = profile.us_modulation[key]
        return (limits.critical_max_qam, limits.warning_max_qam, limits.tolerated_max_qam)

    prepared = _Prepared(
        ds_power=ds_power,
        ds_power_ofdm=ds_power["ofdm"],
        ds_power_default=ds_power[profile.ds_power_default],
        ds_snr=ds_snr,
        ds_snr_ofdm=ds_snr["ofdm"],
        ds_snr_default=ds_snr[profile.ds_snr_default],
        us_power_scqam=us_power["sc_qam"],
        us_power_ofdma=us_power.get("ofdma", us_power[profile.us_power_default]),
        ds_mod_scqam=ds_mod("sc_qam"),
        ds_mod_ofdm=ds_mod("ofdm"),
        us_mod_scqam=us_mod("sc_qam"),
        us_mod_ofdma=us_mod("ofdma"),
        ds_symbol_rate=profile.ds_symbol_rate_ksym,
        us_symbol_rate=profile.us_symbol_rate_ksym,
        ds_plans={},
        us_plans={},
    )
    _PREPARED[id(profile)] = (profile, prepared)
    return prepared


def _plan(prepared: _Prepared, downstream: bool, family: Family, modulation: str | None) -> _Plan:
    """Work out (and cache) how to grade channels of this family and modulation."""
    order = qam_order(modulation)
    snr_minimums: _Mins | None = None
    if downstream:
        if family is Family.OFDM:
            bands = prepared.ds_power_ofdm
            snr_minimums = prepared.ds_snr_ofdm
            mod_level = _grade_ds_modulation(order, prepared.ds_mod_ofdm)
        else:
            bands = prepared.ds_power.get(modulation or "", prepared.ds_power_default)
            snr_minimums = prepared.ds_snr.get(modulation or "", prepared.ds_snr_default)
            mod_level = _grade_ds_modulation(order, prepared.ds_mod_scqam)
        symbol_rate = prepared.ds_symbol_rate
    else:
        if family is Family.OFDMA:
            bands = prepared.us_power_ofdma
            mod_level = _grade_us_modulation(order, prepared.us_mod_ofdma)
        else:
            bands = prepared.us_power_scqam
            mod_level = _grade_us_modulation(order, prepared.us_mod_scqam)
        symbol_rate = prepared.us_symbol_rate
    bits = math.log2(order) if family is Family.SC_QAM and order else None
    plan = _Plan(
        power_bands=bands,
        power_ok_low=max(bands[0], bands[2], bands[4]),
        power_ok_high=min(bands[1], bands[3], bands[5]),
        snr_minimums=snr_minimums,
        snr_ok_min=max(snr_minimums) if snr_minimums else math.inf,
        modulation_level=mod_level,
        modulation_issue=f"modulation {_LEVEL_WORD[mod_level]}" if mod_level else None,
        bits_per_symbol=bits,
        default_capacity=0.0 if bits is None else round(bits * symbol_rate / 1000.0, 2),
    )
    plans = prepared.ds_plans if downstream else prepared.us_plans
    if len(plans) < _PLAN_CACHE_MAX:
        plans[family, modulation] = plan
    return plan


def _grade_power(value: float, bands: _Bands) -> tuple[int, str]:
    """Return (level, "low"|"high") of a power level against its bands."""
    side = "low" if value < bands[0] else "high"
    if value < bands[4] or value > bands[5]:
        return 3, side
    if value < bands[2] or value > bands[3]:
        return 2, side
    if value < bands[0] or value > bands[1]:
        return 1, side
    return 0, side


def _grade_snr(value: float, mins: _Mins) -> int:
    if value < mins[2]:
        return 3
    if value < mins[1]:
        return 2
    if value < mins[0]:
        return 1
    return 0


def _grade_ds_modulation(order: int | None, limits: tuple[int, int, int]) -> int:
    if order is None:
        return 0
    if order >= limits[0]:
        return 0
    if order >= limits[1]:
        return 1
    if order >= limits[2]:
        return 2
    return 3


def _grade_us_modulation(order: int | None, limits: tuple[int, int, int]) -> int:
    if order is None:
        return 0
    if order <= limits[0]:
        return 3
    if order <= limits[1]:
        return 2
    if order <= limits[2]:
        return 1
    return 0


# ---------------------------------------------------------------------------
# Per-direction pass: grade each channel and collect values for statistics.


def _stats(values: list[float]) -> tuple[float | None, float | None, float | None]:
    """Return the minimum, maximum and mean (2 decimals) of values, or Nones.

    The total is a plain running sum, not ``sum()``: since Python 3.12 the
    built-in compensates rounding, which can move a mean that sits on a
    rounding boundary.  A NaN (only a broken data source sends one) makes the
    mean NaN and is skipped by the minimum and maximum, as a running
    minimum/maximum started from infinity would skip it.
    """
    if not values:
        return None, None, None
    total = 0.0
    for value in values:
        total += value
    mean = round(total / len(values), 2)
    if math.isnan(total):
        values = [value for value in values if not math.isnan(value)]
    return min(values, default=math.inf), max(values, default=-math.inf), mean


class _FamilyAcc:
    """What one family of one direction collects during the pass."""

    __slots__ = ("levels", "modulations", "powers", "snrs")

    def __init__(self) -> None:
        self.levels: list[int] = []
        self.powers: list[float] = []
        self.snrs: list[float] = []
        self.modulations: dict[str, None] = {}


class _DirectionResult(NamedTuple):
    channels: tuple[ChannelAnalysis, ...]
    powers: list[float]
    snrs: list[float]
    power_level: int
    power_low_level: int
    power_high_level: int
    snr_level: int
    modulation_level: int
    capacity: float
    capacity_channels: int
    families: dict[Family, _FamilyAcc]


# ``ChannelAnalysis(...)`` goes through a generated Python ``__new__``;
# building the tuple directly is the same object at half the cost, and it is
# built for every channel on every poll.
_new_channel_analysis = tuple.__new__


def _analyze_direction(
    channels: tuple[Channel, ...], prepared: _Prepared, *, downstream: bool
) -> _DirectionResult:
    plans = prepared.ds_plans if downstream else prepared.us_plans
    health_enum = HEALTH_BY_LEVEL
    good = Health.GOOD
    powers: list[float] = []
    snrs: list[float] = []
    families: dict[Family, _FamilyAcc] = {}
    worst_power = worst_low = worst_high = worst_snr = worst_mod = 0
    capacity = 0.0
    capacity_channels = 0
    out: list[ChannelAnalysis] = []
    run_family: Family | None = None
    run_modulation: str | None = None
    plan: _Plan  # these three are set on the first channel, which starts a run
    fam: _FamilyAcc
    modulation_health: Health
    for channel in channels:
        family = channel.family
        modulation = channel.modulation
        if family is not run_family or modulation != run_modulation:
            # Modems list channels in runs of one family and modulation (24
            # SC-QAM at 256QAM, then an OFDM block): what a run shares is
            # looked up once per run rather than once per channel.
            run_family, run_modulation = family, modulation
            plan = plans.get((family, modulation)) or _plan(
                prepared, downstream, family, modulation
            )
            fam = families.get(family) or families.setdefault(family, _FamilyAcc())
            if modulation:
                fam.modulations[modulation] = None
            modulation_health = health_enum[plan.modulation_level]
        level = plan.modulation_level
        issues: list[str] | None = None

        power = channel.power_dbmv
        power_health: Health | None = None
        if power is not None:
            powers.append(power)
            fam.powers.append(power)
            if plan.power_ok_low <= power <= plan.power_ok_high:
                power_health = good
            else:
                power_level, side = _grade_power(power, plan.power_bands)
                power_health = health_enum[power_level]
                if power_level:
                    issues = [f"power {_LEVEL_WORD[power_level]} {side}"]
                    worst_power = max(worst_power, power_level)
                    if side == "low":
                        worst_low = max(worst_low, power_level)
                    else:
                        worst_high = max(worst_high, power_level)
                    level = max(level, power_level)

        snr_health: Health | None = None
        snr = channel.snr_db
        if snr is not None and plan.snr_minimums is not None:
            snrs.append(snr)
            fam.snrs.append(snr)
            if snr >= plan.snr_ok_min:
                snr_health = good
            else:
                snr_level = _grade_snr(snr, plan.snr_minimums)
                snr_health = health_enum[snr_level]
                if snr_level:
                    issue = f"snr {_LEVEL_WORD[snr_level]}"
                    if issues is None:
                        issues = [issue]
                    else:
                        issues.append(issue)
                    worst_snr = max(worst_snr, snr_level)
                    level = max(level, snr_level)

        if plan.modulation_issue is not None:
            if issues is None:
                issues = [plan.modulation_issue]
            else:
                issues.append(plan.modulation_issue)
            worst_mod = max(worst_mod, plan.modulation_level)

        channel_capacity: float | None = None
        bits = plan.bits_per_symbol
        if bits is not None:
            rate = channel.symbol_rate_ksym
            channel_capacity = round(bits * rate / 1000.0, 2) if rate else plan.default_capacity
            capacity += channel_capacity
            capacity_channels += 1

        fam.levels.append(level)
        out.append(
            _new_channel_analysis(
                ChannelAnalysis,
                (
                    channel,
                    health_enum[level],
                    power_health,
                    snr_health,
                    modulation_health,
                    _NO_ISSUES if issues is None else tuple(issues),
                    channel_capacity,
                ),
            )
        )
    return _DirectionResult(
        tuple(out),
        powers,
        snrs,
        worst_power,
        worst_low,
        worst_high,
        worst_snr,
        worst_mod,
        capacity,
        capacity_channels,
        families,
    )


def _family_stats(direction: Direction, result: _DirectionResult) -> list[FamilyStats]:
    stats = []
    for family, acc in result.families.items():
        levels = acc.levels
        worst = max(levels)
        if worst:
            counts = [levels.count(level) for level in range(worst + 1)]
            health_counts = {_LEVEL_WORD[level]: n for level, n in enumerate(counts) if n}
        else:  # the usual case: every channel good
            health_counts = {"good": len(levels)}
        power_min, power_max, power_avg = _stats(acc.powers)
        snr_min, snr_max, snr_avg = _stats(acc.snrs)
        stats.append(
            FamilyStats(
                direction=direction,
                family=family,
                count=len(levels),
                health=HEALTH_BY_LEVEL[worst],
                health_counts=health_counts,
                power_min=power_min,
                power_max=power_max,
                power_avg=power_avg,
                snr_min=snr_min,
                snr_max=snr_max,
                snr_avg=snr_avg,
                modulations=tuple(acc.modulations),
            )
        )
    return stats


# ---------------------------------------------------------------------------
# Error counters.


class _ErrorResult(NamedTuple):
    corrected_total: int | None
    uncorrected_total: int | None
    coverage: float
    baseline: ErrorBaseline | None
    corrected_growth: int | None
    uncorrected_growth: int | None
    pct: float | None


def _errors(
    reading: Reading,
    profile: ThresholdProfile,
    baseline: ErrorBaseline | None,
    last_spike_at: datetime | None,
) -> _ErrorResult:
    # Raw totals count every channel reporting the counter; the rate only the
    # cohort reporting both.  Integers, so the order of summing is free.
    cohort_ids: list[int] = []
    cohort_corrected = cohort_uncorrected = 0
    corrected_only = uncorrected_only = 0
    any_corrected = any_uncorrected = False
    for channel in reading.downstream:
        corrected, uncorrected = channel.corrected, channel.uncorrected
        if corrected is not None and uncorrected is not None:
            cohort_ids.append(channel.channel_id)
            cohort_corrected += corrected
            cohort_uncorrected += uncorrected
        elif corrected is not None:
            corrected_only += corrected
            any_corrected = True
        elif uncorrected is not None:
            uncorrected_only += uncorrected
            any_uncorrected = True
    corrected_total = cohort_corrected + corrected_only if cohort_ids or any_corrected else None
    uncorrected_total = (
        cohort_uncorrected + uncorrected_only if cohort_ids or any_uncorrected else None
    )
    ds_count = len(reading.downstream)
    coverage = round(len(cohort_ids) / ds_count, 3) if ds_count else 0.0
    if not cohort_ids:
        return _ErrorResult(corrected_total, uncorrected_total, coverage, None, None, None, None)

    cohort = frozenset(cohort_ids)
    now = reading.read_at
    limits = profile.errors
    fresh = (
        baseline is None
        or baseline.cohort != cohort
        or cohort_corrected < baseline.corrected
        or cohort_uncorrected < baseline.uncorrected
    )
    # Spike expiry: once the last error spike is older than the expiry, the
    # errors counted up to it stop weighing on the line; growth after the
    # re-baseline is new and counts again.  A baseline taken at the spike's
    # poll or later already excludes the spike, so it is kept.
    if (
        not fresh
        and last_spike_at is not None
        and baseline is not None
        and baseline.taken_at < last_spike_at
        and now - last_spike_at >= timedelta(hours=limits.spike_expiry_hours)
    ):
        fresh = True
    if fresh or baseline is None:
        baseline = ErrorBaseline(now, cohort_corrected, cohort_uncorrected, cohort)
    corrected_growth = cohort_corrected - baseline.corrected
    uncorrected_growth = cohort_uncorrected - baseline.uncorrected
    codewords = corrected_growth + uncorrected_growth
    pct = 0.0
    if codewords >= limits.min_codewords:
        pct = round(uncorrected_growth / codewords * 100.0, 4)
    return _ErrorResult(
        corrected_total,
        uncorrected_total,
        coverage,
        baseline,
        corrected_growth,
        uncorrected_growth,
        pct,
    )


# ---------------------------------------------------------------------------


def analyze(
    reading: Reading,
    profile: ThresholdProfile = DEFAULT_PROFILE,
    baseline: ErrorBaseline | None = None,
    last_spike_at: datetime | None = None,
) -> Analysis:
    """Grade a reading.

    ``baseline`` is the one returned in the previous poll's analysis (None on
    the first poll); ``last_spike_at`` is when the last ``error_spike`` event
    fired, for the spike expiry.  The returned analysis carries the baseline
    to pass next time.
    """
    prepared = _prepare(profile)
    ds = _analyze_direction(reading.downstream, prepared, downstream=True)
    us = _analyze_direction(reading.upstream, prepared, downstream=False)
    errors = _errors(reading, profile, baseline, last_spike_at)

    issues: list[tuple[str, int]] = []
    if ds.power_level:
        issues.append((f"ds_power_{_SUMMARY_WORD[ds.power_level]}", ds.power_level))
    if ds.modulation_level:
        issues.append((f"ds_modulation_{_SUMMARY_WORD[ds.modulation_level]}", ds.modulation_level))
    for side, level in (("low", us.power_low_level), ("high", us.power_high_level)):
        if level:
            issues.append((f"us_power_{_SUMMARY_WORD[level]}_{side}", level))
    if us.modulation_level >= 2:
        issues.append((f"us_modulation_{_SUMMARY_WORD[us.modulation_level]}", us.modulation_level))
    if ds.snr_level:
        issues.append((f"snr_{_SUMMARY_WORD[ds.snr_level]}", ds.snr_level))
    pct = errors.pct
    if pct is not None:
        if pct >= profile.errors.uncorrectable_pct_critical:
            issues.append(("uncorr_errors_critical", 3))
        elif pct >= profile.errors.uncorrectable_pct_high:
            issues.append(("uncorr_errors_high", 2))

    level = max((lvl for _, lvl in issues), default=0)
    ds_power_min, ds_power_max, ds_power_avg = _stats(ds.powers)
    ds_snr_min, ds_snr_max, ds_snr_avg = _stats(ds.snrs)
    us_power_min, us_power_max, us_power_avg = _stats(us.powers)
    total_channels = len(reading.downstream) + len(reading.upstream)
    summary = Summary(
        health=LINE_HEALTH_BY_LEVEL[level],
        issues=tuple(name for name, _ in issues),
        ds_total=len(reading.downstream),
        us_total=len(reading.upstream),
        ds_power_min=ds_power_min,
        ds_power_max=ds_power_max,
        ds_power_avg=ds_power_avg,
        ds_snr_min=ds_snr_min,
        ds_snr_max=ds_snr_max,
        ds_snr_avg=ds_snr_avg,
        us_power_min=us_power_min,
        us_power_max=us_power_max,
        us_power_avg=us_power_avg,
        ds_correctable_errors=errors.corrected_total,
        ds_uncorrectable_errors=errors.uncorrected_total,
        errors_supported=errors.baseline is not None,
        error_counter_coverage=errors.coverage,
        ds_corrected_since_baseline=errors.corrected_growth,
        ds_uncorrected_since_baseline=errors.uncorrected_growth,
        ds_uncorr_pct=pct,
        ds_capacity_mbps=round(ds.capacity, 1) if ds.capacity_channels else None,
        us_capacity_mbps=round(us.capacity, 1) if us.capacity_channels else None,
        capacity_coverage=(
            round((ds.capacity_channels + us.capacity_channels) / total_channels, 3)
            if total_channels
            else 0.0
        ),
        families=tuple(
            _family_stats(Direction.DOWNSTREAM, ds) + _family_stats(Direction.UPSTREAM, us)
        ),
    )
    return Analysis(
        reading=reading,
        profile_id=profile.id,
        downstream=ds.channels,
        upstream=us.channels,
        summary=summary,
        baseline=errors.baseline,
    )
