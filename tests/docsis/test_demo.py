"""The demo modem (docs/external-sources.md section 5) and the driver registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from custom_components.docsight.docsis.analyzer import LineHealth, analyze
from custom_components.docsight.docsis.drivers import (
    MODEM_TYPES,
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemError,
    ModemLockedError,
    ModemParseError,
    UnsupportedModemError,
    create_driver,
    demo as demo_module,
)
from custom_components.docsight.docsis.drivers.demo import (
    OFDMA_PROFILE_BY_HOUR,
    UPTIME_PERIOD,
    DemoModem,
    is_bad_period,
    ofdma_profile,
    slot_uniforms,
)
from custom_components.docsight.docsis.events import EventType, Severity, detect
from custom_components.docsight.docsis.model import Channel, Direction, Family, Reading

# 10 January is day 10 of the year, so its 02-08 h are a bad night.
BAD_NIGHT = datetime(2026, 1, 10, 4, 0, tzinfo=UTC)
NOON = datetime(2026, 1, 11, 12, 0, tzinfo=UTC)
OFDMA_OFFSET = {1024: 0.0, 512: -1.6, 256: -3.4, 128: -5.2}
BERLIN = ZoneInfo("Europe/Berlin")


def _modem(seed: int = 1, scenario: str = "auto") -> DemoModem:
    modem = DemoModem(DriverConfig(seed=seed))
    modem.scenario = scenario  # type: ignore[assignment]
    return modem


def _times(start: datetime, count: int, step: timedelta = timedelta(minutes=5)) -> list[datetime]:
    return [start + i * step for i in range(count)]


def _modulations(reading: Reading) -> tuple[dict[int, str | None], dict[int, str | None]]:
    return (
        {ch.channel_id: ch.modulation for ch in reading.downstream},
        {ch.channel_id: ch.modulation for ch in reading.upstream},
    )


def test_same_seed_and_times_give_the_same_readings() -> None:
    times = _times(BAD_NIGHT - timedelta(hours=3), 60)
    first = [_modem(42).read(when) for when in times]
    second = [_modem(42).read(when) for when in times]
    assert first == second
    other = [_modem(43).read(when) for when in times]
    assert other != first


def test_seed_comes_from_the_config_or_is_random() -> None:
    assert _modem(42).seed == 42
    assert _modem(42).read(NOON).device.serial == "DEMO00042"
    unseeded = DemoModem()
    assert isinstance(unseeded.seed, int)
    assert unseeded.read(NOON).has_docsis_data


def test_channel_plan() -> None:
    reading = _modem().read(NOON)
    down, up = reading.downstream, reading.upstream

    assert [ch.channel_id for ch in down] == [*range(1, 25), 33]
    assert {ch.direction for ch in down} == {Direction.DOWNSTREAM}
    assert [ch.family for ch in down] == [Family.SC_QAM] * 24 + [Family.OFDM]
    scqam = down[:24]
    frequencies = [ch.frequency_hz for ch in scqam]
    assert frequencies[0] == 114_000_000
    assert frequencies[-1] == 738_000_000
    assert frequencies == sorted(set(frequencies))  # ascending, no duplicates
    assert all(ch.frequency_end_hz is None for ch in scqam)
    assert {ch.modulation for ch in scqam} == {"256QAM"}
    assert all(3.0 <= ch.power_dbmv <= 8.0 for ch in scqam)  # type: ignore[operator]
    assert all(34.0 <= ch.snr_db <= 39.5 for ch in scqam)  # type: ignore[operator]
    ofdm = down[24]
    assert (ofdm.channel_id, ofdm.frequency_hz, ofdm.frequency_end_hz) == (
        33,
        134_975_000,
        324_975_000,
    )
    assert ofdm.modulation == "4096QAM"

    assert [ch.channel_id for ch in up] == [1, 2, 3, 4, 5]
    assert {ch.direction for ch in up} == {Direction.UPSTREAM}
    assert [ch.family for ch in up] == [Family.SC_QAM] * 4 + [Family.OFDMA]
    assert [ch.modulation for ch in up[:4]] == ["64QAM"] * 4
    assert all(ch.symbol_rate_ksym == 5120 for ch in up[:4])
    assert all(ch.snr_db is None and ch.corrected is None for ch in up)
    ofdma = up[4]
    assert (ofdma.channel_id, ofdma.frequency_hz, ofdma.frequency_end_hz) == (
        5,
        18_000_000,
        44_000_000,
    )
    assert all(ch.locked for ch in (*down, *up))


def test_device_info_and_uptime_rule() -> None:
    modem = _modem(7)
    for when in (NOON, BAD_NIGHT, datetime(2030, 6, 1, 23, 59, 59, tzinfo=UTC)):
        device = modem.read(when).device
        assert device.uptime_seconds == int(when.timestamp()) % UPTIME_PERIOD
    device = modem.read(NOON).device
    assert UPTIME_PERIOD == 8_640_000
    assert (device.manufacturer, device.model, device.firmware) == (
        "DOCSight",
        "Demo Router",
        "Demo v2.0",
    )
    assert (device.downstream_kbps, device.upstream_kbps) == (250_000, 40_000)
    assert device.docsis_version == "3.1"
    assert device.wan_ipv4 == "198.51.100.23"


def test_counters_rise_monotonically() -> None:
    modem = _modem(3)
    readings = [modem.read(when) for when in _times(BAD_NIGHT - timedelta(hours=6), 150)]
    for before, after in pairwise(readings):
        for old, new in zip(before.downstream, after.downstream, strict=True):
            assert new.corrected >= old.corrected  # type: ignore[operator]
            assert new.uncorrected >= old.uncorrected  # type: ignore[operator]
        assert sum(ch.corrected for ch in after.downstream) > sum(  # type: ignore[misc]
            ch.corrected for ch in before.downstream
        )
    # Over a bad night some uncorrectables appear.
    assert sum(ch.uncorrected for ch in readings[-1].downstream) > 0  # type: ignore[misc]


def test_counters_do_not_fall_when_time_goes_backwards() -> None:
    modem = _modem(3)
    later = modem.read(NOON)
    earlier = modem.read(NOON - timedelta(hours=1))
    for old, new in zip(later.downstream, earlier.downstream, strict=True):
        assert new.corrected >= old.corrected  # type: ignore[operator]


def test_naive_times_are_utc() -> None:
    naive = _modem(5).read(NOON.replace(tzinfo=None))
    assert naive.read_at == NOON
    assert naive == _modem(5).read(NOON)


def test_read_at_is_utc() -> None:
    local = NOON.astimezone(datetime.now().astimezone().tzinfo)
    assert _modem().read(local).read_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("when", "bad"),
    [
        (datetime(2026, 1, 10, 1, 59), False),
        (datetime(2026, 1, 10, 2, 0), True),
        (datetime(2026, 1, 10, 7, 59), True),
        (datetime(2026, 1, 10, 8, 0), False),
        (datetime(2026, 1, 11, 4, 0), False),
        (datetime(2026, 1, 20, 4, 0), True),
    ],
)
def test_bad_period_is_02_to_08_every_tenth_day(when: datetime, bad: bool) -> None:
    assert is_bad_period(when) is bad


def test_bad_scenario_degrades_the_line() -> None:
    reading = _modem(scenario="bad").read(NOON)
    down, up = _modulations(reading)
    assert [down[i] for i in range(1, 19)] == ["256QAM"] * 18
    assert [down[i] for i in range(19, 25)] == ["64QAM"] * 6
    assert down[33] == "1024QAM"
    assert [up[i] for i in (1, 2, 3, 4)] == ["64QAM", "64QAM", "16QAM", "16QAM"]
    assert up[5] == "128QAM"
    assert reading.upstream[4].power_dbmv == pytest.approx(46.0 - 5.2, abs=0.36)

    result = analyze(reading)
    assert result.summary.health is not LineHealth.GOOD
    assert "us_modulation_marginal" in result.summary.issues


def test_bad_night_in_auto_mode_matches_the_bad_scenario_plan() -> None:
    auto = _modem(scenario="auto").read(BAD_NIGHT)
    bad = _modem(scenario="bad").read(BAD_NIGHT)
    assert _modulations(auto) == _modulations(bad)
    assert analyze(auto).summary.health is not LineHealth.GOOD


def test_going_bad_raises_downgrade_events() -> None:
    modem = _modem(11)
    good = analyze(modem.read(BAD_NIGHT - timedelta(hours=3)))  # 01:00, not yet bad
    bad = analyze(modem.read(BAD_NIGHT), baseline=good.baseline)
    assert bad.summary.ds_power_avg > good.summary.ds_power_avg  # type: ignore[operator]
    assert bad.summary.ds_snr_min < good.summary.ds_snr_min  # type: ignore[operator]
    _, state = detect(None, good)
    events, _ = detect(state, bad)
    downgrades = [
        event
        for event in events
        if event.event_type is EventType.MODULATION_CHANGE
        and event.details["direction"] == "downgrade"
    ]
    assert len(downgrades) == 1
    changed = {(c["direction"], c["channel_id"]) for c in downgrades[0].details["changes"]}
    expected = {("downstream", i) for i in (*range(19, 25), 33)} | {
        ("upstream", 3),
        ("upstream", 4),
    }
    assert expected <= changed
    assert downgrades[0].severity is Severity.WARNING


def test_good_scenario_on_a_bad_night_is_good() -> None:
    reading = _modem(scenario="good").read(BAD_NIGHT)
    down, up = _modulations(reading)
    assert set(down.values()) == {"256QAM", "4096QAM"}
    assert [up[i] for i in (1, 2, 3, 4)] == ["64QAM"] * 4
    assert up[5] == "1024QAM"
    result = analyze(reading)
    assert result.summary.issues == ()
    assert result.summary.health is LineHealth.GOOD


def test_good_scenario_has_no_downgrades_at_any_hour() -> None:
    """Only the OFDMA profile's daily rhythm (and its power offset) moves in the good scenario."""
    modem = _modem(scenario="good")
    for when in _times(BAD_NIGHT - timedelta(hours=4), 96, timedelta(minutes=15)):
        down, up = _modulations(modem.read(when))
        assert set(down.values()) == {"256QAM", "4096QAM"}
        assert [up[i] for i in (1, 2, 3, 4)] == ["64QAM"] * 4


@pytest.mark.parametrize("zone", [UTC, BERLIN])
def test_ofdma_profile_follows_the_local_day_with_power_offsets(zone: ZoneInfo) -> None:
    """00-17 h 1024QAM, 17-19 h 512QAM, 19-23 h 256QAM, 23-24 h 512QAM, at 46.0 dBmV + offset."""
    expected = dict.fromkeys(range(17), 1024) | {17: 512, 18: 512, 23: 512}
    expected |= dict.fromkeys(range(19, 23), 256)
    assert dict(enumerate(OFDMA_PROFILE_BY_HOUR)) == expected
    modem = _modem(scenario="good")
    for day in (11, 12):  # two ordinary days, the same rhythm
        for hour in range(24):
            for minute in (0, 59):
                when = datetime(2026, 1, day, hour, minute, tzinfo=zone)
                ofdma = modem.read(when).upstream[4]
                profile = expected[hour]
                assert ofdma.modulation == f"{profile}QAM"
                assert ofdma_profile(when) == profile
                assert ofdma.power_dbmv == pytest.approx(46.0 + OFDMA_OFFSET[profile], abs=0.36)


def test_ofdma_profile_on_a_bad_night_is_128qam() -> None:
    assert ofdma_profile(BAD_NIGHT, bad=True) == 128
    ofdma = _modem().read(BAD_NIGHT).upstream[4]
    assert ofdma.modulation == "128QAM"
    assert ofdma.power_dbmv == pytest.approx(46.0 - 5.2, abs=0.36)
    # The morning after, the daily rhythm is back.
    assert _modem().read(BAD_NIGHT + timedelta(hours=5)).upstream[4].modulation == "1024QAM"


def test_good_line_changes_health_only_for_the_evening() -> None:
    """The daily rhythm costs two health changes a day, not one an hour.

    The 256QAM evening profile sits 3.4 dB lower, a tolerated OFDMA level;
    the other hours are good.
    """
    modem = _modem(8, scenario="good")
    state = None
    changes = []
    for when in _times(datetime(2026, 1, 11, 0, 0, tzinfo=BERLIN), 96 * 3, timedelta(minutes=15)):
        events, state = detect(state, analyze(modem.read(when)))
        changes += [
            (when.astimezone(BERLIN).hour, event.details["current"])
            for event in events
            if event.event_type is EventType.HEALTH_CHANGE
        ]
    assert changes == [(19, "tolerated"), (23, "good")] * 3


def test_evening_upstream_downgrades_in_auto_mode_only() -> None:
    auto, good = _modem(5), _modem(5, scenario="good")
    evenings = [
        when
        for day in range(11, 15)
        for when in _times(datetime(2026, 1, day, 19, 0, tzinfo=UTC), 16, timedelta(minutes=15))
    ]
    downgraded = 0
    for when in evenings:
        down, up = _modulations(auto.read(when))
        assert set(down.values()) == {"256QAM", "4096QAM"}
        assert up[1] == up[2] == "64QAM"
        assert up[3] == up[4]
        downgraded += up[3] == "16QAM"
        assert _modulations(good.read(when))[1][3] == "64QAM"
    # About a quarter of the evening slots (64 here) are downgraded.
    assert 4 <= downgraded <= 40
    # Never at noon.
    for when in _times(NOON, 16, timedelta(minutes=15)):
        assert _modulations(auto.read(when))[1][3] == "64QAM"


def test_slot_uniforms_depend_only_on_seed_and_slot() -> None:
    first = slot_uniforms(1, 100)
    assert first == slot_uniforms(1, 100)
    assert first not in (slot_uniforms(1, 101), slot_uniforms(2, 100))
    assert all(0.0 <= value < 1.0 for value in (*first, *slot_uniforms(-5, -3)))
    values = [value for slot in range(3000) for value in slot_uniforms(7, slot)]
    assert 0.48 < sum(values) / len(values) < 0.52
    assert 0.23 < sum(value < 0.25 for value in values) / len(values) < 0.27


def test_fast_channels_equal_the_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo builds its channels through a slot twin; they are ordinary Channels."""
    assert demo_module._FAST_CHANNEL
    fast = _modem(4).read(BAD_NIGHT)
    monkeypatch.setattr(demo_module, "_FAST_CHANNEL", False)
    slow = _modem(4).read(BAD_NIGHT)
    assert fast == slow
    for built, constructed in zip(
        (*fast.downstream, *fast.upstream), (*slow.downstream, *slow.upstream), strict=True
    ):
        assert type(built) is Channel
        assert hash(built) == hash(constructed)
        assert repr(built) == repr(constructed)
    with pytest.raises(AttributeError):
        fast.downstream[0].power_dbmv = 1.0  # type: ignore[misc]


def test_fast_channels_fall_back_when_channel_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert demo_module._fast_channel_works()
    monkeypatch.setattr(demo_module, "_CHANNEL_FIELDS", ("direction",))
    assert not demo_module._fast_channel_works()
    monkeypatch.undo()

    class Wider:  # a layout __class__ assignment refuses
        __slots__ = (*demo_module._CHANNEL_FIELDS, "extra")

    monkeypatch.setattr(demo_module, "_ChannelSlots", Wider)
    assert not demo_module._fast_channel_works()


def test_slot_decisions_do_not_depend_on_polling_history() -> None:
    when = datetime(2026, 1, 12, 20, 0, tzinfo=UTC)
    fresh = _modem(9).read(when)
    busy = _modem(9)
    for earlier in _times(when - timedelta(hours=2), 20):
        busy.read(earlier)
    assert _modulations(busy.read(when)) == _modulations(fresh)


async def test_async_fetch_reads_now() -> None:
    modem = DemoModem(DriverConfig(seed=1))
    before = datetime.now(UTC)
    reading = await modem.async_fetch()
    await modem.async_close()
    assert before - timedelta(seconds=1) <= reading.read_at <= datetime.now(UTC)
    assert reading.read_at.tzinfo is UTC
    assert (len(reading.downstream), len(reading.upstream)) == (25, 5)


def test_registry_creates_the_demo_modem() -> None:
    demo = MODEM_TYPES["demo"]
    assert (demo.name, demo.manufacturer, demo.needs_url, demo.poll_interval) == (
        "Demo modem",
        "DOCSight",
        False,
        300,
    )
    driver = create_driver("demo", DriverConfig(seed=4))
    assert isinstance(driver, DemoModem)
    assert driver.seed == 4
    with pytest.raises(KeyError):
        create_driver("no-such-modem", DriverConfig())


@pytest.mark.parametrize(
    "error",
    [
        ModemConnectionError,
        ModemAuthError,
        ModemLockedError,
        ModemParseError,
        UnsupportedModemError,
    ],
)
def test_driver_errors_share_a_base(error: type[ModemError]) -> None:
    assert issubclass(error, ModemError)


async def test_offline_scenario_fails_like_an_unplugged_modem() -> None:
    modem = _modem(scenario="offline")
    with pytest.raises(ModemConnectionError, match="offline"):
        await modem.async_fetch()


def test_lost_channels_are_not_reported() -> None:
    modem = _modem()
    modem.lost_channels = frozenset({(Direction.DOWNSTREAM, 24), (Direction.UPSTREAM, 5)})
    reading = modem.read(NOON)
    assert [ch.channel_id for ch in reading.downstream] == [*range(1, 24), 33]
    assert [ch.channel_id for ch in reading.upstream] == [1, 2, 3, 4]
    modem.lost_channels = frozenset()
    assert len(modem.read(NOON + timedelta(minutes=5)).downstream) == 25
