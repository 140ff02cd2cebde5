"""The Compal CH7465 parsers against the captured pages and against bad input.

The pages are a real CH7465MT-AT capture (solentlabs, see PROVENANCE.md).  That
source has no golden output for this model, so the expected values below are
read off the pages by hand; every one of them occurs literally in the XML.
"""

from __future__ import annotations

import pytest

from custom_components.docsight.docsis.model import Direction, Family
from custom_components.docsight.docsis.parsers.compal import (
    CmStatus,
    GlobalSettings,
    SystemInfo,
    build_device_info,
    parse_cm_status,
    parse_docsis_version,
    parse_downstream,
    parse_global_settings,
    parse_login_fail_count,
    parse_system_info,
    parse_upstream,
    parse_uptime,
    parse_xml,
)
from tests.shared_fixtures import read_fixture

CAPTURE = ("modems", "compal_ch7465mt", "solentlabs")
HEAD = '<?xml version="1.0" encoding="utf-8"?>'


def _page(name: str) -> str:
    return read_fixture(*CAPTURE, name)


# --- captured pages -------------------------------------------------------------


def test_downstream_capture() -> None:
    channels = parse_downstream(_page("fun10_downstream.xml"))

    assert len(channels) == 24
    first = channels[0]
    assert first.direction is Direction.DOWNSTREAM
    assert first.family is Family.SC_QAM
    assert first.channel_id == 30
    assert first.frequency_hz == 834_000_000
    assert first.power_dbmv == 8.0
    assert first.snr_db == 36.61  # RxMER, not the rounded <snr>
    assert first.modulation == "256QAM"
    assert first.corrected == 80_379_377_107  # PreRs; beyond 32 bits
    assert first.uncorrected == 7_864_965  # PostRs
    assert first.locked is True
    assert first.symbol_rate_ksym is None
    last = channels[-1]
    assert (last.channel_id, last.frequency_hz, last.snr_db) == (22, 770_000_000, 37.636)
    assert last.corrected == 80_382_094_605
    assert last.uncorrected == 6_723_032
    assert sorted(ch.channel_id for ch in channels) == [*range(1, 16), 21, 22, *range(24, 31)]
    assert all(ch.modulation == "256QAM" and ch.locked for ch in channels)


def test_upstream_capture() -> None:
    channels = parse_upstream(_page("fun11_upstream.xml"))

    assert [ch.channel_id for ch in channels] == [2, 8, 7, 6, 5, 4, 3, 1]
    first = channels[0]
    assert first.direction is Direction.UPSTREAM
    assert first.family is Family.SC_QAM  # ATDMA
    assert first.frequency_hz == 75_200_000
    assert first.power_dbmv == 38.0
    assert first.modulation == "16QAM"
    assert first.symbol_rate_ksym == 5120.0
    # The modem has no upstream counters: unknown, not a clean zero.
    assert all(ch.corrected is None and ch.uncorrected is None for ch in channels)
    assert all(ch.snr_db is None and ch.locked is None for ch in channels)
    assert channels[-1].modulation == "64QAM"
    assert channels[1].power_dbmv == 41.0


def test_global_settings_capture() -> None:
    settings = parse_global_settings(_page("fun1_global_settings.xml"))

    assert settings == GlobalSettings(
        model="CH7465MT-AT",
        firmware="CH7465MT-AT-NCIP-6.15.32p3TM-GA-NOSH",
        vendor_model="CH7465MT-AT",
        operator="MTAT",
        locked_out=False,
        play=False,
    )


def test_system_info_capture() -> None:
    info = parse_system_info(_page("fun2_system_info.xml"))

    assert info == SystemInfo(
        uptime_seconds=27 * 86400 + 7 * 3600 + 16 * 60 + 51,
        serial="XXXX00000000",
        mac="AA:BB:CC:DD:EE:F0",
        docsis_version="3.0",
        hardware_version="5.01",
    )


def test_cm_status_capture() -> None:
    status = parse_cm_status(_page("fun144_cm_status.xml"))

    # The largest flow per direction (bit/s) in kbit/s; voice flows are ignored.
    assert status == CmStatus(docsis_version="3.0", downstream_kbps=110_100, upstream_kbps=22_544)


def test_device_info_from_captures() -> None:
    device = build_device_info(
        parse_global_settings(_page("fun1_global_settings.xml")),
        parse_system_info(_page("fun2_system_info.xml")),
        parse_cm_status(_page("fun144_cm_status.xml")),
    )

    assert device.manufacturer == "Compal"
    assert device.model == "CH7465MT-AT"
    assert device.firmware == "CH7465MT-AT-NCIP-6.15.32p3TM-GA-NOSH"
    assert device.uptime_seconds == 2_359_011
    assert device.serial == "XXXX00000000"
    assert device.mac == "AA:BB:CC:DD:EE:F0"
    assert device.docsis_version == "3.0"
    assert (device.downstream_kbps, device.upstream_kbps) == (110_100, 22_544)
    assert device.wan_ipv4 is None  # not on these pages


def test_cbn_pages_of_the_sb8200_parse_too() -> None:
    """The SB8200v3 (built by Compal) serves the same tables with other lock flags."""
    folder = ("modems", "arris_sb8200-cbn", "docsight")
    down = parse_downstream(read_fixture(*folder, "getter.xml_fun10_downstream_table.xml"))
    up = parse_upstream(read_fixture(*folder, "getter.xml_fun11_upstream_table.xml"))
    settings = parse_global_settings(read_fixture(*folder, "getter.xml_fun1_GlobalSettings.xml"))

    assert [(ch.channel_id, ch.snr_db, ch.locked) for ch in down] == [
        (32, 33.0, True),
        (8, 35.0, True),
        (9, 34.0, False),
    ]
    assert down[0].power_dbmv == 2.3
    assert down[0].corrected is None  # no PreRs in this table
    assert [(ch.channel_id, ch.locked) for ch in up] == [(56, True), (55, False)]
    assert settings.model == "SB8200v3"
    assert settings.play is False


# --- smaller pieces ---------------------------------------------------------------


def test_play_firmware_and_lockout_flags() -> None:
    settings = parse_global_settings(
        f"{HEAD}<GlobalSettings><ConfigVenderModel>CH7465LG-Play</ConfigVenderModel>"
        "<model_name>Connect Box</model_name><LockedOut>Enable</LockedOut></GlobalSettings>"
    )

    assert settings.play is True
    assert settings.locked_out is True
    assert settings.model == "Connect Box (CH7465LG-Play)"


def test_global_settings_with_only_a_name_or_nothing() -> None:
    named = parse_global_settings(
        f"{HEAD}<GlobalSettings><model_name>Connect Box</model_name></GlobalSettings>"
    )
    bare = parse_global_settings(f"{HEAD}<GlobalSettings/>")

    assert named.model == "Connect Box"
    assert bare == GlobalSettings(None, None, None, None, locked_out=False, play=False)
    assert build_device_info(bare, None, None).model == "CH7465"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("27day(s)7h:16m:51s", 2_359_011),
        ("0day(s)0h:00m:05s", 5),
        ("3h:02m:01s", 10_921),
        ("garbage", None),
        ("", None),
        (None, None),
    ],
)
def test_uptime(text: str | None, seconds: int | None) -> None:
    assert parse_uptime(text) == seconds


@pytest.mark.parametrize(
    ("text", "version"),
    [("DOCSIS 3.0", "3.0"), ("DOCSIS 3.1", "3.1"), ("unknown", None), (None, None)],
)
def test_docsis_version(text: str | None, version: str | None) -> None:
    assert parse_docsis_version(text) == version


def test_counters_absent_are_none_and_snr_falls_back() -> None:
    channels = parse_downstream(
        f"{HEAD}<downstream_table><downstream><chid>5</chid><freq>0</freq><pow></pow>"
        "<snr>-38</snr><mod>qam64</mod></downstream></downstream_table>"
    )

    (channel,) = channels
    assert channel.corrected is None
    assert channel.uncorrected is None
    assert channel.snr_db == 38.0  # <snr> when there is no RxMER, as a positive dB
    assert channel.frequency_hz is None  # 0 means "none"
    assert channel.power_dbmv is None
    assert channel.modulation == "64QAM"
    assert channel.locked is None


def test_empty_tables_are_no_channels() -> None:
    assert parse_downstream(f"{HEAD}<downstream_table><ds_num>0</ds_num></downstream_table>") == ()
    assert parse_upstream(f"{HEAD}<upstream_table><us_num>0</us_num></upstream_table>") == ()


def test_ofdma_upstream_is_recognised() -> None:
    (channel,) = parse_upstream(
        f"{HEAD}<upstream_table><upstream><usid>9</usid><channeltype>OFDMA</channeltype>"
        "</upstream></upstream_table>"
    )

    assert channel.family is Family.OFDMA
    assert channel.symbol_rate_ksym is None


def test_cm_status_without_flows() -> None:
    status = parse_cm_status(
        f"{HEAD}<cmstatus><serviceflow><direction>3</direction>"
        "<pMaxTrafficRate>5</pMaxTrafficRate></serviceflow>"
        "<serviceflow><direction>1</direction><pMaxTrafficRate>0</pMaxTrafficRate>"
        "</serviceflow></cmstatus>"
    )

    assert status == CmStatus(docsis_version=None, downstream_kbps=None, upstream_kbps=None)


def test_device_docsis_version_from_system_info_when_status_lacks_it() -> None:
    system = SystemInfo(None, None, None, "3.1", None)
    device = build_device_info(None, system, CmStatus(None, None, None))

    assert device.docsis_version == "3.1"
    assert device.model == "CH7465"
    assert device.firmware is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (f"{HEAD}<LoginFail><FailCount>45</FailCount></LoginFail>", 45),
        (f"{HEAD}<FailCount>0</FailCount>", 0),
        (f"{HEAD}<x><y><FailCount>-3</FailCount></y></x>", 0),
    ],
)
def test_login_fail_count(text: str, seconds: int) -> None:
    assert parse_login_fail_count(text) == seconds


@pytest.mark.parametrize(
    "text",
    [f"{HEAD}<LoginFail/>", f"{HEAD}<LoginFail><FailCount>soon</FailCount></LoginFail>"],
)
def test_login_fail_count_unreadable(text: str) -> None:
    with pytest.raises(ValueError, match="FailCount"):
        parse_login_fail_count(text)


# --- malformed input ----------------------------------------------------------------


def test_truncated_capture_is_refused() -> None:
    page = _page("fun10_downstream.xml")

    with pytest.raises(ValueError, match="not well-formed"):
        parse_downstream(page[: len(page) // 2])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        (b"", "empty"),
        ("<html><body>Login</body>", "not well-formed"),
        ("KDGloginincorrect", "not well-formed"),
        (f"{HEAD}<upstream_table/>", "expected <downstream_table>"),
        (
            f"{HEAD}<downstream_table><downstream><freq>1</freq></downstream></downstream_table>",
            "no <chid>",
        ),
        (
            f"{HEAD}<downstream_table><downstream><chid>x</chid></downstream></downstream_table>",
            "not an integer",
        ),
        (
            (
                f"{HEAD}<downstream_table><downstream><chid>1</chid><pow>hot</pow>"
                "</downstream></downstream_table>"
            ),
            "not a number",
        ),
        (
            (
                f"{HEAD}<downstream_table><downstream><chid>1</chid><pow>nan</pow>"
                "</downstream></downstream_table>"
            ),
            "not a finite number",
        ),
    ],
)
def test_malformed_downstream(text: str | bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_downstream(text)


@pytest.mark.parametrize(
    "text",
    [
        f'{HEAD}<!DOCTYPE lolz [<!ENTITY lol "lol">]><downstream_table>&lol;</downstream_table>',
        f'{HEAD}<!doctype x SYSTEM "file:///etc/passwd"><downstream_table/>',
        f"{HEAD}<! ENTITY x>",
    ],
)
def test_entity_declarations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="DOCTYPE"):
        parse_downstream(text)


def test_parse_xml_accepts_bytes_and_any_root() -> None:
    root = parse_xml(b"<a><b>1</b></a>")

    assert root.tag == "a"


@pytest.mark.parametrize(
    ("parser", "page"),
    [
        (parse_upstream, "fun10_downstream.xml"),
        (parse_global_settings, "fun2_system_info.xml"),
        (parse_system_info, "fun1_global_settings.xml"),
        (parse_cm_status, "fun11_upstream.xml"),
    ],
)
def test_wrong_page_for_the_parser(parser: object, page: str) -> None:
    with pytest.raises(ValueError, match="expected <"):
        parser(_page(page))  # type: ignore[operator]
