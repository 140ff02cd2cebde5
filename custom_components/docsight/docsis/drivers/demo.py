"""The built-in demo modem: a believable cable line without hardware.

The line is a function of time, so that a live poll and seeded history
(:mod:`..demo_history`) tell the same story: a diurnal and a seasonal drift, a
bad night every tenth day (02-08 h: levels up, SNR down, QAM downgrades),
evening upstream downgrades, slowly rising codeword counters, and an OFDMA
upstream profile with a daily rhythm by local hour:

* 00-17 h 1024QAM (power offset 0 dB),
* 17-19 h 512QAM (-1.6 dB), as the evening starts,
* 19-23 h 256QAM (-3.4 dB), evening congestion,
* 23-24 h 512QAM again,
* 128QAM (-5.2 dB) during a bad night.

Slot-level decisions (how bad this part of a bad night is, whether this
evening slot is downgraded) come from a cheap integer hash of the seed and the
15-minute slot, so they are the same on every poll within the slot, across
runs, and between live polls and seeded history; only the small per-poll
jitter and the counter growth come from the instance's own generator.

``read`` runs for every seeded snapshot (25,920 for 270 days), so it works
from per-channel constants computed once, rounds by ``floor`` in tenths of a
dB rather than ``round()``, and builds its channels through a writable twin of
:class:`Channel` (see :class:`_ChannelSlots`).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime
from functools import lru_cache
import math
import random
from typing import Literal, cast

from ..model import Channel, DeviceInfo, Direction, Family, Reading
from .base import DriverConfig, ModemConnectionError, ModemDriver

type Scenario = Literal["auto", "good", "bad", "offline"]

MHZ = 1_000_000
UPTIME_PERIOD = 8_640_000  # the modem "reboots" every 100 days
SLOT_SECONDS = 900

# Reference plan: 24 SC-QAM + 1 OFDM down, 4 SC-QAM + 1 OFDMA up.
_DS_FREQS_MHZ = tuple(114 + 8 * round(i * 78 / 23) for i in range(24))
_DS_POWER = tuple(round(4.2 + 2.3 * ((i * 7) % 24) / 23, 1) for i in range(24))
_DS_SNR = tuple(round(35.5 + 2.7 * ((i * 11) % 24) / 23, 1) for i in range(24))
_DS_CORRECTED = tuple(88 + (i * 37) % 103 for i in range(24))
_US_FREQS_MHZ = (51.0, 57.4, 63.8, 70.2)
_US_POWER = (44.0, 44.5, 45.0, 45.5)
_OFDM_POWER = 4.0
_OFDM_SNR = 38.5
_OFDMA_POWER = 46.0
_OFDMA_OFFSET = {1024: 0.0, 512: -1.6, 256: -3.4, 128: -5.2}
# The OFDMA profile by local hour; a bad night overrides it with 128QAM.
OFDMA_PROFILE_BY_HOUR = (1024,) * 17 + (512,) * 2 + (256,) * 4 + (512,)
OFDMA_BAD_PROFILE = 128

_BAD_DS_FROM = 19  # DS SC-QAM channels from this id drop to 64QAM on a bad night
_BAD_US_FROM = 3  # US SC-QAM channels from this id drop to 16QAM

# --- fast helpers -------------------------------------------------------------

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_BITS21 = (1 << 21) - 1
_UNIT21 = 1.0 / (1 << 21)


def _mix64(value: int) -> int:
    """Return the splitmix64 finaliser of a 64-bit value: a cheap, well-mixed hash."""
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _M64
    return value ^ (value >> 31)


@lru_cache(maxsize=16)
def _seed_hash(seed: int) -> int:
    return _mix64(seed & _M64)


def slot_uniforms(seed: int, slot: int) -> tuple[float, float, float]:
    """Return three numbers in [0, 1) that depend only on ``seed`` and ``slot``.

    One 64-bit hash, cut into three 21-bit fractions: plenty of resolution for
    "how bad is this slot" and "is this evening slot downgraded", at a small
    fraction of the cost of seeding a generator per slot.
    """
    bits = _mix64((_seed_hash(seed) + (slot & _M64) * _GOLDEN) & _M64)
    return (
        (bits & _BITS21) * _UNIT21,
        ((bits >> 21) & _BITS21) * _UNIT21,
        ((bits >> 42) & _BITS21) * _UNIT21,
    )


# Diurnal term by minute of the day: 0.5 * sin((h - 6) * pi / 12).
_DIURNAL = tuple(0.5 * math.sin((minute / 60 - 6) * math.pi / 12) for minute in range(1440))

_CHANNEL_FIELDS = (
    "direction",
    "family",
    "channel_id",
    "frequency_hz",
    "frequency_end_hz",
    "power_dbmv",
    "snr_db",
    "modulation",
    "corrected",
    "uncorrected",
    "locked",
    "symbol_rate_ksym",
)


class _ChannelSlots:
    """A writable twin of :class:`Channel`: the same slots, in the same order.

    Channel is a frozen, slotted dataclass; its generated ``__init__`` sets the
    12 slots one ``object.__setattr__`` at a time behind a keyword call
    (about 1.5 us).  A twin with the identical slot layout is filled with plain
    attribute stores and then becomes a Channel by ``__class__`` assignment,
    which Python allows between classes of the same layout: the same object,
    in a sixth of the time.  ``_FAST_CHANNEL`` checks once that the layouts
    still match (and the result equals the constructor's); otherwise the
    ordinary constructor is used.
    """

    __slots__ = _CHANNEL_FIELDS
    direction: Direction
    family: Family
    channel_id: int
    frequency_hz: int | None
    frequency_end_hz: int | None
    power_dbmv: float | None
    snr_db: float | None
    modulation: str | None
    corrected: int | None
    uncorrected: int | None
    locked: bool | None
    symbol_rate_ksym: float | None


def _channel(  # noqa: PLR0917 - positional, in the field order, is the point
    direction: Direction,
    family: Family,
    channel_id: int,
    frequency_hz: int | None,
    frequency_end_hz: int | None,
    power_dbmv: float | None,
    snr_db: float | None,
    modulation: str | None,
    corrected: int | None,
    uncorrected: int | None,
    locked: bool | None,
    symbol_rate_ksym: float | None,
) -> Channel:
    """Return ``Channel(...)`` with these values: an equal, genuine Channel."""
    if not _FAST_CHANNEL:
        return Channel(
            direction,
            family,
            channel_id,
            frequency_hz,
            frequency_end_hz,
            power_dbmv,
            snr_db,
            modulation,
            corrected,
            uncorrected,
            locked,
            symbol_rate_ksym,
        )
    channel = _ChannelSlots()
    channel.direction = direction
    channel.family = family
    channel.channel_id = channel_id
    channel.frequency_hz = frequency_hz
    channel.frequency_end_hz = frequency_end_hz
    channel.power_dbmv = power_dbmv
    channel.snr_db = snr_db
    channel.modulation = modulation
    channel.corrected = corrected
    channel.uncorrected = uncorrected
    channel.locked = locked
    channel.symbol_rate_ksym = symbol_rate_ksym
    channel.__class__ = Channel  # type: ignore[assignment]
    return cast("Channel", channel)


def _fast_channel_works() -> bool:
    if tuple(f.name for f in fields(Channel)) != _CHANNEL_FIELDS:
        return False
    values = (Direction.UPSTREAM, Family.OFDMA, 5, 1, 2, 3.0, 4.0, "QPSK", 6, 7, True, 8.0)
    try:
        fast = _channel(*values)
    except TypeError:  # the layouts differ
        return False
    return type(fast) is Channel and fast == Channel(*values)


_FAST_CHANNEL = True
_FAST_CHANNEL = _fast_channel_works()


_DOWN, _UP = Direction.DOWNSTREAM, Direction.UPSTREAM
_SC_QAM, _OFDM, _OFDMA = Family.SC_QAM, Family.OFDM, Family.OFDMA
_DS_FREQ_HZ = tuple(mhz * MHZ for mhz in _DS_FREQS_MHZ)
_DS_POWER_10 = tuple(value * 10 for value in _DS_POWER)
_DS_SNR_10 = tuple(value * 10 for value in _DS_SNR)
_DS_MODULATION_GOOD = ("256QAM",) * 24
_DS_MODULATION_BAD = tuple("64QAM" if i + 1 >= _BAD_DS_FROM else "256QAM" for i in range(24))
_US_FREQ_HZ = tuple(int(mhz * MHZ) for mhz in _US_FREQS_MHZ)
_US_POWER_10 = tuple(value * 10 for value in _US_POWER)
_US_MODULATION_GOOD = ("64QAM",) * 4
_US_MODULATION_BAD = tuple("16QAM" if i + 1 >= _BAD_US_FROM else "64QAM" for i in range(4))
_OFDMA_POWER_10 = {order: (_OFDMA_POWER + offset) * 10 for order, offset in _OFDMA_OFFSET.items()}
_OFDMA_LABEL = {order: f"{order}QAM" for order in _OFDMA_OFFSET}


def _day_of_year(when: datetime) -> int:
    return when.toordinal() - date(when.year, 1, 1).toordinal() + 1


def is_bad_period(when: datetime) -> bool:
    """Return whether ``when`` (modem-local time) falls in a bad night."""
    return 2 <= when.hour < 8 and _day_of_year(when) % 10 == 0


def ofdma_profile(when: datetime, *, bad: bool = False) -> int:
    """Return the OFDMA upstream QAM order at ``when`` (modem-local time)."""
    return OFDMA_BAD_PROFILE if bad else OFDMA_PROFILE_BY_HOUR[when.hour]


class DemoModem(ModemDriver):
    """A simulated modem following the reference demo's channel plan."""

    def __init__(self, config: DriverConfig | None = None) -> None:
        """Create the modem; ``config.seed`` makes every reading reproducible."""
        super().__init__(config or DriverConfig())
        self.seed = self.config.seed if self.config.seed is not None else random.getrandbits(32)
        self._rng = random.Random(self.seed)
        self.scenario: Scenario = "auto"
        self.firmware = "Demo v2.0"
        self.wan_ipv4 = "198.51.100.23"
        self._corrected = [float(value) for value in _DS_CORRECTED] + [60.0]
        self._uncorrected = [0] * 25
        self._last: datetime | None = None
        # Channels the modem has lost lock on and no longer reports.
        self.lost_channels: frozenset[tuple[Direction, int]] = frozenset()
        # The day-of-year terms of the last day read (most reads share a day).
        self._day: tuple[int, int, float] = (0, 0, 0.0)  # ordinal, day of year, seasonal term

    async def async_fetch(self) -> Reading:
        """Read the simulated modem now, in its configured (else the machine's) time zone.

        The "offline" scenario answers like an unplugged modem, so that
        dashboards and automations can be tried against an outage.
        """
        if self.scenario == "offline":
            raise ModemConnectionError("the demo modem is offline")
        zone = self.config.time_zone
        return self.read(datetime.now(zone) if zone else datetime.now().astimezone())

    def read(self, when: datetime) -> Reading:
        """Return the reading at ``when`` (timezone-aware; its local hour drives the day cycle)."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        read_at = when.astimezone(UTC)
        ordinal = when.toordinal()
        day = self._day
        if day[0] != ordinal:
            yday = _day_of_year(when)
            day = self._day = (ordinal, yday, 0.3 * math.sin(yday * math.pi / 45))
        hour = when.hour
        scenario = self.scenario
        bad = scenario == "bad" or (scenario == "auto" and day[1] % 10 == 0 and 2 <= hour < 8)
        drift = _DIURNAL[hour * 60 + when.minute] + day[2]
        epoch = int(read_at.timestamp())
        u_power, u_snr, u_evening = slot_uniforms(self.seed, epoch // SLOT_SECONDS)
        bad_power = 1.5 + 1.5 * u_power if bad else 0.0
        bad_snr = 2.0 + 3.0 * u_snr if bad else 0.0
        evening_downgrade = scenario == "auto" and 19 <= hour < 23 and u_evening < 0.25

        # Codeword counters grow by the time since the last reading: about one
        # corrected codeword per channel and 20 s; uncorrectables are rare (a
        # 2 % chance per SC-QAM channel and poll, 1 % for OFDM).  Bad nights
        # multiply the corrected codewords and the chance of uncorrectables,
        # but keep their rate well under 1 %: the reference grades a bad night
        # "marginal", from levels and modulation, not "critical" from errors.
        last = self._last
        minutes = 5.0 if last is None else max(0.0, (when - last).total_seconds() / 60)
        self._last = when
        factor = 20.0 if bad else 1.0
        growth = 6.0 * minutes * factor
        chance = min(1.0, 0.02 * factor)
        corrected, uncorrected = self._corrected, self._uncorrected

        # Levels are worked out in tenths of a dB: floor(x + 0.5) / 10 is the
        # float round(x / 10, 1) gives (exact ties aside), at a fraction of
        # its cost.  The jitter
        # is +-0.3 dB on power and +-0.5 dB on SNR, as in the reference.
        rand = self._rng.random
        floor = math.floor
        power_shift = (drift + bad_power) * 10 - 3 + 0.5
        snr_shift = (-drift / 2 - bad_snr) * 10 - 5 + 0.5
        ds_modulations = _DS_MODULATION_BAD if bad else _DS_MODULATION_GOOD
        downstream: list[Channel] = []
        append = downstream.append
        for i in range(24):
            corrected[i] += rand() * growth
            if rand() < chance:
                uncorrected[i] += 1 + int(rand() * 3)
            power = floor(_DS_POWER_10[i] + power_shift + 6 * rand()) / 10
            snr = floor(_DS_SNR_10[i] + snr_shift + 10 * rand()) / 10
            if _FAST_CHANNEL:
                # _channel() inlined: this loop builds most of the channels.
                new = _ChannelSlots()
                new.direction = _DOWN
                new.family = _SC_QAM
                new.channel_id = i + 1
                new.frequency_hz = _DS_FREQ_HZ[i]
                new.frequency_end_hz = None
                new.power_dbmv = power
                new.snr_db = snr
                new.modulation = ds_modulations[i]
                new.corrected = int(corrected[i])
                new.uncorrected = uncorrected[i]
                new.locked = True
                new.symbol_rate_ksym = None
                new.__class__ = Channel  # type: ignore[assignment]
                append(new)  # type: ignore[arg-type]
            else:
                append(
                    _channel(
                        _DOWN,
                        _SC_QAM,
                        i + 1,
                        _DS_FREQ_HZ[i],
                        None,
                        power,
                        snr,
                        ds_modulations[i],
                        int(corrected[i]),
                        uncorrected[i],
                        True,
                        None,
                    )
                )
        corrected[24] += rand() * growth
        if rand() < chance / 2:
            uncorrected[24] += 1 + int(rand() * 3)
        append(
            _channel(
                _DOWN,
                _OFDM,
                33,
                134_975_000,
                324_975_000,
                floor(_OFDM_POWER * 10 + power_shift + 6 * rand()) / 10,
                floor(_OFDM_SNR * 10 + snr_shift + 10 * rand()) / 10,
                "1024QAM" if bad else "4096QAM",
                int(corrected[24]),
                uncorrected[24],
                True,
                None,
            )
        )

        us_shift = drift / 2 * 10 - 3 + 0.5
        us_modulations = _US_MODULATION_BAD if bad or evening_downgrade else _US_MODULATION_GOOD
        upstream = [
            _channel(
                _UP,
                _SC_QAM,
                i + 1,
                _US_FREQ_HZ[i],
                None,
                floor(_US_POWER_10[i] + us_shift + 6 * rand()) / 10,
                None,
                us_modulations[i],
                None,
                None,
                True,
                5120,
            )
            for i in range(4)
        ]
        profile = OFDMA_BAD_PROFILE if bad else OFDMA_PROFILE_BY_HOUR[hour]
        upstream.append(
            _channel(
                _UP,
                _OFDMA,
                5,
                18 * MHZ,
                44 * MHZ,
                floor(_OFDMA_POWER_10[profile] - 3 + 0.5 + 6 * rand()) / 10,
                None,
                _OFDMA_LABEL[profile],
                None,
                None,
                True,
                None,
            )
        )

        device = DeviceInfo(
            manufacturer="DOCSight",
            model="Demo Router",
            firmware=self.firmware,
            uptime_seconds=epoch % UPTIME_PERIOD,
            serial=f"DEMO{self.seed % 100000:05d}",
            wan_ipv4=self.wan_ipv4,
            docsis_version="3.1",
            downstream_kbps=250_000,
            upstream_kbps=40_000,
        )
        lost = self.lost_channels
        if lost:
            downstream = [c for c in downstream if (c.direction, c.channel_id) not in lost]
            upstream = [c for c in upstream if (c.direction, c.channel_id) not in lost]
        return Reading(
            read_at=read_at,
            device=device,
            downstream=tuple(downstream),
            upstream=tuple(upstream),
        )
