"""The Arris CM3500B parsers against the captured pages and against bad input.

The status page is a real CM3500B capture (solentlabs, see PROVENANCE.md) with a
golden JSON made by that project; the channel values are compared with it.  The
DOCSight captures add a second status page (with an upstream OFDMA row) and a
service-flow page.
"""

from __future__ import annotations

import json

import pytest

from custom_components.docsight.docsis.model import Direction, Family
from custom_components.docsight.docsis.parsers.arris_cm3500 import (
    DEFAULT_MODEL,
    MANUFACTURER,
    OFDM_ID_BASE,
    ServiceFlows,
    StatusPage,
    Versions,
    build_device_info,
    is_login_page,
    parse_service_flows,
    parse_status,
    parse_uptime,
    parse_versions,
    unwrap_rate,
)
from tests.shared_fixtures import read_fixture

MODEM = ("modems", "arris_cm3500b")


def _solent(name: str) -> str:
    return read_fixture(*MODEM, "solentlabs", "cgi-bin", name)


def _docsight(name: str) -> str:
    return read_fixture(*MODEM, "docsight", name)


def _golden() -> dict[str, list[dict[str, object]]]:
    data: dict[str, list[dict[str, object]]] = json.loads(
        read_fixture(*MODEM, "solentlabs-golden", "modem.expected.json")
    )
    return data


def _mod(value: object) -> str:
    text = str(value)
    return text[3:] + "QAM" if text.startswith("QAM") else text


# --- captured pages -------------------------------------------------------------


def test_status_capture_matches_golden_downstream() -> None:
    status = parse_status(_solent("status_cgi.html"))
    golden = _golden()["downstream"]

    assert len(status.downstream) == len(golden) == 26
    qam = [row for row in golden if row["channel_type"] == "qam"]
    ofdm = [row for row in golden if row["channel_type"] == "ofdm"]
    for channel, row in zip(status.downstream[: len(qam)], qam, strict=True):
        assert channel.direction is Direction.DOWNSTREAM
        assert channel.family is Family.SC_QAM
        assert channel.channel_id == row["channel_id"]
        assert channel.frequency_hz == row["frequency"]
        assert channel.power_dbmv == row["power"]
        assert channel.snr_db == row["snr"]
        assert channel.modulation == _mod(row["modulation"])
        assert channel.corrected == row["corrected"]
        assert channel.uncorrected == row["uncorrected"]
        assert channel.locked is None
    for index, (channel, row) in enumerate(zip(status.downstream[len(qam) :], ofdm, strict=True)):
        assert channel.family is Family.OFDM
        assert channel.channel_id == OFDM_ID_BASE + index
        assert channel.frequency_hz == row["frequency"]
        width = row["channel_width"]
        assert isinstance(width, int)
        assert channel.frequency_end_hz is not None
        assert channel.frequency_end_hz - channel.frequency_hz <= width
        assert channel.snr_db == row["snr"]
        assert channel.power_dbmv is None
        assert channel.corrected is None
    assert sum(ch.corrected or 0 for ch in status.downstream) == 66421  # golden total


def test_status_capture_matches_golden_upstream() -> None:
    status = parse_status(_solent("status_cgi.html"))
    golden = _golden()["upstream"]

    assert len(status.upstream) == len(golden) == 5
    for channel, row in zip(status.upstream, golden, strict=True):
        assert channel.direction is Direction.UPSTREAM
        assert channel.channel_id == row["channel_id"]
        assert channel.frequency_hz == row["frequency"]
        assert channel.power_dbmv == row["power"]
        if row["channel_type"] == "atdma":
            assert channel.family is Family.SC_QAM
            assert channel.modulation == _mod(row["modulation"])
            assert channel.symbol_rate_ksym == row["symbol_rate"]
        else:
            assert channel.family is Family.OFDMA
            assert channel.frequency_end_hz == 64_800_000
            assert channel.modulation is None
        assert channel.corrected is None
        assert channel.uncorrected is None


def test_status_capture_device() -> None:
    status = parse_status(_solent("status_cgi.html"))

    assert status.model == "CM3500B"
    assert status.uptime_seconds == 7 * 3600 + 40 * 60  # "0 d:  7 h: 40 m"
    assert status.docsis_version == "3.1"


def test_docsight_status_with_upstream_ofdma() -> None:
    status = parse_status(_docsight("status_cgi.STATUS_HTML_WITH_US_OFDM_ROW.html"))

    assert [ch.channel_id for ch in status.downstream] == [3, 4, 5, 200, 201]
    assert status.downstream[1].corrected == 114_515
    assert status.downstream[3].snr_db == 41.0  # the Data MER, not pilot or PLC
    assert [ch.family for ch in status.upstream] == [Family.SC_QAM] * 3 + [Family.OFDMA]
    assert status.upstream[-1].power_dbmv == 42.25
    assert status.uptime_seconds == 58 * 86400 + 3600 + 30 * 60
    plain = parse_status(_docsight("status_cgi.STATUS_HTML.html"))
    assert plain.downstream == status.downstream
    assert plain.upstream == status.upstream[:3]


def test_service_flows_captures() -> None:
    assert parse_service_flows(_solent("config_params_cgi.html")) == ServiceFlows(273_920, 52_480)
    assert parse_service_flows(_docsight("config_params_cgi.service_flows.html")) == ServiceFlows(
        1_126_400, 52_480
    )


def test_login_page_is_recognised() -> None:
    assert is_login_page(_solent("login_cgi.html"))
    assert not is_login_page(_solent("status_cgi.html"))
    with pytest.raises(ValueError, match="Downstream QAM"):
        parse_status(_solent("login_cgi.html"))


# --- synthetic pages --------------------------------------------------------------


def _table(heading: str, *rows: str) -> str:
    body = "".join(f"<tr>{row}</tr>" for row in rows)
    return f"<h4> {heading} </h4><table><tbody><tr><td></td><td>X</td></tr>{body}</tbody></table>"


def _cells(*values: str) -> str:
    return "".join(f"<td>{value}</td>" for value in values)


DS_ROW = _cells("Downstream 1", "7", "602.00 MHz", "1.0 dBmV", "40.1 dB", "256QAM", "1", "5", "2")


def test_status_minimal_page() -> None:
    status = parse_status(_table("Downstream QAM", DS_ROW))

    assert len(status.downstream) == 1
    assert status.upstream == ()
    assert (status.model, status.uptime_seconds, status.docsis_version) == (None, None, None)


def test_status_placeholders_are_none() -> None:
    row = _cells("Downstream 1", "7", "----", "", "n/a", "", "", "----", "")
    (channel,) = parse_status(_table("Downstream QAM", row)).downstream

    assert channel.frequency_hz is None
    assert channel.power_dbmv is None
    assert channel.snr_db is None
    assert channel.modulation is None
    assert channel.corrected is None
    assert channel.uncorrected is None


def test_status_upstream_ofdma_seven_cells_and_qam_ofdma_type() -> None:
    page = (
        _table("Downstream QAM", DS_ROW)
        + _table(
            "Upstream QAM",
            _cells("Upstream 1", "5", "40 MHz", "44 dBmV", "OFDMA", "", "1024QAM"),
        )
        + _table("Upstream OFDM", _cells("Upstream 3", "2K", "32", "640", "30", "62", "41.5"))
    )
    status = parse_status(page)

    assert status.upstream[0].family is Family.OFDMA
    assert status.upstream[0].symbol_rate_ksym is None
    ofdma = status.upstream[1]
    assert (ofdma.channel_id, ofdma.frequency_hz, ofdma.frequency_end_hz) == (
        3,
        30_000_000,
        62_000_000,
    )
    assert ofdma.power_dbmv == 41.5


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("", "Downstream QAM"),
        ("<html>not a modem</html>", "Downstream QAM"),
        (_table("Downstream QAM", _cells("Downstream 1", "7", "x")), "3 cells"),
        (
            _table("Downstream QAM", _cells("Downstream 1", "", *["1"] * 7)),
            "no DCID",
        ),
        (
            _table("Downstream QAM", _cells("Downstream 1", "7", "abc", *["1"] * 6)),
            "Freq is not a number",
        ),
    ],
)
def test_status_bad_pages(page: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_status(page)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0 d:  7 h: 40 m", 27_600),
        ("1 d: 0 h: 0 m: 5 s", 86_405),
        ("", None),
        (None, None),
        ("unknown", None),
    ],
)
def test_parse_uptime(text: str | None, seconds: int | None) -> None:
    assert parse_uptime(text) == seconds


def test_unwrap_rate() -> None:
    assert unwrap_rate(52_480_000) == 52_480_000
    assert unwrap_rate(-1) == 2**32 - 1
    assert unwrap_rate(3_000_000_000 - 2**32) == 3_000_000_000


def test_service_flows_negative_unwrapped_and_skipped() -> None:
    page = (
        "DownstreamServiceFlow =\n    SfMaxTrafficRate = -1294967296\n"
        "DownstreamServiceFlow =\n    SfTrafficPriority = 4\n"
        "UpstreamServiceFlow =\n    SfMaxTrafficRate = 0\n"
    )
    assert parse_service_flows(page) == ServiceFlows(3_000_000, None)


def test_service_flows_bad_page() -> None:
    with pytest.raises(ValueError, match="no service flows"):
        parse_service_flows("<html>nothing</html>")


def test_build_device_info() -> None:
    empty = build_device_info(None, None)
    assert (empty.manufacturer, empty.model, empty.downstream_kbps) == (
        MANUFACTURER,
        DEFAULT_MODEL,
        None,
    )
    status = StatusPage((), (), "CM3500B-X", 60, "3.1")
    full = build_device_info(status, ServiceFlows(1000, 50))
    assert (full.model, full.uptime_seconds, full.docsis_version) == ("CM3500B-X", 60, "3.1")
    assert (full.downstream_kbps, full.upstream_kbps) == (1000, 50)


def test_versions_capture() -> None:
    versions = parse_versions(_solent("vers_cgi.html"))

    assert versions == Versions(firmware="11.05.042.02.EURO.NCS", model="CM3500B")


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        pytest.param(
            "<td>System: </td><td>ARRIS Touchstone<br> HW_REV: 3<br> MODEL: CM3500B</td>"
            "<tr><td>Firmware Name:</td><td>TS11.05.042</td></tr>",
            Versions(firmware="TS11.05.042", model="CM3500B"),
            id="build-name-without-sw-rev",
        ),
        pytest.param(
            "<td>System:</td><td>SW_REV: 9.1.103<br>\n</td>",
            Versions(firmware="9.1.103", model=None),
            id="sw-rev-only",
        ),
    ],
)
def test_versions_synthetic(page: str, expected: Versions) -> None:
    assert parse_versions(page) == expected


def test_versions_of_the_login_page_fail() -> None:
    with pytest.raises(ValueError, match="not the CM3500 version page"):
        parse_versions('<form action="login_cgi"><input name="password"></form>')


def test_device_info_takes_firmware_and_model_from_versions() -> None:
    device = build_device_info(None, None, Versions(firmware="1.2", model="CM3500A"))

    assert (device.model, device.firmware) == ("CM3500A", "1.2")
