"""The SURFboard HNAP parser and login arithmetic, on captured and synthetic answers.

The S34 answer is a real capture (solentlabs, see PROVENANCE.md) with a golden
JSON made by that project; the MB8611 answer is a real capture of the Moto
namespace (MHz frequencies, ksym/s symbol rates) with its golden.  The DOCSight
answers are partly synthetic.  The synthetic tests below need no captures.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from custom_components.docsight.docsis.model import Direction, Family
from custom_components.docsight.docsis.parsers.arris_surfboard import (
    DEFAULT_MODEL,
    LoginChallenge,
    detect_namespace,
    hnap_auth,
    hnap_hmac,
    is_hnap_login_page,
    login_password,
    login_result,
    multiple_result,
    parse_downstream,
    parse_hnap_status,
    parse_login_challenge,
    parse_upstream,
    parse_uptime,
    private_key,
    soap_action,
    split_rows,
    status_actions,
)
from tests.shared_fixtures import read_fixture
from tests.sim.arris_surfboard import hmac_hex


def _json(*parts: str) -> Any:
    return json.loads(read_fixture("modems", *parts))


def _compare_with_golden(channels: list[Any], golden: list[dict[str, Any]]) -> None:
    locked = [entry for entry in golden if entry.get("lock_status") == "locked"]
    assert len(channels) == len(locked)
    for channel, expected in zip(channels, locked, strict=True):
        assert channel.channel_id == expected["channel_id"]
        assert channel.frequency_hz == expected["frequency"]
        assert channel.power_dbmv == expected["power"]
        if "snr" in expected:
            assert channel.snr_db == expected["snr"]
            assert channel.corrected == expected["corrected"]
            assert channel.uncorrected == expected["uncorrected"]
        wanted = Family.OFDM if expected["channel_type"] == "ofdm" else Family.SC_QAM
        if channel.direction is Direction.DOWNSTREAM:
            assert channel.family is wanted
        assert channel.locked is True


# --- captured answers -------------------------------------------------------------


def test_s34_capture_matches_golden() -> None:
    status = parse_hnap_status(_json("arris_s34", "solentlabs", "hnap_full_status.json"))
    golden = _json("arris_s34", "solentlabs-golden", "modem.expected.json")

    assert status.namespace == "Customer"
    _compare_with_golden(list(status.downstream), golden["downstream"])
    _compare_with_golden(list(status.upstream), golden["upstream"])
    assert {c.symbol_rate_ksym for c in status.upstream} == {5120.0, 2560.0}
    assert status.device.model == golden["system_info"]["model_name"]
    assert status.device.firmware == golden["system_info"]["software_version"]
    assert (
        sum(c.corrected or 0 for c in status.downstream if c.family is Family.SC_QAM)
        == (golden["system_info"]["total_corrected"])
    )


def test_mb8611_moto_capture_matches_golden() -> None:
    status = parse_hnap_status(_json("motorola_mb8611", "solentlabs", "hnap_full_status.json"))
    golden = _json("motorola_mb8611", "solentlabs-golden", "modem.expected.json")

    assert status.namespace == "Moto"
    _compare_with_golden(list(status.downstream), golden["downstream"])
    _compare_with_golden(list(status.upstream), golden["upstream"])
    assert [c.symbol_rate_ksym for c in status.upstream] == [5120.0] * 4
    device = status.device
    assert device.firmware == golden["system_info"]["software_version"]
    assert device.uptime_seconds == parse_uptime(golden["system_info"]["system_uptime"])
    assert device.docsis_version == "3.1"
    assert device.serial is None  # redacted as "***SERIAL***" in the capture
    assert device.mac == "AA:BB:CC:DD:EE:FF"


@pytest.mark.parametrize(
    "name",
    ["hnap_GetMultipleHNAPs_channels.json", "hnap_GetMultipleHNAPs_channels_moto-variant.json"],
)
def test_docsight_answers(name: str) -> None:
    status = parse_hnap_status(_json("arris_s34", "docsight", name))

    assert len(status.downstream) == 33
    assert status.downstream[-1].family is Family.OFDM
    assert status.downstream[-1].channel_id == 193
    assert status.upstream[-1].family is Family.OFDMA
    assert status.upstream[-1].symbol_rate_ksym is None
    assert status.device.model == DEFAULT_MODEL  # no connection info in this answer


def test_docsight_device_answer() -> None:
    device = _json("arris_s34", "docsight", "hnap_GetMultipleHNAPs_device_moto-variant.json")
    channels = _json("arris_s34", "docsight", "hnap_GetMultipleHNAPs_channels_moto-variant.json")
    channels["GetMultipleHNAPsResponse"].update(device["GetMultipleHNAPsResponse"])

    status = parse_hnap_status(channels, "Moto")

    assert (status.device.model, status.device.firmware) == (
        "SB8200",
        "AB01.02.053.05_080901_193.0A.NSH",
    )


def test_login_answers_capture_shapes() -> None:
    phase1 = _json("arris_s34", "docsight", "hnap_login_phase1.synthetic.json")
    assert parse_login_challenge(phase1) == LoginChallenge(
        challenge="ABCDEF1234567890", cookie="SESS_12345", public_key="PUB_KEY_9876"
    )
    assert login_result(_json("arris_s34", "docsight", "hnap_login_phase2.synthetic.json")) == "OK"


def test_s34_login_page_is_recognised() -> None:
    assert is_hnap_login_page(read_fixture("modems", "arris_s34", "solentlabs", "Login.html"))


# --- synthetic: channel strings ---------------------------------------------------


def test_split_rows_strips_fields_and_the_trailing_separator() -> None:
    assert split_rows("1^Locked^ 0.5^|+|2^x^-1^|+|") == [["1", "Locked", "0.5"], ["2", "x", "-1"]]
    assert split_rows("") == []


def test_downstream_rows() -> None:
    channels = parse_downstream(
        "1^Locked^QAM256^20^543.0^ 1.4^45.1^41^0^|+|"
        "2^Not Locked^Unknown^0^0^-60.0^ 7.3^0^0^|+|"
        "3^Locked^OFDM PLC^193^957000000^-4.1^41.1^936482395^23115^|+|"
        "4^Not Locked^256QAM^7^0^^^^^"
    )

    assert [c.channel_id for c in channels] == [20, 193, 7]
    qam, ofdm, unlocked = channels
    assert (unlocked.locked, unlocked.frequency_hz, unlocked.power_dbmv) == (False, None, None)
    assert (unlocked.corrected, unlocked.modulation) == (None, "256QAM")
    assert (qam.frequency_hz, qam.modulation, qam.family) == (543_000_000, "256QAM", Family.SC_QAM)
    assert (qam.power_dbmv, qam.snr_db, qam.corrected, qam.uncorrected) == (1.4, 45.1, 41, 0)
    assert (ofdm.family, ofdm.modulation, ofdm.uncorrected) == (Family.OFDM, None, 23115)


def test_upstream_rows() -> None:
    channels = parse_upstream(
        "1^Locked^SC-QAM^3^6400000^22800000^37.8^|+|"
        "2^Locked^SC-QAM^17^5120^16.4^44.3^|+|"
        "3^Locked^OFDMA^41^44400000^36200000^43.8^|+|"
        "4^Not Locked^Unknown^0^0^0^-inf^|+|"
        "5^Locked^SC-QAM^6^0^40400000^-inf^"
    )

    assert [c.channel_id for c in channels] == [3, 17, 41, 6]
    assert [c.symbol_rate_ksym for c in channels] == [5120.0, 5120.0, None, None]
    assert [c.frequency_hz for c in channels] == [22_800_000, 16_400_000, 36_200_000, 40_400_000]
    assert channels[2].family is Family.OFDMA
    assert channels[3].power_dbmv is None  # "-inf" is no measurement
    assert all(c.direction is Direction.UPSTREAM for c in channels)


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ("1^Locked^256QAM^17^483000000", "5 fields, expected 9"),
        ("1^Locked^256QAM^x^483000000^1^2^3^4^", "channel ID is not a number"),
        ("1^Locked^256QAM^17^483000000^high^2^3^4^", "power is not a number"),
    ],
)
def test_unreadable_downstream(raw: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_downstream(raw)


def test_unreadable_upstream() -> None:
    with pytest.raises(ValueError, match="3 fields, expected 7"):
        parse_upstream("1^Locked^SC-QAM^")


# --- synthetic: answers ---------------------------------------------------------------


def _answer(namespace: str, **extra: object) -> dict[str, Any]:
    return {
        "GetMultipleHNAPsResponse": {
            f"Get{namespace}StatusDownstreamChannelInfoResponse": {
                f"{namespace}ConnDownstreamChannel": "1^Locked^256QAM^5^602000000^1.0^40.0^1^0^"
            },
            f"Get{namespace}StatusUpstreamChannelInfoResponse": {
                f"{namespace}ConnUpstreamChannel": "1^Locked^SC-QAM^2^6400000^30800000^44.0^"
            },
            "GetMultipleHNAPsResult": "OK",
            **extra,
        }
    }


def test_answer_in_either_namespace() -> None:
    for namespace in ("Customer", "Moto"):
        document = _answer(namespace)
        assert detect_namespace(document) == namespace
        status = parse_hnap_status(document)
        assert (len(status.downstream), len(status.upstream)) == (1, 1)
        assert status.device.model == DEFAULT_MODEL


def test_device_details_spread_over_actions() -> None:
    document = _answer(
        "Customer",
        GetCustomerStatusConnectionInfoResponse={
            "StatusSoftwareModelName": "S33",
            "CustomerConnSystemUpTime": "0 days 01h:00m:01s",
            "StatusSoftwareSerialNum": "N/A",
        },
        GetArrisDeviceStatusResponse={"FirmwareVersion": "TB01.03.001.10_012022_212.S3"},
    )

    device = parse_hnap_status(document).device

    assert (device.model, device.firmware, device.uptime_seconds) == (
        "S33",
        "TB01.03.001.10_012022_212.S3",
        3601,
    )
    assert device.serial is None


def test_serial_reported() -> None:
    document = _answer("Moto", GetMotoStatusSoftwareResponse={"StatusSoftwareSerialNum": "ABC123"})
    assert parse_hnap_status(document).device.serial == "ABC123"


def test_answer_without_upstream() -> None:
    document = _answer("Customer")
    del document["GetMultipleHNAPsResponse"]["GetCustomerStatusUpstreamChannelInfoResponse"]
    assert parse_hnap_status(document).upstream == ()


@pytest.mark.parametrize(
    ("document", "namespace", "match"),
    [
        ({"GetMultipleHNAPsResponse": {"GetMultipleHNAPsResult": "OK"}}, None, "no downstream"),
        ([], None, "no downstream"),
        ({"GetMultipleHNAPsResponse": []}, None, "no downstream"),
        (_answer("Customer"), "Moto", "no GetMotoStatusDownstreamChannelInfo"),
        (
            {
                "GetMultipleHNAPsResponse": {
                    "GetMotoStatusDownstreamChannelInfoResponse": {"X": "1"}
                }
            },
            None,
            "no MotoConnDownstreamChannel",
        ),
        ({"Other": {}}, "Moto", "no GetMultipleHNAPsResponse"),
        ("text", "Moto", "not a JSON object"),
    ],
)
def test_unusable_answers(document: object, namespace: str | None, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_hnap_status(document, namespace)


def test_multiple_result() -> None:
    assert multiple_result({"GetMultipleHNAPsResponse": {"GetMultipleHNAPsResult": "un-auth"}}) == (
        "UN-AUTH"
    )
    assert multiple_result(_answer("Moto")) == "OK"
    assert multiple_result({"GetMultipleHNAPsResponse": {}}) is None
    assert multiple_result({"GetMultipleHNAPsResponse": "x"}) is None
    assert multiple_result(None) is None


def test_status_actions() -> None:
    assert status_actions("Customer")[-1] == "GetArrisDeviceStatus"
    assert status_actions("Moto")[0] == "GetMotoStatusDownstreamChannelInfo"
    assert status_actions("Moto")[-1] == "GetMotoStatusSoftware"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("47 days 21h:15m:38s", 47 * 86400 + 21 * 3600 + 15 * 60 + 38),
        ("1 day 00h:00m:01s", 86401),
        ("05h:00m:00s", 18000),
        ("soon", None),
        (None, None),
    ],
)
def test_parse_uptime(text: str | None, seconds: int | None) -> None:
    assert parse_uptime(text) == seconds


# --- synthetic: login arithmetic ------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_hmac_agrees_with_an_independent_implementation(algorithm: str) -> None:
    for key, message in (("k", "m"), ("x" * 100, "challenge"), ("", "")):
        ours = hnap_hmac(algorithm, key, message)  # type: ignore[arg-type]
        assert ours == hmac_hex(algorithm, key, message)
        assert (
            ours
            == hmac.new(key.encode(), message.encode(), getattr(hashlib, algorithm))
            .hexdigest()
            .upper()
        )


def test_login_steps() -> None:
    key = private_key("sha256", "PUB", "secret", "CHAL")
    assert key == hmac_hex("sha256", "PUBsecret", "CHAL")
    assert login_password("sha256", key, "CHAL") == hmac_hex("sha256", key, "CHAL")
    assert len(private_key("md5", "PUB", "secret", "CHAL")) == 32


def test_hnap_auth_header() -> None:
    assert soap_action("Login") == '"http://purenetworks.com/HNAP1/Login"'
    signature, timestamp = hnap_auth("md5", "withoutloginkey", "Login", 2_000_000_001_234).split()
    assert timestamp == "1234"  # milliseconds modulo 2 * 10^12
    assert signature == hmac_hex(
        "md5", "withoutloginkey", '1234"http://purenetworks.com/HNAP1/Login"'
    )


@pytest.mark.parametrize(
    ("document", "match"),
    [
        ({"LoginResponse": {"LoginResult": "OK", "Challenge": "c"}}, "Cookie, PublicKey"),
        ({"LoginResponse": "x"}, "no LoginResponse"),
        ({"LoginResponse": {"Challenge": ""}}, "Challenge"),
    ],
)
def test_unusable_login_challenge(document: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_login_challenge(document)


def test_login_result() -> None:
    assert login_result({"LoginResponse": {"LoginResult": " failed "}}) == "FAILED"
    with pytest.raises(ValueError, match="no LoginResult"):
        login_result({"LoginResponse": {}})


def test_login_page_marker() -> None:
    assert is_hnap_login_page('<script src="./js/SOAP/SOAPAction.js?V=M2"></script>')
    assert not is_hnap_login_page("<html>FRITZ!Box</html>")
