"""Channel and line grading against the VFKD threshold profile.

The expected grades below are written out from docs/docsis-reference.md
section 1, not computed from the profile, so that a wrong number in the
profile or a wrong comparison in the analyzer shows up as a failing case.
Every band edge is tested twice: exactly on the edge (still inside, as bands
are inclusive) and 0.1 past it (the next grade).
"""

from __future__ import annotations

from dataclasses import replace
import math

import pytest

from custom_components.docsight.docsis.analyzer import ErrorBaseline, Health, LineHealth, analyze
from custom_components.docsight.docsis.model import Channel, Direction, Family
from custom_components.docsight.docsis.thresholds import (
    DEFAULT_PROFILE,
    PowerBands,
    SnrMinimums,
)

from .factories import T0, analysis, counted, ds, reading, us

GOOD, TOLERATED, WARNING, CRITICAL = "good", "tolerated", "warning", "critical"
# A channel "warning" is a line "marginal"; the other words are the same.
SUMMARY_WORD = {TOLERATED: "tolerated", WARNING: "marginal", CRITICAL: "critical"}

# ---------------------------------------------------------------------------
# Downstream power (reference 1.1).  (value, grade) from far low to far high.

DS_POWER_EDGES: dict[str, list[tuple[float, str]]] = {
    # good -10..7, warning -12..12, critical -14..16
    "64QAM": [
        (-14.1, CRITICAL),
        (-14.0, WARNING),
        (-12.1, WARNING),
        (-12.0, TOLERATED),
        (-10.1, TOLERATED),
        (-10.0, GOOD),
        (7.0, GOOD),
        (7.1, TOLERATED),
        (12.0, TOLERATED),
        (12.1, WARNING),
        (16.0, WARNING),
        (16.1, CRITICAL),
    ],
    # good -4..13, warning -6..15, critical -8..16
    "256QAM": [
        (-8.1, CRITICAL),
        (-8.0, WARNING),
        (-6.1, WARNING),
        (-6.0, TOLERATED),
        (-4.1, TOLERATED),
        (-4.0, GOOD),
        (13.0, GOOD),
        (13.1, TOLERATED),
        (15.0, TOLERATED),
        (15.1, WARNING),
        (16.0, WARNING),
        (16.1, CRITICAL),
    ],
    # good -2..15, warning -4..16, critical -6..16: the warning and critical
    # high edges coincide, so above 16 is critical straight away.
    "1024QAM": [
        (-6.1, CRITICAL),
        (-6.0, WARNING),
        (-4.1, WARNING),
        (-4.0, TOLERATED),
        (-2.1, TOLERATED),
        (-2.0, GOOD),
        (15.0, GOOD),
        (15.1, TOLERATED),
        (16.0, TOLERATED),
        (16.1, CRITICAL),
    ],
    "4096QAM": [
        (-6.1, CRITICAL),
        (-6.0, WARNING),
        (-4.1, WARNING),
        (-4.0, TOLERATED),
        (-2.1, TOLERATED),
        (-2.0, GOOD),
        (15.0, GOOD),
        (15.1, TOLERATED),
        (16.0, TOLERATED),
        (16.1, CRITICAL),
    ],
    # OFDM: good -12..12, warning = critical -15..15, so 12 < |P| <= 15 is
    # tolerated and |P| > 15 critical; there is no "warning" at all.
    "ofdm": [
        (-15.1, CRITICAL),
        (-15.0, TOLERATED),
        (-12.1, TOLERATED),
        (-12.0, GOOD),
        (12.0, GOOD),
        (12.1, TOLERATED),
        (15.0, TOLERATED),
        (15.1, CRITICAL),
    ],
}
DS_POWER_GOOD_LOW = {
    "64QAM": -10.0,
    "256QAM": -4.0,
    "1024QAM": -2.0,
    "4096QAM": -2.0,
    "ofdm": -12.0,
}


def _ds_channel_for(key: str, *, power: float, snr: float) -> Channel:
    """Return a downstream channel graded by the ``key`` row of the tables."""
    if key == "ofdm":
        return ds(family=Family.OFDM, modulation="4096QAM", power=power, snr=snr)
    return ds(modulation=key, power=power, snr=snr)


@pytest.mark.parametrize(
    ("key", "power", "expected"),
    [(key, value, grade) for key, cases in DS_POWER_EDGES.items() for value, grade in cases],
)
def test_ds_power_band_edges(key: str, power: float, expected: str) -> None:
    result = analysis([_ds_channel_for(key, power=power, snr=45.0)])
    channel = result.downstream[0]
    assert channel.power_health == expected
    assert channel.snr_health == GOOD
    assert channel.modulation_health == GOOD
    assert channel.health == expected
    side = "low" if power < DS_POWER_GOOD_LOW[key] else "high"
    if expected == GOOD:
        assert channel.issues == ()
        assert result.summary.issues == ()
        assert result.summary.health is LineHealth.GOOD
    else:
        assert channel.issues == (f"power {expected} {side}",)
        assert result.summary.issues == (f"ds_power_{SUMMARY_WORD[expected]}",)
        assert result.summary.health == SUMMARY_WORD[expected]


# ---------------------------------------------------------------------------
# Downstream SNR / MER (reference 1.2): (good_min, warning_min, critical_min).

DS_SNR_MINIMUMS = {
    "64QAM": (27.0, 25.0, 23.0),
    "256QAM": (33.0, 31.0, 29.0),
    "1024QAM": (39.0, 37.0, 36.0),
    "4096QAM": (40.0, 38.0, 36.0),
    "ofdm": (27.0, 25.5, 24.5),
}


def _snr_cases() -> list[tuple[str, float, str]]:
    cases = []
    for key, (good, warning, critical) in DS_SNR_MINIMUMS.items():
        cases += [
            (key, good, GOOD),
            (key, round(good - 0.1, 1), TOLERATED),
            (key, warning, TOLERATED),
            (key, round(warning - 0.1, 1), WARNING),
            (key, critical, WARNING),
            (key, round(critical - 0.1, 1), CRITICAL),
        ]
    return cases


@pytest.mark.parametrize(("key", "snr", "expected"), _snr_cases())
def test_ds_snr_band_edges(key: str, snr: float, expected: str) -> None:
    result = analysis([_ds_channel_for(key, power=0.0, snr=snr)])
    channel = result.downstream[0]
    assert channel.snr_health == expected
    assert channel.power_health == GOOD
    assert channel.health == expected
    if expected == GOOD:
        assert channel.issues == ()
        assert result.summary.issues == ()
    else:
        assert channel.issues == (f"snr {expected}",)
        assert result.summary.issues == (f"snr_{SUMMARY_WORD[expected]}",)
        assert result.summary.health == SUMMARY_WORD[expected]


# ---------------------------------------------------------------------------
# Upstream power (reference 1.3): by family only.

US_POWER_EDGES: dict[Family, list[tuple[float, str]]] = {
    # good 41.1..47, warning 37.1..51, critical 35..53
    Family.SC_QAM: [
        (34.9, CRITICAL),
        (35.0, WARNING),
        (37.0, WARNING),
        (37.1, TOLERATED),
        (41.0, TOLERATED),
        (41.1, GOOD),
        (47.0, GOOD),
        (47.1, TOLERATED),
        (51.0, TOLERATED),
        (51.1, WARNING),
        (53.0, WARNING),
        (53.1, CRITICAL),
    ],
    # good 44.1..47, warning 40.1..48, critical 38..50
    Family.OFDMA: [
        (37.9, CRITICAL),
        (38.0, WARNING),
        (40.0, WARNING),
        (40.1, TOLERATED),
        (44.0, TOLERATED),
        (44.1, GOOD),
        (47.0, GOOD),
        (47.1, TOLERATED),
        (48.0, TOLERATED),
        (48.1, WARNING),
        (50.0, WARNING),
        (50.1, CRITICAL),
    ],
}
US_POWER_GOOD_LOW = {Family.SC_QAM: 41.1, Family.OFDMA: 44.1}


@pytest.mark.parametrize(
    ("family", "power", "expected"),
    [(family, value, grade) for family, cases in US_POWER_EDGES.items() for value, grade in cases],
)
def test_us_power_band_edges(family: Family, power: float, expected: str) -> None:
    modulation = "1024QAM" if family is Family.OFDMA else "64QAM"
    result = analysis(upstream=[us(family=family, power=power, modulation=modulation)])
    channel = result.upstream[0]
    assert channel.power_health == expected
    assert channel.snr_health is None
    assert channel.health == expected
    side = "low" if power < US_POWER_GOOD_LOW[family] else "high"
    if expected == GOOD:
        assert channel.issues == ()
        assert result.summary.issues == ()
    else:
        assert channel.issues == (f"power {expected} {side}",)
        assert result.summary.issues == (f"us_power_{SUMMARY_WORD[expected]}_{side}",)
        assert result.summary.health == SUMMARY_WORD[expected]


def test_us_power_does_not_depend_on_modulation_or_channel_count() -> None:
    """Reference 1.3: the key is the family; nothing depends on how many channels there are."""
    one = analysis(upstream=[us(power=41.0, modulation="QPSK")])
    eight = analysis(upstream=[us(i, power=41.0, modulation="256QAM") for i in range(1, 9)])
    assert one.upstream[0].power_health == TOLERATED
    assert {item.power_health for item in eight.upstream} == {TOLERATED}


# ---------------------------------------------------------------------------
# Modulation (reference 1.4).

DS_MODULATION_CASES = [
    # SC-QAM: >= 64QAM good, below critical; nothing in between.
    (Family.SC_QAM, "4096QAM", GOOD),
    (Family.SC_QAM, "256QAM", GOOD),
    (Family.SC_QAM, "64QAM", GOOD),
    (Family.SC_QAM, "32QAM", CRITICAL),
    (Family.SC_QAM, "16QAM", CRITICAL),
    (Family.SC_QAM, "QPSK", CRITICAL),
    # OFDM: >= 1024 good, >= 512 tolerated, >= 256 warning, below critical.
    (Family.OFDM, "4096QAM", GOOD),
    (Family.OFDM, "2048QAM", GOOD),
    (Family.OFDM, "1024QAM", GOOD),
    (Family.OFDM, "512QAM", TOLERATED),
    (Family.OFDM, "256QAM", WARNING),
    (Family.OFDM, "128QAM", CRITICAL),
    # No parseable modulation: nothing to grade, so good.
    (Family.SC_QAM, None, GOOD),
    (Family.SC_QAM, "OFDM", GOOD),
    (Family.OFDM, None, GOOD),
    (Family.OFDM, "OFDM", GOOD),
    (Family.OFDM, "unknown", GOOD),
]


@pytest.mark.parametrize(("family", "modulation", "expected"), DS_MODULATION_CASES)
def test_ds_modulation_grades(family: Family, modulation: str | None, expected: str) -> None:
    result = analysis([ds(family=family, modulation=modulation, power=0.0, snr=45.0)])
    channel = result.downstream[0]
    assert channel.modulation_health == expected
    assert channel.health == expected
    if expected == GOOD:
        assert channel.issues == ()
        assert result.summary.issues == ()
    else:
        assert channel.issues == (f"modulation {expected}",)
        assert result.summary.issues == (f"ds_modulation_{SUMMARY_WORD[expected]}",)
        assert result.summary.health == SUMMARY_WORD[expected]


US_MODULATION_CASES = [
    # SC-QAM: <= QPSK critical, <= 16QAM warning, above good (no tolerated step).
    (Family.SC_QAM, "QPSK", CRITICAL),
    (Family.SC_QAM, "8QAM", WARNING),
    (Family.SC_QAM, "16QAM", WARNING),
    (Family.SC_QAM, "32QAM", GOOD),
    (Family.SC_QAM, "64QAM", GOOD),
    (Family.SC_QAM, None, GOOD),
    # OFDMA profile: <= 32 critical, <= 64 warning, <= 128 tolerated, above good.
    (Family.OFDMA, "16QAM", CRITICAL),
    (Family.OFDMA, "32QAM", CRITICAL),
    (Family.OFDMA, "64QAM", WARNING),
    (Family.OFDMA, "128QAM", TOLERATED),
    (Family.OFDMA, "256QAM", GOOD),
    (Family.OFDMA, "1024QAM", GOOD),
    (Family.OFDMA, None, GOOD),
]


@pytest.mark.parametrize(("family", "modulation", "expected"), US_MODULATION_CASES)
def test_us_modulation_grades(family: Family, modulation: str | None, expected: str) -> None:
    result = analysis(upstream=[us(family=family, modulation=modulation, power=45.0)])
    channel = result.upstream[0]
    assert channel.modulation_health == expected
    assert channel.health == expected
    if expected == GOOD:
        assert channel.issues == ()
    else:
        assert channel.issues == (f"modulation {expected}",)
    # The summary knows us_modulation_critical and _marginal only.
    if expected in (WARNING, CRITICAL):
        assert result.summary.issues == (f"us_modulation_{SUMMARY_WORD[expected]}",)
        assert result.summary.health == SUMMARY_WORD[expected]
    else:
        assert result.summary.issues == ()
        assert result.summary.health is LineHealth.GOOD


def test_us_modulation_tolerated_has_no_summary_issue() -> None:
    result = analysis(upstream=[us(family=Family.OFDMA, modulation="128QAM")])
    assert result.upstream[0].health is Health.TOLERATED
    assert result.summary.issues == ()
    assert result.summary.health is LineHealth.GOOD


# ---------------------------------------------------------------------------
# Unknown modulation keys fall back to the 256QAM row.


@pytest.mark.parametrize("modulation", [None, "", "OFDM", "bogus", "32QAM"])
def test_unknown_modulation_uses_256qam_rows(modulation: str | None) -> None:
    # 13.1 dBmV is just above 256QAM's good band (..13) but inside 1024QAM's
    # (..15); 32.9 dB is just below 256QAM's good SNR (33) but critical for
    # 1024QAM (< 36).
    result = analysis([ds(power=13.1, snr=32.9, modulation=modulation)])
    channel = result.downstream[0]
    assert channel.power_health == TOLERATED
    assert channel.snr_health == TOLERATED
    # The same values on a 1024QAM row: power good, SNR critical (< 36).
    other = analysis([ds(power=13.1, snr=32.9, modulation="1024QAM")]).downstream[0]
    assert other.power_health == GOOD
    assert other.snr_health == CRITICAL


def test_ofdm_family_uses_ofdm_rows_whatever_its_modulation() -> None:
    # 12.1 dBmV / 26.9 dB: tolerated on the ofdm row; 4096QAM's row would say
    # good power and critical SNR.
    for modulation in ("4096QAM", "1024QAM", None):
        channel = analysis(
            [ds(family=Family.OFDM, power=12.1, snr=26.9, modulation=modulation)]
        ).downstream[0]
        assert channel.power_health == TOLERATED
        assert channel.snr_health == TOLERATED


# ---------------------------------------------------------------------------
# Channel health: the worst metric wins; metrics that are unknown are None.


def test_channel_health_is_the_worst_metric() -> None:
    result = analysis(
        [
            ds(1, power=13.1, snr=30.5),  # tolerated power, warning SNR
            ds(2, power=16.5, snr=32.0),  # critical power, tolerated SNR
            ds(3, power=0.0, snr=40.0, modulation="16QAM"),  # critical modulation only
        ]
    )
    first, second, third = result.downstream
    assert first.health is Health.WARNING
    assert first.issues == ("power tolerated high", "snr warning")
    assert first.health_detail == "power tolerated high + snr warning"
    assert second.health is Health.CRITICAL
    assert second.issues == ("power critical high", "snr tolerated")
    assert third.health is Health.CRITICAL
    assert (third.power_health, third.snr_health, third.modulation_health) == (
        GOOD,
        GOOD,
        CRITICAL,
    )
    assert result.summary.issues == ("ds_power_critical", "ds_modulation_critical", "snr_marginal")


def test_all_three_metrics_bad_on_one_channel() -> None:
    channel = analysis(
        [ds(family=Family.OFDM, power=-13.0, snr=25.0, modulation="256QAM")]
    ).downstream[0]
    assert channel.issues == ("power tolerated low", "snr warning", "modulation warning")
    assert channel.health is Health.WARNING


def test_unknown_metrics_are_none_and_not_graded() -> None:
    result = analysis([ds(power=None, snr=None)], [us(power=None, snr_db=20.0)])
    down, up = result.downstream[0], result.upstream[0]
    assert (down.power_health, down.snr_health, down.health) == (None, None, Health.GOOD)
    # Upstream channels have no SNR grade even if a modem reports one.
    assert (up.power_health, up.snr_health, up.health) == (None, None, Health.GOOD)
    assert result.summary.ds_power_min is None
    assert result.summary.ds_snr_min is None
    assert result.summary.us_power_avg is None
    assert result.summary.health is LineHealth.GOOD
    assert down.health_detail == ""


# ---------------------------------------------------------------------------
# Summary issues.


def test_ds_summary_reports_only_the_worst_power_grade() -> None:
    result = analysis([ds(1, power=13.1), ds(2, power=15.5), ds(3, power=17.0)])
    assert result.summary.issues == ("ds_power_critical",)
    result = analysis([ds(1, power=13.1), ds(2, power=-7.0)])
    assert result.summary.issues == ("ds_power_marginal",)


def test_ds_summary_reports_only_the_worst_modulation_and_snr_grade() -> None:
    result = analysis(
        [
            ds(1, family=Family.OFDM, modulation="512QAM"),
            ds(2, family=Family.OFDM, modulation="256QAM"),
            ds(3, snr=32.0),
            ds(4, snr=28.0),
        ]
    )
    assert result.summary.issues == ("ds_modulation_marginal", "snr_critical")


@pytest.mark.parametrize(
    ("powers", "issues"),
    [
        # Critical low hides marginal low: the same direction is reported once.
        ((34.0, 36.0), ("us_power_critical_low",)),
        # ... but not a marginal high.
        ((34.0, 52.0), ("us_power_critical_low", "us_power_marginal_high")),
        ((52.0, 54.0), ("us_power_critical_high",)),
        ((36.0, 54.0), ("us_power_marginal_low", "us_power_critical_high")),
        ((34.0, 54.0), ("us_power_critical_low", "us_power_critical_high")),
        ((36.0, 52.0), ("us_power_marginal_low", "us_power_marginal_high")),
        # Only the worst grade per direction is named.
        ((36.0, 40.0), ("us_power_marginal_low",)),
        ((40.0, 48.0), ("us_power_tolerated_low", "us_power_tolerated_high")),
        ((45.0, 45.0), ()),
    ],
)
def test_us_power_summary_per_direction(powers: tuple[float, ...], issues: tuple[str, ...]) -> None:
    result = analysis(upstream=[us(i, power=p) for i, p in enumerate(powers, start=1)])
    assert result.summary.issues == issues


def test_summary_issue_order_and_every_kind_at_once() -> None:
    channels = [
        *counted(2, corrected=500, uncorrected=500),
        ds(10, power=17.0, snr=25.0, modulation="16QAM"),
    ]
    baseline = ErrorBaseline(T0, 0, 0, frozenset({1, 2}))
    result = analysis(
        channels,
        [us(1, power=34.0, modulation="QPSK"), us(2, power=52.0)],
        baseline=baseline,
    )
    assert result.summary.issues == (
        "ds_power_critical",
        "ds_modulation_critical",
        "us_power_critical_low",
        "us_power_marginal_high",
        "us_modulation_critical",
        "snr_critical",
        "uncorr_errors_critical",
    )
    assert result.summary.health is LineHealth.CRITICAL


@pytest.mark.parametrize(
    ("downstream", "expected"),
    [
        ([ds(1)], LineHealth.GOOD),
        ([ds(1, power=13.1)], LineHealth.TOLERATED),
        ([ds(1, power=13.1), ds(2, snr=30.5)], LineHealth.MARGINAL),
        ([ds(1, power=15.5), ds(2, snr=32.0)], LineHealth.MARGINAL),
        ([ds(1, power=13.1), ds(2, snr=30.5), ds(3, modulation="QPSK")], LineHealth.CRITICAL),
    ],
)
def test_line_health_is_the_worst_summary_issue(
    downstream: list[Channel], expected: LineHealth
) -> None:
    assert analysis(downstream).summary.health is expected


def test_health_enums_are_ordered_best_to_worst() -> None:
    assert [h.value for h in Health] == ["good", "tolerated", "warning", "critical"]
    assert [h.value for h in LineHealth] == ["good", "tolerated", "marginal", "critical"]


# ---------------------------------------------------------------------------
# Capacity: SC-QAM only, bits per symbol x symbol rate.


def test_capacity_uses_default_symbol_rates() -> None:
    result = analysis(
        [
            ds(1, modulation="256QAM"),  # 8 bit x 6952 kSym/s
            ds(2, modulation="64QAM"),  # 6 bit x 6952 kSym/s
            ds(3, family=Family.OFDM, modulation="4096QAM"),
            ds(4, modulation=None),
        ],
        [
            us(1, modulation="64QAM"),  # 6 bit x 5120 kSym/s
            us(2, modulation="16QAM"),
            us(3, modulation="QPSK"),
            us(4, family=Family.OFDMA, modulation="1024QAM"),
        ],
    )
    assert [item.capacity_mbps for item in result.downstream] == [55.62, 41.71, None, None]
    assert [item.capacity_mbps for item in result.upstream] == [30.72, 20.48, 10.24, None]
    assert result.summary.ds_capacity_mbps == 97.3  # 97.33
    assert result.summary.us_capacity_mbps == 61.4  # 61.44
    assert result.summary.capacity_coverage == 0.625  # 5 of 8 channels


def test_capacity_per_channel_symbol_rate_overrides_the_default() -> None:
    # Annex B: 5361 kSym/s for 256QAM, 5057 for 64QAM.
    result = analysis(
        [
            ds(1, modulation="256QAM", symbol_rate_ksym=5361.0),
            ds(2, modulation="64QAM", symbol_rate_ksym=5057.0),
        ],
        [us(1, modulation="64QAM", symbol_rate_ksym=2560.0)],
    )
    assert [item.capacity_mbps for item in result.downstream] == [42.89, 30.34]
    assert result.upstream[0].capacity_mbps == 15.36
    assert result.summary.ds_capacity_mbps == 73.2
    assert result.summary.capacity_coverage == 1.0


def test_capacity_is_none_without_sc_qam_channels() -> None:
    result = analysis(
        [ds(1, family=Family.OFDM, modulation="4096QAM")],
        [us(1, family=Family.OFDMA, modulation="1024QAM"), us(2, family=Family.OFDMA)],
    )
    assert result.summary.ds_capacity_mbps is None
    assert result.summary.us_capacity_mbps is None
    assert result.summary.capacity_coverage == 0.0
    third = analysis([ds(1), ds(2, modulation=None), ds(3, modulation="OFDM")])
    assert third.summary.capacity_coverage == 0.333


def test_profile_symbol_rates_are_used() -> None:
    profile = replace(DEFAULT_PROFILE, ds_symbol_rate_ksym=5057.0, us_symbol_rate_ksym=2560.0)
    result = analyze(reading([ds(1, modulation="64QAM")], [us(1)]), profile)
    assert result.downstream[0].capacity_mbps == 30.34
    assert result.upstream[0].capacity_mbps == 15.36
    assert result.profile_id == DEFAULT_PROFILE.id
    # The default profile's prepared tables are untouched by the other profile.
    assert analysis([ds(1, modulation="64QAM")]).downstream[0].capacity_mbps == 41.71


# ---------------------------------------------------------------------------
# Statistics.


def test_direction_statistics() -> None:
    result = analysis(
        [ds(1, power=1.0, snr=35.0), ds(2, power=2.0, snr=36.0), ds(3, power=4.5, snr=40.4)],
        [us(1, power=42.0), us(2, power=44.5)],
    )
    summary = result.summary
    assert (summary.ds_total, summary.us_total) == (3, 2)
    assert (summary.ds_power_min, summary.ds_power_max, summary.ds_power_avg) == (1.0, 4.5, 2.5)
    assert (summary.ds_snr_min, summary.ds_snr_max, summary.ds_snr_avg) == (35.0, 40.4, 37.13)
    assert (summary.us_power_min, summary.us_power_max, summary.us_power_avg) == (
        42.0,
        44.5,
        43.25,
    )


def test_family_statistics() -> None:
    result = analysis(
        [
            ds(1, power=1.0, snr=35.0),
            ds(2, power=2.0, snr=36.0, modulation="64QAM"),
            ds(3, power=13.5, snr=37.0),
            ds(33, family=Family.OFDM, power=4.0, snr=38.5, modulation="4096QAM"),
            ds(34, family=Family.OFDM, power=5.0, snr=39.5, modulation=None),
        ],
        [
            us(1, power=44.0),
            us(2, power=45.0, modulation="16QAM"),
            us(5, family=Family.OFDMA, power=45.0, modulation="1024QAM"),
        ],
    )
    summary = result.summary
    assert [(f.direction, f.family) for f in summary.families] == [
        (Direction.DOWNSTREAM, Family.SC_QAM),
        (Direction.DOWNSTREAM, Family.OFDM),
        (Direction.UPSTREAM, Family.SC_QAM),
        (Direction.UPSTREAM, Family.OFDMA),
    ]
    scqam = summary.family(Direction.DOWNSTREAM, Family.SC_QAM)
    assert scqam is not None
    assert scqam.count == 3
    assert scqam.health is Health.TOLERATED
    assert scqam.health_counts == {"good": 2, "tolerated": 1}
    assert (scqam.power_min, scqam.power_max, scqam.power_avg) == (1.0, 13.5, 5.5)
    assert (scqam.snr_min, scqam.snr_max, scqam.snr_avg) == (35.0, 37.0, 36.0)
    assert scqam.modulations == ("256QAM", "64QAM")

    ofdm = summary.family(Direction.DOWNSTREAM, Family.OFDM)
    assert ofdm is not None
    assert (ofdm.count, ofdm.health, ofdm.power_avg, ofdm.snr_avg) == (2, Health.GOOD, 4.5, 39.0)
    assert ofdm.modulations == ("4096QAM",)

    us_scqam = summary.family(Direction.UPSTREAM, Family.SC_QAM)
    assert us_scqam is not None
    assert us_scqam.health is Health.WARNING
    assert us_scqam.health_counts == {"good": 1, "warning": 1}
    assert (us_scqam.snr_min, us_scqam.snr_max, us_scqam.snr_avg) == (None, None, None)
    assert us_scqam.power_avg == 44.5

    assert summary.family(Direction.UPSTREAM, Family.OFDM) is None
    assert summary.family(Direction.DOWNSTREAM, Family.OFDMA) is None


def test_empty_direction_has_no_statistics() -> None:
    """Statistics of a direction without channels are None, not 0 (see analyzer docstring)."""
    summary = analysis([ds(1, power=3.0, snr=38.0)]).summary
    assert summary.us_total == 0
    assert (summary.us_power_min, summary.us_power_max, summary.us_power_avg) == (None,) * 3
    assert summary.us_capacity_mbps is None
    assert summary.ds_power_avg == 3.0

    summary = analysis(upstream=[us(1, power=45.0)]).summary
    assert (summary.ds_power_min, summary.ds_power_max, summary.ds_power_avg) == (None,) * 3
    assert (summary.ds_snr_min, summary.ds_snr_max, summary.ds_snr_avg) == (None,) * 3


def test_reading_without_channels() -> None:
    result = analysis()
    summary = result.summary
    assert summary.health is LineHealth.GOOD
    assert summary.issues == ()
    assert (summary.ds_total, summary.us_total) == (0, 0)
    assert summary.ds_power_avg is None
    assert summary.us_power_avg is None
    assert summary.capacity_coverage == 0.0
    assert summary.error_counter_coverage == 0.0
    assert summary.errors_supported is False
    assert summary.ds_uncorr_pct is None
    assert summary.families == ()
    assert result.downstream == ()
    assert result.baseline is None
    assert result.read_at == result.reading.read_at


def test_profile_with_bands_that_are_not_nested() -> None:
    """Profiles are data; bands that do not nest are still applied as written."""
    profile = replace(
        DEFAULT_PROFILE,
        ds_power={
            **DEFAULT_PROFILE.ds_power,
            "256QAM": PowerBands(good=(-4.0, 20.0), warning=(-6.0, 15.0), critical=(-2.0, 16.0)),
        },
        ds_snr={
            **DEFAULT_PROFILE.ds_snr,
            "256QAM": SnrMinimums(good=30.0, warning=35.0, critical=25.0),
        },
    )
    graded = analyze(
        reading([ds(1, power=-3.0), ds(2, power=15.5), ds(3, power=18.0), ds(4, snr=32.0)]),
        profile,
    )
    assert [item.power_health for item in graded.downstream] == [
        CRITICAL,  # inside good and warning, below the critical band's -2
        WARNING,  # inside good, above warning's 15
        CRITICAL,
        GOOD,
    ]
    assert graded.downstream[3].snr_health == WARNING  # good by 30, below warning's 35


def test_nan_from_a_broken_source_is_not_graded_and_skipped_by_min_max() -> None:
    nan = float("nan")
    result = analysis([ds(1, power=nan, snr=nan), ds(2, power=3.0, snr=38.0)])
    first = result.downstream[0]
    assert (first.power_health, first.snr_health, first.issues) == (GOOD, GOOD, ())
    summary = result.summary
    assert (summary.ds_power_min, summary.ds_power_max) == (3.0, 3.0)
    assert (summary.ds_snr_min, summary.ds_snr_max) == (38.0, 38.0)
    assert math.isnan(summary.ds_power_avg)  # type: ignore[arg-type]
    only_nan = analysis([ds(1, power=nan)]).summary
    assert (only_nan.ds_power_min, only_nan.ds_power_max) == (math.inf, -math.inf)
