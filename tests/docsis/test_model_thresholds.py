"""The reading model's helpers and the threshold profile as data."""

from __future__ import annotations

from dataclasses import replace
import json

import pytest

from custom_components.docsight.docsis import DEFAULT_PROFILE, __all__ as public_names
from custom_components.docsight.docsis.model import (
    DeviceInfo,
    Family,
    Reading,
    normalize_modulation,
    qam_order,
)
from custom_components.docsight.docsis.thresholds import (
    DEFAULT_PROFILE_ID,
    PROFILES_DIR,
    PowerBands,
    SnrMinimums,
    builtin_profiles,
    load_profile,
    profile_from_dict,
)

from .factories import T0, ds, us


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("QPSK", 4),
        ("qpsk", 4),
        ("16QAM", 16),
        ("256QAM", 256),
        ("256-QAM", 256),
        ("4096 QAM", 4096),
        ("4QAM", 4),
        ("OFDM", None),
        ("QAM", None),
        ("QAM256", None),  # drivers normalise first; see normalize_modulation
        ("", None),
        (None, None),
    ],
)
def test_qam_order(text: str | None, order: int | None) -> None:
    assert qam_order(text) == order


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("qam256", "256QAM"),
        ("QAM_64", "64QAM"),
        ("256-QAM", "256QAM"),
        (" 1024 qam ", "1024QAM"),
        ("256QAM", "256QAM"),
        ("qpsk", "QPSK"),
        ("OFDM", "OFDM"),
        (" Other ", "Other"),
        ("  ", None),
        (None, None),
    ],
)
def test_normalize_modulation(raw: str | None, normalised: str | None) -> None:
    assert normalize_modulation(raw) == normalised


def test_reading_has_docsis_data() -> None:
    assert not Reading(T0, DeviceInfo()).has_docsis_data
    assert Reading(T0, DeviceInfo(), downstream=(ds(1),)).has_docsis_data
    assert Reading(T0, DeviceInfo(), upstream=(us(1),)).has_docsis_data


def test_package_exports() -> None:
    import custom_components.docsight.docsis as library

    for name in public_names:
        assert getattr(library, name) is not None


def test_default_profile_is_the_vfkd_profile() -> None:
    profile = DEFAULT_PROFILE
    assert profile.id == DEFAULT_PROFILE_ID == "docsight.thresholds_vfkd"
    assert profile.version == "1.1.0"
    assert "pNTP" in profile.source
    assert set(profile.ds_power) == {"64QAM", "256QAM", "1024QAM", "4096QAM", "ofdm"}
    assert set(profile.us_power) == {"sc_qam", "ofdma"}
    errors = profile.errors
    assert (errors.uncorrectable_pct_high, errors.uncorrectable_pct_critical) == (1.0, 3.0)
    assert (errors.min_codewords, errors.spike_threshold, errors.spike_expiry_hours) == (
        1000,
        1000,
        48.0,
    )
    assert (profile.ds_symbol_rate_ksym, profile.us_symbol_rate_ksym) == (6952.0, 5120.0)
    assert builtin_profiles()[DEFAULT_PROFILE_ID] == profile
    assert load_profile(PROFILES_DIR / "vfkd.json") == profile


def test_profile_lookups() -> None:
    profile = DEFAULT_PROFILE
    assert profile.ds_power_bands(Family.OFDM, "256QAM") == PowerBands(
        (-12.0, 12.0), (-15.0, 15.0), (-15.0, 15.0)
    )
    assert profile.ds_power_bands(Family.SC_QAM, "64QAM").good == (-10.0, 7.0)
    assert profile.ds_power_bands(Family.SC_QAM, None) == profile.ds_power["256QAM"]
    assert profile.ds_power_bands(Family.SC_QAM, "32QAM") == profile.ds_power["256QAM"]
    assert profile.ds_snr_minimums(Family.OFDM, None) == SnrMinimums(27.0, 25.5, 24.5)
    assert profile.ds_snr_minimums(Family.SC_QAM, "1024QAM") == SnrMinimums(39.0, 37.0, 36.0)
    assert profile.ds_snr_minimums(Family.SC_QAM, "bogus") == SnrMinimums(33.0, 31.0, 29.0)
    assert profile.us_power_bands(Family.OFDMA).good == (44.1, 47.0)
    assert profile.us_power_bands(Family.SC_QAM).critical == (35.0, 53.0)
    # A family without its own row takes the default (sc_qam).
    assert profile.us_power_bands(Family.OFDM) == profile.us_power["sc_qam"]


def test_profile_as_dict_is_plain_json() -> None:
    data = DEFAULT_PROFILE.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["id"] == DEFAULT_PROFILE_ID
    assert data["ds_power"]["256QAM"] == {
        "good": [-4.0, 13.0],
        "warning": [-6.0, 15.0],
        "critical": [-8.0, 16.0],
    }
    assert data["ds_snr"]["ofdm"] == {"good": 27.0, "warning": 25.5, "critical": 24.5}
    assert data["errors"]["min_codewords"] == 1000
    assert data["us_modulation"]["ofdma"]["critical_max_qam"] == 32


def test_incomplete_profile_is_rejected() -> None:
    raw = json.loads((PROFILES_DIR / "vfkd.json").read_text(encoding="utf-8"))
    assert profile_from_dict(raw) == DEFAULT_PROFILE
    del raw["errors"]["min_codewords"]
    with pytest.raises(KeyError):
        profile_from_dict(raw)


def test_profiles_are_frozen() -> None:
    with pytest.raises(AttributeError):
        DEFAULT_PROFILE.id = "other"  # type: ignore[misc]
    assert replace(DEFAULT_PROFILE, id="other").id == "other"
