"""The FRITZ!Box parsers on captured pages and on crafted edge cases."""

from __future__ import annotations

import hashlib
import json

import pytest

from custom_components.docsight.docsis.model import Direction, Family
from custom_components.docsight.docsis.parsers.fritzbox import (
    EMPTY_SID,
    login_response,
    parse_connection,
    parse_device,
    parse_doc_info,
    parse_login_challenge,
)
from tests.shared_fixtures import read_fixture
from tests.sim.fritzbox import DOC_INFO_DATA, TR64_DESC, md5_answer, pbkdf2_answer

FIXTURE_DIR = ("modems", "avm_fritzbox-cable", "docsight")


def session_info(sid: str = EMPTY_SID, challenge: str = "abcd1234", block: str = "0") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><SessionInfo>'
        f"<SID>{sid}</SID><Challenge>{challenge}</Challenge><BlockTime>{block}</BlockTime>"
        '<Rights/><Users><User>admin</User><User last="1">fritz1234</User><User/></Users>'
        "</SessionInfo>"
    )


# --- login ---------------------------------------------------------------------


def test_login_challenge_not_logged_in() -> None:
    info = parse_login_challenge(session_info(challenge="2$10000$aa$1000$bb"))
    assert info.sid is None
    assert info.challenge == "2$10000$aa$1000$bb"
    assert info.is_pbkdf2
    assert info.block_time == 0
    assert info.users == ("admin", "fritz1234")
    assert info.last_user == "fritz1234"


def test_login_challenge_sid_and_blocktime_bytes() -> None:
    info = parse_login_challenge(session_info("ABCDEF0123456789", block="42").encode())
    assert info.sid == "abcdef0123456789"
    assert info.block_time == 42
    assert not info.is_pbkdf2


def test_login_challenge_without_users_or_blocktime() -> None:
    text = "<SessionInfo><SID>0000000000000000</SID><Challenge>x1</Challenge></SessionInfo>"
    info = parse_login_challenge(text)
    assert info.block_time == 0
    assert info.users == ()
    assert info.last_user is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "<html><body>Login</body></html>",
        "<SessionInfo><SID>0000000000000000</SID>",  # truncated
        "<SessionInfo><SID>xyz</SID><Challenge>a</Challenge></SessionInfo>",
        "<SessionInfo><SID>0000000000000000</SID></SessionInfo>",
        session_info(block="soon"),
        '<!DOCTYPE x [<!ENTITY a "aaaa">]><SessionInfo><SID>&a;</SID></SessionInfo>',
        "{}",
    ],
)
def test_login_challenge_malformed(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_login_challenge(text)


def test_pbkdf2_response_matches_reference() -> None:
    challenge = "2$1000$5a1711$50$ac4cd2"
    assert login_response(challenge, "1example!") == pbkdf2_answer("1example!", challenge)
    salt2, digest = login_response(challenge, "1example!").split("$")
    assert salt2 == "ac4cd2"
    assert len(digest) == 64


def test_pbkdf2_response_avm_example() -> None:
    # The worked example of AVM's "Session-IDs im FRITZ!Box Webinterface" note.
    challenge = "2$10000$5A1711$2000$5A1722"
    expected_hash = hashlib.pbkdf2_hmac(
        "sha256",
        hashlib.pbkdf2_hmac("sha256", b"1example!", bytes.fromhex("5A1711"), 10000),
        bytes.fromhex("5A1722"),
        2000,
    ).hex()
    assert login_response(challenge, "1example!") == f"5A1722${expected_hash}"


def test_md5_response() -> None:
    assert login_response("1234567z", "äbc") == md5_answer("äbc", "1234567z")
    # AVM's own example: challenge 1234567z, password äbc.
    assert login_response("1234567z", "äbc") == "1234567z-9e224a41eeefa284df7bb0f26c2913e2"


def test_md5_response_replaces_wide_characters() -> None:
    assert login_response("c0ffee", "p€ss") == md5_answer("p.ss", "c0ffee")


@pytest.mark.parametrize(
    "challenge", ["2$1000$aa$50", "2$x$aa$50$bb", "2$1000$zz$50$bb", "2$0$aa$50$bb"]
)
def test_pbkdf2_response_malformed(challenge: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        login_response(challenge, "pw")


# --- docInfo -------------------------------------------------------------------


def test_doc_info_captured_shape() -> None:
    text = read_fixture(*FIXTURE_DIR, "docInfo.normalized.FRITZ_SUCCESS.synthetic.json")
    downstream, upstream = parse_doc_info(text)
    # Missing channelID dropped, repeated channelID keeps the first entry.
    assert len(downstream) == 1
    first = downstream[0]
    assert first.direction is Direction.DOWNSTREAM
    assert first.family is Family.SC_QAM
    assert first.channel_id == 1
    assert first.frequency_hz == 591_000_000
    assert first.power_dbmv == 0.0
    assert first.snr_db is None
    assert first.corrected is None
    assert first.uncorrected is None
    assert [c.channel_id for c in upstream] == [5, 6]
    assert all(c.family is Family.OFDMA for c in upstream)
    assert upstream[0].power_dbmv == 37.0  # no +6 dB offset (see the parser docstring)
    assert upstream[0].modulation is None  # "OFDMA" is not a QAM
    assert upstream[1].power_dbmv is None


def test_doc_info_full_page() -> None:
    page = json.dumps({"pid": "docInfo", "data": DOC_INFO_DATA, "sid": "x"})
    downstream, upstream = parse_doc_info(page.encode())
    sc_qam = [c for c in downstream if c.family is Family.SC_QAM]
    ofdm = [c for c in downstream if c.family is Family.OFDM]
    assert len(sc_qam) == 3
    assert sc_qam[0].frequency_hz == 602_000_000
    assert sc_qam[0].frequency_end_hz is None
    assert sc_qam[0].snr_db == 38.6
    assert sc_qam[0].modulation == "256QAM"
    assert sc_qam[0].corrected == 12
    assert sc_qam[1].uncorrected == 1
    (block,) = ofdm
    assert block.channel_id == 33
    assert (block.frequency_hz, block.frequency_end_hz) == (751_000_000, 861_000_000)
    assert block.snr_db == 41.0
    assert block.modulation == "4096QAM"
    assert block.corrected == 1534
    atdma = [c for c in upstream if c.family is Family.SC_QAM]
    assert [c.frequency_hz for c in atdma] == [51_000_000, 45_200_000]
    assert all(c.snr_db is None and c.corrected is None for c in upstream)
    (ofdma,) = [c for c in upstream if c.family is Family.OFDMA]
    assert (ofdma.frequency_hz, ofdma.frequency_end_hz) == (29_800_000, 64_800_000)
    assert ofdma.power_dbmv == 40.3


def test_doc_info_ofdma_offset_only_on_ofdma() -> None:
    downstream, upstream = parse_doc_info(DOC_INFO_DATA, ofdma_power_offset_db=6.0)
    assert {c.power_dbmv for c in upstream if c.family is Family.OFDMA} == {46.3}
    assert {c.power_dbmv for c in upstream if c.family is Family.SC_QAM} == {44.0, 43.5}
    assert downstream[0].power_dbmv == 3.2


def test_doc_info_old_firmware_shape() -> None:
    # FRITZ!OS 7.2x: "type" carries the modulation (or the FFT size for OFDM),
    # numbers in strings, channelID as a string, comma decimals, "MHz" units.
    data = {
        "channelDs": {
            "docsis30": [
                {
                    "type": "256QAM",
                    "corrErrors": "999998",
                    "mse": "-34,3",
                    "powerLevel": "1.7",
                    "channelID": "2",
                    "frequency": "482 MHz",
                    "symbolRate": "6952",
                },
                {
                    "type": "qam64",
                    "mse": "bad",
                    "powerLevel": "",
                    "channelID": 3,
                    "frequency": None,
                    "corrErrors": True,
                },
            ],
            "docsis31": [
                {"powerLevel": "3.6", "type": "4K", "channelID": 1, "frequency": "751 - 861"}
            ],
        },
        "channelUs": None,
    }
    downstream, upstream = parse_doc_info(data)
    assert upstream == ()
    first, second, ofdm = downstream
    assert first.channel_id == 2
    assert first.snr_db == 34.3
    assert first.corrected == 999998
    assert first.symbol_rate_ksym == 6952.0
    assert first.frequency_hz == 482_000_000
    assert second.modulation == "64QAM"
    assert second.snr_db is None
    assert second.power_dbmv is None
    assert second.frequency_hz is None
    assert second.corrected is None
    assert ofdm.modulation is None
    assert ofdm.snr_db is None
    assert ofdm.frequency_end_hz == 861_000_000


def test_doc_info_odd_values() -> None:
    data = {
        "channelDs": {
            "docsis30": [
                {
                    "channelID": 1,
                    "powerLevel": float("nan"),
                    "frequency": [602],
                    "mse": {"v": 1},
                    "corrErrors": -1.6,
                },
                {"channelID": "", "powerLevel": 1},
            ]
        }
    }
    (channel,) = parse_doc_info(data)[0]
    assert channel.power_dbmv is None
    assert channel.frequency_hz is None
    assert channel.snr_db is None
    assert channel.corrected == -2


def test_doc_info_frequency_in_hz() -> None:
    data = {"channelUs": {"docsis30": [{"channelID": 1, "frequency": 51000000}]}}
    assert parse_doc_info(data)[1][0].frequency_hz == 51_000_000


def test_doc_info_empty_lanes() -> None:
    assert parse_doc_info('{"data": {"channelDs": {}, "channelUs": {}}}') == ((), ())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "<html>Login</html>",
        '{"pid": "docInfo", "data": {"channelDs": {"docsis30": [{"channelID": 1,',  # truncated
        "[1, 2]",
        '{"data": []}',
        '{"data": {"something": 1}}',
        '{"channelDs": []}',
        '{"channelDs": {"docsis30": {}}}',
        '{"channelDs": {"docsis30": [1]}}',
        '{"channelDs": {"docsis30": [{"channelID": "one"}]}}',
        '{"channelDs": {"docsis30": [{"channelID": true}]}}',
        '{"channelDs": {"docsis30": [{"channelID": 1.5}]}}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_doc_info_malformed(text: str | bytes) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_doc_info(text)


# --- device and connection -------------------------------------------------------


def test_device_from_captured_tr64() -> None:
    device = parse_device(read_fixture(*FIXTURE_DIR, "tr64desc.TR064_DESC_XML.xml"))
    assert device.manufacturer == "AVM"
    assert device.model == "FRITZ!Box 6690 Cable"
    assert device.firmware == "267.08.21"
    assert device.serial is None


def test_device_from_tr64_with_manufacturer() -> None:
    device = parse_device(TR64_DESC.encode())
    assert device.manufacturer == "AVM"
    assert device.firmware == "232.07.57"
    other = TR64_DESC.replace("AVM Berlin", "Someone Else")
    assert parse_device(other).manufacturer == "Someone Else"


def test_device_from_overview() -> None:
    page = {
        "data": {
            "fritzos": {
                "Productname": " FRITZ!Box 6591 Cable ",
                "nspver": "7.57",
                "Uptime": "86400",
            }
        }
    }
    device = parse_device(json.dumps(page))
    assert device.model == "FRITZ!Box 6591 Cable"
    assert device.firmware == "7.57"
    assert device.uptime_seconds == 86400
    assert device.manufacturer == "AVM"


@pytest.mark.parametrize(
    ("uptime", "seconds"),
    [
        ("3 Tage 4 Stunden 5 Minuten", 3 * 86400 + 4 * 3600 + 300),
        ("1 day 2 hours 10 seconds", 86400 + 7200 + 10),
        ("unbekannt", None),
        ("2 Wochen 1 Stunde", 3600),  # weeks are not a FRITZ!OS unit: ignored
        (-5, None),
        (None, None),
        (12.7, 13),
    ],
)
def test_device_uptime_forms(uptime: object, seconds: int | None) -> None:
    page = {"data": {"fritzos": {"Productname": "FRITZ!Box", "nspver": "", "Uptime": uptime}}}
    device = parse_device(page)
    assert device.uptime_seconds == seconds
    assert device.firmware is None


@pytest.mark.parametrize(
    "text",
    [
        '{"data": {"fritzos": []}}',
        '{"data": {"fritzos": {"Productname": ""}}}',
        '{"data": {}}',
        "<root><device/></root>",
        "<root",
        "garbage",
    ],
)
def test_device_malformed(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_device(text)


def test_connection() -> None:
    page = {"data": {"connections": [{"downstream": "1000000", "upstream": 50000}]}}
    assert parse_connection(json.dumps(page)) == (1_000_000, 50_000)
    assert parse_connection({"data": {"connections": [{"medium": "cable"}]}}) == (None, None)
    assert parse_connection({"data": {"connections": []}}) == (None, None)
    assert parse_connection({"data": {"connections": ["x"]}}) == (None, None)


@pytest.mark.parametrize("text", ['{"data": {}}', '{"data": {"connections": {}}}', "x"])
def test_connection_malformed(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_connection(text)
