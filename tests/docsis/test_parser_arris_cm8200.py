"""The Arris status-page parser (CM8200A, SB8200, SB6183 layouts), captured and synthetic.

The CM8200A pages are DOCSIS captures (reduced; see PROVENANCE.md), one of
them with the real firmware's missing ``<tr>`` before the column headers.
The SB6183 page is a real capture with the nine-column downstream layout.
The synthetic tests below need no captures.
"""

from __future__ import annotations

import pytest

from custom_components.docsight.docsis.model import Direction, Family
from custom_components.docsight.docsis.parsers.arris_cm8200 import (
    DEFAULT_MODEL,
    MANUFACTURER,
    StatusPage,
    build_device_info,
    has_bonded_channels,
    is_locked_notice,
    is_login_page,
    model_from_page,
    parse_bonded_channels,
    parse_login_token,
    parse_status_page,
)
from tests.shared_fixtures import read_fixture
from tests.sim.arris_cm8200 import LOGIN_PAGE, STATUS_PAGE


def _cm8200(name: str) -> str:
    return read_fixture("modems", "arris_cm8200a", "docsight", name)


# --- captured pages -------------------------------------------------------------


def test_sample_capture() -> None:
    status = parse_status_page(_cm8200("cmconnectionstatus.SAMPLE_STATUS_HTML.html"))

    assert status.model == "CM8200A"
    assert len(status.downstream) == 33
    ofdm = status.downstream[0]
    assert (ofdm.family, ofdm.channel_id, ofdm.frequency_hz) == (Family.OFDM, 33, 795_000_000)
    assert (ofdm.power_dbmv, ofdm.snr_db, ofdm.corrected) == (8.2, 43.0, 191_405_078)
    qam = status.downstream[4]
    assert (qam.channel_id, qam.frequency_hz, qam.modulation) == (4, 579_000_000, "256QAM")
    assert (qam.power_dbmv, qam.snr_db, qam.corrected, qam.uncorrected) == (3.9, 42.5, 5, 1)
    assert [c.channel_id for c in status.upstream] == [3, 4, 5, 24]
    assert [c.symbol_rate_ksym for c in status.upstream] == [2560.0, 5120.0, 5120.0, None]
    assert status.upstream[-1].family is Family.OFDMA
    assert status.upstream[0].power_dbmv == 48.0


def test_capture_without_tr_before_headers() -> None:
    downstream, upstream = parse_bonded_channels(
        _cm8200("cmconnectionstatus.missing_tr_structure.html")
    )

    assert [(c.channel_id, c.family) for c in downstream] == [
        (33, Family.OFDM),
        (1, Family.SC_QAM),
    ]
    assert downstream[1].power_dbmv == 4.9
    assert [(c.channel_id, c.frequency_hz, c.power_dbmv) for c in upstream] == [
        (3, 15_500_000, 48.0)
    ]


def test_sb6183_layout() -> None:
    status = parse_status_page(
        read_fixture("modems", "arris_sb6183", "docsight", "RgConnect.asp.html")
    )

    assert status.model == "SB6183"
    assert len(status.downstream) == 16
    first = status.downstream[0]
    # "Channel" (a running number) comes first; the ID is the fourth column.
    assert (first.channel_id, first.frequency_hz, first.power_dbmv, first.snr_db) == (
        6,
        315_000_000,
        0.7,
        40.2,
    )
    assert (first.corrected, first.uncorrected) == (29, 0)
    assert [c.channel_id for c in status.upstream] == [67, 65, 66, 68]
    assert {c.symbol_rate_ksym for c in status.upstream} == {5120.0}


# --- synthetic pages ----------------------------------------------------------------


def test_synthetic_status_page() -> None:
    status = parse_status_page(STATUS_PAGE)

    assert status.model == "CM8200A"
    assert [(c.channel_id, c.family) for c in status.downstream] == [
        (33, Family.OFDM),
        (5, Family.SC_QAM),
        (6, Family.SC_QAM),
    ]
    assert all(c.direction is Direction.DOWNSTREAM and c.locked for c in status.downstream)
    assert status.downstream[1].uncorrected == 1
    assert [c.family for c in status.upstream] == [Family.SC_QAM, Family.OFDMA]
    assert status.upstream[0].symbol_rate_ksym == 5120.0


def _table(title: str, headers: list[str], *rows: list[str]) -> str:
    cells = "".join(f"<td>{header}</td>" for header in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr><th>{title}</th></tr><tr>{cells}</tr>{body}</table>"


def test_unlocked_and_unusual_rows() -> None:
    page = _table(
        "Downstream Bonded Channels",
        [
            "Channel ID",
            "Lock Status",
            "Modulation",
            "Frequency",
            "Power",
            "SNR",
            "Corrected",
            "Uncorrectables",
        ],
        ["0", "Not Locked", "Unknown", "0 Hz", "0.0 dBmV", "0.0 dB", "0", "0"],
        ["7", "Not Locked", "QAM64", "602 MHz", "----", "", "", ""],
        ["8", "", "OFDM", "690000000 Hz", "1 dBmV", "40 dB", "5", "0"],
    ) + _table(
        "Upstream Bonded Channels",
        ["Channel", "Channel ID", "Lock Status", "US Channel Type", "Frequency", "Width", "Power"],
        ["1", "0", "Not Locked", "Unknown", "0 Hz", "0 Hz", "0.0 dBmV"],
        ["2", "4", "Locked", "ATDMA", "36.8 MHz", "3.2 MHz", "45.0 dBmV"],
        ["3", "5", "Locked", "TDMA", "20 MHz", "", "45.0 dBmV"],
    )

    downstream, upstream = parse_bonded_channels(page)

    assert [c.channel_id for c in downstream] == [7, 8]
    unlocked, ofdm = downstream
    assert (unlocked.locked, unlocked.frequency_hz, unlocked.modulation) == (
        False,
        602_000_000,
        "64QAM",
    )
    assert (unlocked.power_dbmv, unlocked.snr_db, unlocked.corrected) == (None, None, None)
    assert (ofdm.locked, ofdm.family) == (None, Family.OFDM)
    assert [c.channel_id for c in upstream] == [4, 5]
    assert (upstream[0].frequency_hz, upstream[0].symbol_rate_ksym) == (36_800_000, 2560.0)
    assert upstream[1].symbol_rate_ksym is None


def test_symbol_rate_column() -> None:
    page = _table(
        "Downstream Bonded Channels", ["Channel ID", "Power"], ["3", "1.5 dBmV"]
    ) + _table(
        "Upstream Bonded Channels",
        [
            "Channel",
            "Lock Status",
            "US Channel Type",
            "Channel ID",
            "Symbol Rate",
            "Frequency",
            "Power",
        ],
        ["1", "Locked", "ATDMA", "67", "5120 Ksym/sec", "30400000 Hz", "48.3 dBmV"],
    )

    _downstream, (upstream,) = parse_bonded_channels(page)

    assert (upstream.channel_id, upstream.symbol_rate_ksym, upstream.frequency_hz) == (
        67,
        5120.0,
        30_400_000,
    )


def test_page_without_upstream_table() -> None:
    page = _table("Downstream Bonded Channels", ["Channel ID", "Power"], ["3", "1.5 dBmV"])
    downstream, upstream = parse_bonded_channels(page)
    assert [c.power_dbmv for c in downstream] == [1.5]
    assert upstream == ()


@pytest.mark.parametrize(
    ("page", "match"),
    [
        (LOGIN_PAGE, "no 'Downstream Bonded Channels' table"),
        ("<table><tr><th>Downstream Bonded Channels</th></tr></table>", "no column headers"),
        (
            _table("Downstream Bonded Channels", ["Channel ID", "Power"], ["3"]),
            "has 1 cells, expected 2",
        ),
        (
            _table("Downstream Bonded Channels", ["Channel ID", "Power"], ["", "1 dBmV"]),
            "no channel ID",
        ),
        (
            _table("Downstream Bonded Channels", ["Channel ID", "Power"], ["3", "strong"]),
            "Power is not a number",
        ),
    ],
)
def test_unreadable_pages(page: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_bonded_channels(page)


def test_page_markers() -> None:
    assert has_bonded_channels(STATUS_PAGE)
    assert not has_bonded_channels(LOGIN_PAGE)
    assert is_login_page(LOGIN_PAGE)
    assert not is_login_page(STATUS_PAGE)
    assert not is_login_page("<html>Another router</html>")
    assert model_from_page(LOGIN_PAGE) == "CM8200A"
    assert model_from_page("<span id='thisModelNumberIs'></span>") is None
    assert model_from_page("<html></html>") is None


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("abcDEF0123456789", "abcDEF0123456789"),
        ("  a1b2\n", "a1b2"),
        ("x" * 65, None),
        ("", None),
        ("<html>login</html>", None),
        ("abc-def", None),
    ],
)
def test_login_token(text: str, token: str | None) -> None:
    assert parse_login_token(text) == token


def test_lock_notice() -> None:
    assert is_locked_notice("Locked\n")
    assert not is_locked_notice("Unlocked")
    assert not is_locked_notice("")


def test_device_info() -> None:
    named = build_device_info(StatusPage(downstream=(), upstream=(), model="CM8200B"))
    assert (named.manufacturer, named.model) == (MANUFACTURER, "CM8200B")
    unnamed = build_device_info(StatusPage(downstream=(), upstream=(), model=None))
    assert unnamed.model == DEFAULT_MODEL
