"""The Netgear CM3000 parsers against the captured tagValueLists and bad input.

The captured values are real CM3000 tagValueList strings (DOCSight, see
PROVENANCE.md); only the value strings were kept, so ``build_page`` wraps them
in the JS functions ``DocsisStatus.htm`` declares.  There is no solentlabs
golden output for this model; the expected values are read off the strings by
hand and every one of them occurs literally there.
"""

from __future__ import annotations

import pytest

from custom_components.docsight.docsis.model import Direction, Family
from custom_components.docsight.docsis.parsers.netgear_cm3000 import (
    DS_FUNCTION,
    DS_OFDM_FUNCTION,
    OFDM_CORRECTED,
    OFDM_UNCORRECTED,
    OFDM_UNERRORED,
    SYSTEM_FUNCTION,
    US_FUNCTION,
    US_OFDMA_FUNCTION,
    is_login_page,
    login_form_action,
    parse_device_info,
    parse_docsis_status,
    parse_downstream,
    parse_downstream_ofdm,
    parse_upstream,
    parse_upstream_ofdma,
    parse_uptime,
    split_rows,
    tag_value_list,
)
from tests.shared_fixtures import read_fixture

CAPTURE = ("modems", "netgear_cm3000", "docsight")
FUNCTIONS = (DS_FUNCTION, US_FUNCTION, DS_OFDM_FUNCTION, US_OFDMA_FUNCTION, SYSTEM_FUNCTION)


def captured(function: str) -> str:
    """Return the captured value string of one JS function."""
    return read_fixture(*CAPTURE, f"{function}.tagValueList.txt").strip()


def build_page(values: dict[str, str], quote: str = "'") -> str:
    """Wrap value strings in the JS functions of DocsisStatus.htm."""
    functions = "\n".join(
        f"function {name}()\n{{\n  var tagValueList = {quote}{value}{quote};\n"
        '  return tagValueList.split("|");\n}'
        for name, value in values.items()
    )
    return f"<html><head><script>\n{functions}\n</script></head><body></body></html>"


def captured_page() -> str:
    return build_page({name: captured(name) for name in FUNCTIONS})


# --- captured values --------------------------------------------------------------


def test_downstream_capture() -> None:
    channels = parse_downstream(captured_page())

    assert len(channels) == 32
    first = channels[0]
    assert first.direction is Direction.DOWNSTREAM
    assert first.family is Family.SC_QAM
    assert first.channel_id == 20
    assert first.frequency_hz == 495_000_000
    assert first.power_dbmv == -0.2
    assert first.snr_db == 42.7
    assert first.modulation == "256QAM"
    assert (first.corrected, first.uncorrected) == (23_958, 32_851)
    assert first.locked is True
    last = channels[-1]
    assert (last.channel_id, last.frequency_hz, last.power_dbmv, last.snr_db) == (
        32,
        567_000_000,
        -0.7,
        42.3,
    )
    assert (last.corrected, last.uncorrected) == (18_550, 34_892)
    assert sorted(ch.channel_id for ch in channels) == list(range(1, 33))


def test_upstream_capture_drops_unused_receivers() -> None:
    channels = parse_upstream(captured_page())

    assert [ch.channel_id for ch in channels] == [2, 3, 4, 1]
    first = channels[0]
    assert first.direction is Direction.UPSTREAM
    assert first.family is Family.SC_QAM  # ATDMA
    assert first.frequency_hz == 22_800_000
    assert first.power_dbmv == 43.3
    assert first.symbol_rate_ksym == 5120.0
    assert first.modulation is None  # the table names the type, not the QAM
    assert first.locked is True
    assert all(ch.corrected is None and ch.uncorrected is None for ch in channels)


def test_ofdm_capture_reads_the_counters_from_positions_9_and_10() -> None:
    """Issue 815: position 8 is the unerrored count, not the corrected one."""
    channels = parse_downstream_ofdm(captured_page())

    assert [ch.channel_id for ch in channels] == [193, 194]
    first, second = channels
    assert first.family is Family.OFDM
    assert first.frequency_hz == 690_000_000
    assert first.power_dbmv == -0.32
    assert first.snr_db == 41.8
    assert first.modulation is None
    assert first.locked is True
    assert (first.corrected, first.uncorrected) == (10_237_586_972, 18_675_397)
    assert (second.corrected, second.uncorrected) == (19_395_421_307, 378)
    # Not the shifted reading: the unerrored count appears nowhere.
    assert 21_375_387_957 not in (first.corrected, first.uncorrected)
    assert (OFDM_UNERRORED, OFDM_CORRECTED, OFDM_UNCORRECTED) == (8, 9, 10)


def test_ofdma_capture() -> None:
    (channel,) = parse_upstream_ofdma(captured_page())

    assert channel.direction is Direction.UPSTREAM
    assert channel.family is Family.OFDMA
    assert channel.channel_id == 41
    assert channel.frequency_hz == 36_200_000
    assert channel.power_dbmv == 36.5
    assert channel.locked is True


def test_device_info_capture() -> None:
    device = parse_device_info(captured_page())

    assert device.manufacturer == "Netgear"
    assert device.model == "CM3000"
    assert device.uptime_seconds == 23 * 86400 + 9 * 3600 + 26 * 60 + 24


def test_whole_page_capture() -> None:
    status = parse_docsis_status(captured_page())

    assert len(status.downstream) == 34
    assert [ch.family for ch in status.downstream[-2:]] == [Family.OFDM, Family.OFDM]
    assert len(status.upstream) == 5
    assert status.upstream[-1].family is Family.OFDMA
    assert status.device.uptime_seconds == 2_021_184
    assert not is_login_page(captured_page())


# --- smaller pieces -----------------------------------------------------------------


def test_docsis_3_0_page_without_ofdm_tables() -> None:
    page = build_page(
        {
            DS_FUNCTION: "1|1|Locked|QAM64|5|603000000 Hz|1.5|38.9|0|0|",
            US_FUNCTION: "1|1|Not Locked|TDMA|7|2560 Ksym/sec|30000000 Hz|40 dBmV|",
        },
        quote='"',
    )

    status = parse_docsis_status(page)

    (down,) = status.downstream
    assert down.modulation == "64QAM"
    assert (down.corrected, down.uncorrected) == (0, 0)
    (up,) = status.upstream
    assert up.locked is False
    assert up.symbol_rate_ksym == 2560.0
    assert status.device.uptime_seconds is None  # no InitTagValue


def test_blank_values_and_unknown_lock() -> None:
    page = build_page({DS_FUNCTION: "1|1|Unknown||9|0 Hz|N/A|&nbsp;|||"})

    (channel,) = parse_downstream(page)

    assert channel.locked is None
    assert channel.modulation is None
    assert channel.frequency_hz is None
    assert channel.power_dbmv is None
    assert channel.snr_db is None
    assert channel.corrected is None
    assert channel.uncorrected is None


def test_empty_tables_are_no_channels() -> None:
    page = build_page({DS_FUNCTION: "0|", US_FUNCTION: "0"})

    assert parse_downstream(page) == ()
    assert parse_upstream(page) == ()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("23 days 09:26:24", 2_021_184),
        ("1 day 00:00:01", 86_401),
        ("00:05:00", 300),
        ("garbage", None),
        ("", None),
        (None, None),
    ],
)
def test_uptime(text: str | None, seconds: int | None) -> None:
    assert parse_uptime(text) == seconds


def test_short_system_list_has_no_uptime() -> None:
    assert parse_device_info(build_page({SYSTEM_FUNCTION: "1|2|3"})).uptime_seconds is None


def test_tag_value_list_absent() -> None:
    assert tag_value_list("<html></html>", DS_FUNCTION) is None


def test_split_rows() -> None:
    assert split_rows(["2", "a", " b ", "c", "d", ""], 2) == [["a", "b"], ["c", "d"]]


def test_login_page_detection_and_form_action() -> None:
    login = (
        '<html><form name="login" method="post" action="/goform/Login?id=123">'
        '<input name="loginName"><input type="password" name="loginPassword"></form></html>'
    )

    assert is_login_page(login)
    assert login_form_action(login) == "/goform/Login?id=123"
    assert login_form_action('<form action="">x</form>') == "/goform/Login"
    assert login_form_action("<html></html>") == "/goform/Login"
    assert not is_login_page("<html>Not Found</html>")


# --- malformed input ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({US_FUNCTION: "0"}, "no InitDsTableTagValue"),
        ({DS_FUNCTION: ""}, "row count"),
        ({DS_FUNCTION: "x|1"}, "row count"),
        ({DS_FUNCTION: "2|1|Locked|QAM256|1|1 Hz|0|40|0|0|"}, "announces 2 rows"),
        ({DS_FUNCTION: "1|1|Locked|QAM256||1 Hz|0|40|0|0"}, "no channel id"),
        ({DS_FUNCTION: "1|1|Locked|QAM256|1|1 Hz|hot|40|0|0"}, "not a number"),
        ({DS_FUNCTION: "1|1|Locked|QAM256|1|1 Hz|0|40 dBx|0|0"}, "not a number"),
        ({DS_FUNCTION: "1|1|Locked|QAM256|1|1 Hz|0|40|-5|0"}, "codeword counter"),
    ],
)
def test_malformed_downstream(values: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_downstream(build_page(values))


def test_truncated_capture_is_refused() -> None:
    value = captured(DS_OFDM_FUNCTION)
    page = build_page(
        {DS_FUNCTION: "0", US_FUNCTION: "0", DS_OFDM_FUNCTION: value[: len(value) // 2]}
    )

    with pytest.raises(ValueError, match="announces 2 rows"):
        parse_docsis_status(page)


def test_login_page_is_not_data() -> None:
    with pytest.raises(ValueError, match="no InitDsTableTagValue"):
        parse_docsis_status('<form action="/goform/Login"><input name="loginPassword"></form>')
