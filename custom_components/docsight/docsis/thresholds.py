"""Threshold profiles: the numbers the analyzer grades against, kept as data.

A profile is a JSON file under ``profiles/``.  Loading turns it into frozen
lookup tables once, so that grading a channel is a dictionary lookup and a few
comparisons: the analyzer runs on every poll and must stay cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from pathlib import Path
from typing import Any

from .model import Family

PROFILES_DIR = Path(__file__).parent / "profiles"
DEFAULT_PROFILE_ID = "docsight.thresholds_vfkd"


@dataclass(frozen=True, slots=True)
class PowerBands:
    """Inclusive [low, high] bands; outside ``critical`` is critical, and so on down."""

    good: tuple[float, float]
    warning: tuple[float, float]
    critical: tuple[float, float]


@dataclass(frozen=True, slots=True)
class SnrMinimums:
    """Lowest SNR/MER (dB) still counted good, warning-free and non-critical."""

    good: float
    warning: float
    critical: float


@dataclass(frozen=True, slots=True)
class ModulationLimits:
    """QAM orders that separate the grades of a channel family's modulation.

    Downstream grades by the lowest order still acceptable (``*_min_qam``),
    upstream by the highest order that is still too low (``*_max_qam``).
    """

    good_min_qam: int = 0
    tolerated_min_qam: int = 0
    warning_min_qam: int = 0
    critical_max_qam: int = 0
    warning_max_qam: int = 0
    tolerated_max_qam: int = 0


@dataclass(frozen=True, slots=True)
class ErrorLimits:
    """Uncorrectable-codeword rate thresholds and the error-spike rule."""

    uncorrectable_pct_high: float
    uncorrectable_pct_critical: float
    min_codewords: int
    spike_threshold: int
    spike_expiry_hours: float


@dataclass(frozen=True, slots=True)
class ThresholdProfile:
    """A complete, immutable set of thresholds with where they come from."""

    id: str
    version: str
    name: str
    source: str
    ds_power: dict[str, PowerBands]
    ds_power_default: str
    ds_snr: dict[str, SnrMinimums]
    ds_snr_default: str
    us_power: dict[str, PowerBands]
    us_power_default: str
    ds_modulation: dict[str, ModulationLimits]
    us_modulation: dict[str, ModulationLimits]
    errors: ErrorLimits
    ds_symbol_rate_ksym: float
    us_symbol_rate_ksym: float

    def ds_power_bands(self, family: Family, modulation: str | None) -> PowerBands:
        """Return the downstream power bands for a channel.

        OFDM blocks use their own row; single-carrier channels are keyed by
        modulation and fall back to the profile default (256QAM).
        """
        if family is Family.OFDM:
            return self.ds_power["ofdm"]
        return self.ds_power.get(modulation or "", self.ds_power[self.ds_power_default])

    def ds_snr_minimums(self, family: Family, modulation: str | None) -> SnrMinimums:
        """Return the SNR/MER minimums for a downstream channel."""
        if family is Family.OFDM:
            return self.ds_snr["ofdm"]
        return self.ds_snr.get(modulation or "", self.ds_snr[self.ds_snr_default])

    def us_power_bands(self, family: Family) -> PowerBands:
        """Return the upstream power bands, which depend on the family alone."""
        return self.us_power.get(family.value, self.us_power[self.us_power_default])

    def as_dict(self) -> dict[str, Any]:
        """Return the profile in its JSON form, for diagnostics and reports."""
        return json.loads(json.dumps(_to_jsonable(self)))  # type: ignore[no-any-return]


def _to_jsonable(value: Any) -> Any:
    if hasattr(value, "__slots__") and not isinstance(value, tuple):
        return {name: _to_jsonable(getattr(value, name)) for name in value.__slots__}
    if isinstance(value, dict):
        return {key: _to_jsonable(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_to_jsonable(item) for item in value]
    return value


def _bands(raw: dict[str, Any]) -> PowerBands:
    return PowerBands(
        good=(float(raw["good"][0]), float(raw["good"][1])),
        warning=(float(raw["warning"][0]), float(raw["warning"][1])),
        critical=(float(raw["critical"][0]), float(raw["critical"][1])),
    )


def profile_from_dict(raw: dict[str, Any]) -> ThresholdProfile:
    """Build a profile from its JSON form; raises KeyError/ValueError if incomplete."""
    errors = raw["errors"]
    return ThresholdProfile(
        id=raw["id"],
        version=raw["version"],
        name=raw["name"],
        source=raw["source"],
        ds_power={key: _bands(value) for key, value in raw["downstream_power"]["bands"].items()},
        ds_power_default=raw["downstream_power"]["default"],
        ds_snr={
            key: SnrMinimums(float(v["good"]), float(v["warning"]), float(v["critical"]))
            for key, v in raw["downstream_snr"]["minimums"].items()
        },
        ds_snr_default=raw["downstream_snr"]["default"],
        us_power={key: _bands(value) for key, value in raw["upstream_power"]["bands"].items()},
        us_power_default=raw["upstream_power"]["default"],
        ds_modulation={
            key: ModulationLimits(**value) for key, value in raw["downstream_modulation"].items()
        },
        us_modulation={
            key: ModulationLimits(**value) for key, value in raw["upstream_modulation"].items()
        },
        errors=ErrorLimits(
            uncorrectable_pct_high=float(errors["uncorrectable_pct_high"]),
            uncorrectable_pct_critical=float(errors["uncorrectable_pct_critical"]),
            min_codewords=int(errors["min_codewords"]),
            spike_threshold=int(errors["spike_threshold"]),
            spike_expiry_hours=float(errors["spike_expiry_hours"]),
        ),
        ds_symbol_rate_ksym=float(raw["capacity"]["downstream_symbol_rate_ksym"]),
        us_symbol_rate_ksym=float(raw["capacity"]["upstream_symbol_rate_ksym"]),
    )


def load_profile(path: Path) -> ThresholdProfile:
    """Read a profile JSON file (blocking: call it from an executor in async code)."""
    return profile_from_dict(json.loads(path.read_text(encoding="utf-8")))


def builtin_profiles() -> dict[str, ThresholdProfile]:
    """Return every profile shipped with the library, keyed by id."""
    profiles = (load_profile(path) for path in sorted(PROFILES_DIR.glob("*.json")))
    return {profile.id: profile for profile in profiles}


# Loaded once at import; Home Assistant imports custom integrations in its
# executor, so this small read never lands on the event loop.
DEFAULT_PROFILE: ThresholdProfile = builtin_profiles()[DEFAULT_PROFILE_ID]
