"""The JSON form of readings and analyses, and the command line built on it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
import json
from pathlib import Path
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.docsight.docsis import cli
from custom_components.docsight.docsis.analyzer import analyze
from custom_components.docsight.docsis.drivers import (
    DriverConfig,
    ModemConnectionError,
    ModemDriver,
    ModemType,
)
from custom_components.docsight.docsis.drivers.demo import DemoModem
from custom_components.docsight.docsis.events import Event, EventType, Severity
from custom_components.docsight.docsis.model import DeviceInfo, Family, Reading
from custom_components.docsight.docsis.serialize import (
    FORMAT,
    analysis_to_json,
    event_to_json,
    iso_z,
    parse_time,
    reading_from_json,
)
from custom_components.docsight.docsis.storage import HistoryStore

from .factories import T0, analysis, ds, us

if TYPE_CHECKING:
    from custom_components.docsight.docsis.analyzer import Analysis

ROOT = Path(__file__).resolve().parents[2]
BAD_NIGHT = datetime(2026, 1, 10, 4, 0, tzinfo=UTC)
CHANNEL_KEYS = {
    "channel_id",
    "family",
    "frequency_hz",
    "power_dbmv",
    "snr_db",
    "modulation",
    "corrected",
    "uncorrected",
    "locked",
    "health",
}


def _demo_analysis(seed: int = 1, when: datetime = BAD_NIGHT) -> Analysis:
    modem = DemoModem(DriverConfig(seed=seed))
    return analyze(modem.read(when))


def test_analysis_to_json_has_the_documented_keys() -> None:
    data = analysis_to_json(_demo_analysis(), modem="demo")
    assert data["format"] == FORMAT == "docsight.reading/1"
    assert data["read_at"] == "2026-01-10T04:00:00Z"
    assert data["profile"] == "docsight.thresholds_vfkd"
    assert data["modem"] == "demo"
    assert data["device"]["model"] == "Demo Router"
    assert data["device"]["uptime_seconds"] == int(BAD_NIGHT.timestamp()) % 8_640_000

    first = data["downstream"][0]
    assert first.keys() >= CHANNEL_KEYS
    assert first["channel_id"] == 1
    assert first["family"] == "sc_qam"
    assert first["frequency_hz"] == 114_000_000
    assert isinstance(first["power_dbmv"], float)
    assert first["locked"] is True
    assert first["health"] in {"good", "tolerated", "warning", "critical"}
    ofdm = data["downstream"][-1]
    assert ofdm["family"] == "ofdm"
    assert ofdm["frequency_hz"] == [134_975_000, 324_975_000]
    assert ofdm["modulation"] == "1024QAM"
    upstream = data["upstream"]
    assert [ch["channel_id"] for ch in upstream] == [1, 2, 3, 4, 5]
    assert upstream[0]["snr_db"] is None
    assert upstream[0]["corrected"] is None
    assert upstream[3]["modulation"] == "16QAM"
    assert upstream[3]["health"] == "warning"
    assert upstream[3]["health_detail"] == "modulation warning"
    assert upstream[4]["frequency_hz"] == [18_000_000, 44_000_000]

    summary = data["summary"]
    assert summary["health"] == "marginal"
    assert isinstance(summary["issues"], list)
    assert "us_modulation_marginal" in summary["issues"]
    assert summary["ds_total"] == 25
    assert summary["us_total"] == 5
    assert [(f["direction"], f["family"]) for f in summary["families"]] == [
        ("downstream", "sc_qam"),
        ("downstream", "ofdm"),
        ("upstream", "sc_qam"),
        ("upstream", "ofdma"),
    ]
    assert isinstance(summary["families"][0]["modulations"], list)
    # Plain JSON all the way down.
    assert json.loads(json.dumps(data)) == data


def test_modem_key_only_when_given() -> None:
    assert "modem" not in analysis_to_json(analysis([ds(1)]))


def test_channel_without_frequency_or_values() -> None:
    data = analysis_to_json(analysis([ds(1, power=None, snr=None, modulation=None)]))
    channel = data["downstream"][0]
    assert channel["frequency_hz"] is None
    assert channel["power_dbmv"] is None
    assert channel["power_health"] is None
    assert channel["modulation_health"] == "good"


@pytest.mark.parametrize("when", [BAD_NIGHT, BAD_NIGHT + timedelta(hours=10)])
def test_round_trip_re_analyses_to_the_same_summary(when: datetime) -> None:
    original = _demo_analysis(seed=2, when=when)
    data = json.loads(json.dumps(analysis_to_json(original)))
    rebuilt = reading_from_json(data)
    assert rebuilt == original.reading
    assert analyze(rebuilt).summary == original.summary


def test_round_trip_keeps_per_channel_symbol_rates() -> None:
    """A per-channel symbol rate changes the capacity, so the JSON form must carry it."""
    original = analysis(
        [ds(1, modulation="256QAM", symbol_rate_ksym=5361.0, frequency_hz=570_000_000)],
        [
            us(1, symbol_rate_ksym=2560.0),
            us(2, family=Family.OFDMA, frequency_hz=5_000_000, frequency_end_hz=42_000_000),
        ],
        device=DeviceInfo(model="X", wan_ipv6="2001:db8::1"),
    )
    rebuilt = reading_from_json(json.loads(json.dumps(analysis_to_json(original))))
    assert rebuilt == original.reading
    assert analyze(rebuilt).summary == original.summary
    assert analyze(rebuilt).summary.ds_capacity_mbps == 42.9


def test_reading_from_json_fills_gaps_and_normalises() -> None:
    before = datetime.now(UTC)
    parsed = reading_from_json(
        {
            "device": {"model": "M", "unknown_key": 1},
            "downstream": [{"channel_id": "3", "modulation": "qam256", "power_dbmv": 4}],
            "upstream": [{"channel_id": 1, "snr_db": 30.0, "frequency_hz": 51_000_000.0}],
        }
    )
    assert parsed.read_at >= before
    assert parsed.device == DeviceInfo(model="M")
    down, up = parsed.downstream[0], parsed.upstream[0]
    assert (down.channel_id, down.family, down.modulation, down.power_dbmv) == (
        3,
        Family.SC_QAM,
        "256QAM",
        4.0,
    )
    assert isinstance(down.power_dbmv, float)
    assert up.snr_db is None  # upstream channels have no SNR
    assert up.frequency_hz == 51_000_000
    assert reading_from_json({"downstream": [], "upstream": [], "device": None}).device == (
        DeviceInfo()
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([1, 2], "'downstream' and 'upstream' lists are required"),
        ({"downstream": []}, "'downstream' and 'upstream' lists are required"),
        ({"downstream": [{"power_dbmv": 1.0}], "upstream": []}, "missing key 'channel_id'"),
        ({"downstream": 5, "upstream": []}, "not a DOCSight reading"),
        ({"downstream": ["x"], "upstream": []}, "not a DOCSight reading"),
        ({"downstream": [{"channel_id": 1, "family": "fm"}], "upstream": []}, "'fm'"),
        ({"downstream": [], "upstream": [], "read_at": "yesterday"}, "not a DOCSight reading"),
        ({"downstream": [], "upstream": [], "device": ["x"]}, "not a DOCSight reading"),
    ],
)
def test_reading_from_json_rejects_what_is_not_a_reading(raw: Any, message: str) -> None:
    with pytest.raises(ValueError, match="not a DOCSight reading") as info:
        reading_from_json(raw)
    assert message in str(info.value)


def test_times() -> None:
    assert iso_z(datetime(2026, 1, 10, 5, 0, tzinfo=timezone(timedelta(hours=1)))) == (
        "2026-01-10T04:00:00Z"
    )
    assert parse_time("2026-01-10T04:00:00Z") == BAD_NIGHT
    assert parse_time("2026-01-10T04:00:00") == BAD_NIGHT
    assert parse_time("2026-01-10T05:00:00+01:00") == BAD_NIGHT


def test_event_to_json() -> None:
    event = Event(T0, EventType.ERROR_SPIKE, Severity.WARNING, "jump", {"delta": 1001})
    assert event_to_json(event) == {
        "timestamp": "2026-03-15T12:00:00Z",
        "event_type": "error_spike",
        "severity": "warning",
        "message": "jump",
        "details": {"delta": 1001},
    }
    assert Event(T0, EventType.DEVICE_REBOOT, Severity.INFO, "x").details == {}


# ---------------------------------------------------------------------------
# Command line.


def _main(argv: Sequence[str]) -> int:
    """Run the command line as a user would, keeping the test's event loop.

    ``cli.main`` runs ``asyncio.run``, which leaves the thread without an event
    loop when it finishes; the Home Assistant test plugin's fixtures expect the
    loop they set up to still be there for the next test.
    """
    loop = asyncio.get_event_loop()
    try:
        return cli.main(argv)
    finally:
        asyncio.set_event_loop(loop)


def _json_out(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    out = capsys.readouterr().out
    return json.loads(out)  # type: ignore[no-any-return]


def test_cli_poll_demo_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(["poll", "--modem", "demo", "--seed", "1", "--json"]) == 0
    data = _json_out(capsys)
    assert data["modem"] == "demo"
    assert data["device"]["serial"] == "DEMO00001"
    assert len(data["downstream"]) == 25
    assert len(data["upstream"]) == 5
    assert data["summary"]["health"] in {"good", "tolerated", "marginal", "critical"}
    read_at = parse_time(data["read_at"])
    assert abs(read_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_cli_poll_summary_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(["poll", "--modem", "demo", "--seed", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "DOCSight Demo Router"
    assert lines[1].startswith("health: ")
    assert lines[2].startswith("downstream: 25 channels, power ")
    assert lines[3].startswith("upstream: 5 channels, power ")


def test_cli_analyze_a_file_written_by_poll(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "reading.json"
    argv = ["poll", "--modem", "demo", "--seed", "1", "--json", "--output", str(saved)]
    assert _main(argv) == 0
    polled = _json_out(capsys)
    assert json.loads(saved.read_text(encoding="utf-8")) == polled

    assert _main(["analyze", str(saved), "--json"]) == 0
    analysed = _json_out(capsys)
    assert analysed == polled

    assert _main(["analyze", str(saved)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "DOCSight Demo Router"


def test_cli_analyze_text_of_an_empty_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "empty.json"
    saved.write_text('{"downstream": [], "upstream": []}', encoding="utf-8")
    assert _main(["analyze", str(saved)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "",
        "health: good",
        "downstream: 0 channels, power None..None dBmV, SNR min None dB",
        "upstream: 0 channels, power None..None dBmV",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file or directory"),
        ("{not json", "Expecting property name"),
        ('["a", "list"]', "not a DOCSight reading"),
        ('{"downstream": [{}], "upstream": []}', "missing key 'channel_id'"),
    ],
    ids=["missing", "invalid-json", "not-a-reading", "bad-channel"],
)
def test_cli_analyze_errors_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "reading.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert _main(["analyze", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert message in captured.err
    assert captured.err.count("\n") == 1  # one line, no traceback


class _FailingModem(ModemDriver):
    configs: list[DriverConfig] = []  # noqa: RUF012 - shared on purpose, reset per test
    closed = False

    def __init__(self, config: DriverConfig) -> None:
        super().__init__(config)
        _FailingModem.configs.append(config)

    async def async_fetch(self) -> Reading:
        raise ModemConnectionError("modem did not answer")

    async def async_close(self) -> None:
        _FailingModem.closed = True


def _register(monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> None:
    _FailingModem.configs = []
    _FailingModem.closed = False
    monkeypatch.setitem(
        cli.MODEM_TYPES,
        "failing",
        ModemType(
            key="failing",
            name="Failing",
            manufacturer="Test",
            factory=_FailingModem,
            poll_interval=60,
            **kwargs,
        ),
    )


def test_cli_modem_error_exits_2_and_closes_the_driver(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _register(monkeypatch)
    argv = ["poll", "--modem", "failing", "--url", "http://192.0.2.1"]
    assert _main([*argv, "--username", "admin", "--password", "pw"]) == 2
    assert capsys.readouterr().err == "error: ModemConnectionError: modem did not answer\n"
    assert _FailingModem.closed
    (config,) = _FailingModem.configs
    assert (config.url, config.username, config.password, config.seed) == (
        "http://192.0.2.1",
        "admin",
        "pw",
        None,
    )
    assert config.session is not None


def test_cli_uses_the_default_url_or_requires_one(monkeypatch: pytest.MonkeyPatch) -> None:
    _register(monkeypatch)
    with pytest.raises(SystemExit, match="--url is required for modem type failing"):
        _main(["poll", "--modem", "failing"])
    assert _FailingModem.configs == []

    _register(monkeypatch, default_url="http://192.168.100.1")
    assert _main(["poll", "--modem", "failing"]) == 2
    assert _FailingModem.configs[0].url == "http://192.168.100.1"


def test_cli_rejects_unknown_modem_types(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _main(["poll", "--modem", "nonexistent"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_module_entry_point_polls_the_demo_modem() -> None:
    """``python -m custom_components.docsight.docsis`` works from the repository root."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "custom_components.docsight.docsis",
            "poll",
            "--modem",
            "demo",
            "--seed",
            "3",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["modem"] == "demo"
    assert data["device"]["serial"] == "DEMO00003"
    assert [ch["channel_id"] for ch in data["downstream"]] == [*range(1, 25), 33]
    assert data["summary"]["ds_total"] == 25
    assert reading_from_json(data).upstream[4].family is Family.OFDMA


# --- seed-demo ---------------------------------------------------------------------


def test_cli_seed_demo_fills_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    db = tmp_path / "sub" / "history.db"
    assert _main(["seed-demo", "--db", str(db), "--days", "2", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"seeded {db} (Europe/Berlin) in ")
    assert "  snapshots: 192\n" in out
    for table in ("events", "journal_entries", "incidents", "speedtest_results", "bqm_graphs"):
        assert f"  {table}: " in out
    assert "  bnetz_measurements: 9\n" in out
    size = db.stat().st_size
    assert f"  on disk: {size} bytes, {size / 192:.0f} bytes per snapshot" in out

    store = HistoryStore.open(db)
    try:
        assert store.snapshot_count(is_demo=True) == 192
        latest = store.latest_snapshot()
        assert latest is not None
        assert latest.device.serial == "DEMO00004"
        assert datetime.now(UTC) - latest.summary.ts < timedelta(minutes=16)
    finally:
        store.close()

    # Seeding again replaces the demo rows.
    assert _main(["seed-demo", "--db", str(db), "--days", "1", "--time-zone", "UTC"]) == 0
    assert "(UTC)" in capsys.readouterr().out
    store = HistoryStore.open(db)
    try:
        assert store.snapshot_count() == 96
    finally:
        store.close()


def test_cli_seed_demo_finds_the_machines_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TZ", raising=False)
    zone = cli._local_zone(None)
    assert zone.utcoffset(datetime.now()) is not None
    monkeypatch.setenv("TZ", ":Europe/Berlin")
    assert str(cli._local_zone(None)) == "Europe/Berlin"
    monkeypatch.setenv("TZ", "No/Such_Zone")
    assert cli._local_zone(None).utcoffset(datetime.now()) is not None
    assert str(cli._local_zone("America/New_York")) == "America/New_York"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--days", "0"], "must be at least 1"),
        (["--days", "x"], "invalid _positive value"),
    ],
)
def test_cli_seed_demo_rejects_bad_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        _main(["seed-demo", "--db", str(tmp_path / "h.db"), *argv])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_seed_demo_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_a_db = tmp_path / "garbage.db"
    not_a_db.write_bytes(b"this is not a database" * 100)
    assert _main(["seed-demo", "--db", str(not_a_db), "--days", "1"]) == 2
    assert "cannot open history database" in capsys.readouterr().err
    assert _main(["seed-demo", "--db", str(tmp_path / "h.db"), "--time-zone", "No/Zone"]) == 2
    assert "No/Zone" in capsys.readouterr().err


def test_module_entry_point_seeds_demo_history(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    result = subprocess.run(  # noqa: S603 - this interpreter, this module, a temp path
        [
            sys.executable,
            "-m",
            "custom_components.docsight.docsis",
            "seed-demo",
            "--db",
            str(db),
            "--days",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "  snapshots: 96\n" in result.stdout
    assert "bytes per snapshot" in result.stdout
    assert db.stat().st_size > 0


def test_cli_local_zone_fallbacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without TZ: the zone /etc/localtime links to, else its content, else a fixed offset."""
    monkeypatch.delenv("TZ", raising=False)
    copy = tmp_path / "localtime"  # a copy, not a link into a zoneinfo folder
    copy.write_bytes(resources.files("tzdata.zoneinfo").joinpath("Europe", "Berlin").read_bytes())
    monkeypatch.setattr(cli, "LOCALTIME", copy)
    zone = cli._local_zone(None)
    assert str(zone) == "localtime"
    assert zone.utcoffset(datetime(2026, 7, 1)) == timedelta(hours=2)

    copy.unlink()  # nothing to read: the machine's current offset
    fixed = cli._local_zone(None)
    assert fixed.utcoffset(datetime.now()) == datetime.now().astimezone().utcoffset()
