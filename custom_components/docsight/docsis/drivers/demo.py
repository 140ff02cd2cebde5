"""The built-in demo modem: a believable cable line without hardware.

The line is a function of time, so that a live poll and (later) seeded history
tell the same story: a diurnal and a seasonal drift, a bad night every tenth
day (02-08 h: levels up, SNR down, QAM downgrades), evening upstream
downgrades, an OFDMA profile that cycles hourly, and slowly rising codeword
counters.  Slot-level decisions (is this a bad night, is this evening slot
downgraded) come from a random generator seeded by the slot, so they are the
same on every poll within the slot and across runs; only the small per-poll
jitter comes from the instance's own generator.
"""

from __future__ import annotations

from datetime import UTC, datetime
import math
import random
from typing import Literal

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
_OFDMA_CYCLE = (256, 128, 256, 512, 1024, 512, 256, 128)
_OFDMA_OFFSET = {1024: 0.0, 512: -1.6, 256: -3.4, 128: -5.2}


def _slot_random(seed: int, when: datetime, salt: str) -> random.Random:
    slot = int(when.timestamp()) // SLOT_SECONDS
    return random.Random(f"{seed}:{salt}:{slot}")


def is_bad_period(when: datetime) -> bool:
    """Return whether ``when`` (modem-local time) falls in a bad night."""
    return when.timetuple().tm_yday % 10 == 0 and 2 <= when.hour < 8


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
        """Return the reading at ``when`` (timezone-aware; its hour drives the day cycle)."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        bad = self.scenario == "bad" or (self.scenario == "auto" and is_bad_period(when))
        hour = when.hour + when.minute / 60
        drift = 0.5 * math.sin((hour - 6) * math.pi / 12) + 0.3 * math.sin(
            when.timetuple().tm_yday * math.pi / 45
        )
        slot_rng = _slot_random(self.seed, when, "slot")
        bad_power = slot_rng.uniform(1.5, 3.0) if bad else 0.0
        bad_snr = slot_rng.uniform(2.0, 5.0) if bad else 0.0
        evening_downgrade = (
            self.scenario == "auto" and 19 <= when.hour < 23 and slot_rng.random() < 0.25
        )
        self._advance_counters(when, bad)

        jitter = self._rng.uniform
        downstream = [
            Channel(
                direction=Direction.DOWNSTREAM,
                family=Family.SC_QAM,
                channel_id=i + 1,
                frequency_hz=_DS_FREQS_MHZ[i] * MHZ,
                power_dbmv=round(_DS_POWER[i] + drift + bad_power + jitter(-0.3, 0.3), 1),
                snr_db=round(_DS_SNR[i] - drift / 2 - bad_snr + jitter(-0.5, 0.5), 1),
                modulation="64QAM" if bad and i + 1 >= 19 else "256QAM",
                corrected=int(self._corrected[i]),
                uncorrected=self._uncorrected[i],
                locked=True,
            )
            for i in range(24)
        ]
        downstream.append(
            Channel(
                direction=Direction.DOWNSTREAM,
                family=Family.OFDM,
                channel_id=33,
                frequency_hz=134_975_000,
                frequency_end_hz=324_975_000,
                power_dbmv=round(4.0 + drift + bad_power + jitter(-0.3, 0.3), 1),
                snr_db=round(38.5 - drift / 2 - bad_snr + jitter(-0.5, 0.5), 1),
                modulation="1024QAM" if bad else "4096QAM",
                corrected=int(self._corrected[24]),
                uncorrected=self._uncorrected[24],
                locked=True,
            )
        )

        upstream = [
            Channel(
                direction=Direction.UPSTREAM,
                family=Family.SC_QAM,
                channel_id=i + 1,
                frequency_hz=int(_US_FREQS_MHZ[i] * MHZ),
                power_dbmv=round(_US_POWER[i] + drift / 2 + jitter(-0.3, 0.3), 1),
                modulation="16QAM" if (bad or evening_downgrade) and i >= 2 else "64QAM",
                locked=True,
                symbol_rate_ksym=5120,
            )
            for i in range(4)
        ]
        profile = _OFDMA_CYCLE[(int(when.timestamp()) // 3600) % len(_OFDMA_CYCLE)]
        upstream.append(
            Channel(
                direction=Direction.UPSTREAM,
                family=Family.OFDMA,
                channel_id=5,
                frequency_hz=18 * MHZ,
                frequency_end_hz=44 * MHZ,
                power_dbmv=round(45.0 + _OFDMA_OFFSET[profile] + jitter(-0.3, 0.3), 1),
                modulation=f"{profile}QAM",
                locked=True,
            )
        )

        epoch = int(when.timestamp())
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
        return Reading(
            read_at=when.astimezone(UTC),
            device=device,
            downstream=tuple(c for c in downstream if (c.direction, c.channel_id) not in lost),
            upstream=tuple(c for c in upstream if (c.direction, c.channel_id) not in lost),
        )

    def _advance_counters(self, when: datetime, bad: bool) -> None:
        """Grow the codeword counters by the time since the last reading.

        About one corrected codeword per channel and 20 s; uncorrectables are
        rare (a 2 % chance per channel and poll).  Bad nights multiply the
        corrected codewords and the chance of uncorrectables, but keep their
        rate well under 1 %: the reference grades a bad night "marginal", from
        levels and modulation, not "critical" from errors.
        """
        minutes = 5.0 if self._last is None else max(0.0, (when - self._last).total_seconds() / 60)
        self._last = when
        factor = 20.0 if bad else 1.0
        rng = self._rng
        for i in range(25):
            self._corrected[i] += rng.uniform(0, 6) * minutes * factor
            chance = 0.01 if i == 24 else 0.02
            if rng.random() < min(1.0, chance * factor):
                self._uncorrected[i] += rng.randint(1, 3)
