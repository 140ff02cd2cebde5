"""Typed model of one modem reading.

Drivers produce these; the analyzer, event detector, storage and command line
consume them.  Every value a modem may not report is optional, and an absent
codeword counter is ``None`` rather than ``0``: a modem that does not count
errors must not look like a modem with a perfect line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime


class Direction(StrEnum):
    """Which way a channel carries data."""

    DOWNSTREAM = "downstream"
    UPSTREAM = "upstream"


class Family(StrEnum):
    """Physical-layer family of a channel.

    Upstream ATDMA channels are single-carrier QAM and share ``sc_qam`` with the
    downstream DOCSIS 3.0 channels; the thresholds tell them apart by direction.
    """

    SC_QAM = "sc_qam"
    OFDM = "ofdm"
    OFDMA = "ofdma"


@dataclass(frozen=True, slots=True)
class Channel:
    """One bonded channel as the modem reports it.

    ``frequency_hz`` is the centre frequency of a single-carrier channel and the
    lower edge of an OFDM/OFDMA block, whose upper edge is ``frequency_end_hz``.
    ``modulation`` is normalised ("256QAM", "QPSK"); for OFDM and OFDMA it is the
    highest profile modulation when the modem tells it, else ``None``.
    """

    direction: Direction
    family: Family
    channel_id: int
    frequency_hz: int | None = None
    frequency_end_hz: int | None = None
    power_dbmv: float | None = None
    snr_db: float | None = None
    modulation: str | None = None
    corrected: int | None = None
    uncorrected: int | None = None
    locked: bool | None = None
    symbol_rate_ksym: float | None = None


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the modem says about itself."""

    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    uptime_seconds: int | None = None
    serial: str | None = None
    mac: str | None = None
    wan_ipv4: str | None = None
    wan_ipv6: str | None = None
    docsis_version: str | None = None
    downstream_kbps: int | None = None
    upstream_kbps: int | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """One poll's worth of data: the device and all of its channels."""

    read_at: datetime
    device: DeviceInfo
    downstream: tuple[Channel, ...] = field(default_factory=tuple)
    upstream: tuple[Channel, ...] = field(default_factory=tuple)

    @property
    def has_docsis_data(self) -> bool:
        """Return whether the modem reported any channel at all."""
        return bool(self.downstream or self.upstream)


def qam_order(modulation: str | None) -> int | None:
    """Return the constellation size of a modulation name, or None if it has none.

    "QPSK" is 4-QAM.  "OFDM" and unknown strings give None, which the analyzer
    treats as "nothing to grade" rather than as a bad modulation.
    """
    if not modulation:
        return None
    text = modulation.upper().replace("-", "").replace(" ", "")
    if text == "QPSK":
        return 4
    digits = text.removesuffix("QAM")
    if digits != text and digits.isdigit():
        return int(digits)
    return None


def normalize_modulation(raw: str | None) -> str | None:
    """Turn a modem's modulation label ("qam256", "256-QAM", "QPSK") into "256QAM"."""
    if raw is None:
        return None
    text = raw.strip().upper().replace("-", "").replace(" ", "").replace("_", "")
    if not text:
        return None
    if text == "QPSK":
        return "QPSK"
    if text.startswith("QAM") and text[3:].isdigit():
        return f"{text[3:]}QAM"
    if text.endswith("QAM") and text[:-3].isdigit():
        return text
    return raw.strip()
