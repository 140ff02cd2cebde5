"""Pure parsing and login crypto of the Vodafone Station (both variants).

No capture of these stations is in shared/fixtures; the pages come from the
simulator, which builds them from the protocol notes.  The crypto is checked
against answers computed independently (OpenSSL through Node.js, and RFC 3610).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from custom_components.docsight.docsis.model import Channel, DeviceInfo, Direction, Family
from custom_components.docsight.docsis.parsers import vodafone_station as vs
from tests.sim.vodafone_station import (
    CGA_DEVICE_INFO,
    CGA_DOCSIS_STATUS,
    CGA_INDEX,
    TG_DOCSIS_PAGE,
    TG_STATUS_PAGE,
    tg_base_script,
    tg_login_page,
)

# --------------------------------------------------------------------------- known answers


def test_cga_password_hash_known_answer() -> None:
    # openssl kdf PBKDF2 (SHA256, 1000 rounds, 16 bytes) applied twice by hand.
    assert vs.cga_password_hash("password", "salt", "webui") == "b85cce8d74599bfbfe1577e93afc8303"


def test_pbkdf2_known_answer() -> None:
    assert vs.pbkdf2_sha256(b"password", b"salt").hex() == "632c2812e46d4604102ba7618e9d6d7d"


def test_tg_login_key_known_answer() -> None:
    assert vs.tg_login_key("password", "0102030405060708").hex() == (
        "5ce847a8c3daa60b98da70c6b0603129"
    )


def test_ccm_matches_rfc3610_packet_vector_1() -> None:
    key = bytes.fromhex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf")
    nonce = bytes.fromhex("00000003020100a0a1a2a3a4a5")
    plain = bytes.fromhex("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e")
    aad = bytes.fromhex("0001020304050607")
    sealed = vs.ccm_encrypt(key, nonce, plain, aad, 8)
    assert sealed.hex() == "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0"
    assert vs.ccm_decrypt(key, nonce, sealed, aad, 8) == plain


IV_HEX = "000102030405060708090a0b0c0d0e0f"
LOGIN_CIPHERTEXT = (
    "035e1de0d7ae7ed693558504253b37962275e0e7f0e8811e11580fd751a076d4"
    "2c82e9988a250b6f0c209e85eeee204ed947f666759ded6e"
)
NONCE_CIPHERTEXT = (
    "484d7fb290e83f8ed908c65c642f33836133bda6a0ff9b0b670e00d657e62990"
    "19a1c3e595cb3d0af37605d2ff8035a33ff0dce8"
)


def test_tg_login_payload_known_answer() -> None:
    payload = vs.tg_login_payload("admin", "password", "abc123", IV_HEX, "0102030405060708")
    assert payload == {
        "EncryptData": LOGIN_CIPHERTEXT,
        "Name": "admin",
        "AuthData": "loginPassword",
    }


def test_tg_csrf_nonce_takes_the_first_32_characters() -> None:
    key = vs.tg_login_key("password", "0102030405060708")
    assert vs.tg_csrf_nonce(NONCE_CIPHERTEXT, key, IV_HEX) == "0123456789abcdef0123456789abcdef"


def test_tg_csrf_nonce_with_the_wrong_key_fails() -> None:
    key = vs.tg_login_key("other", "0102030405060708")
    with pytest.raises(ValueError, match="tag"):
        vs.tg_csrf_nonce(NONCE_CIPHERTEXT, key, IV_HEX)


@pytest.mark.parametrize(("plain", "message"), [(b"\xff\xfe\xfd", "not text"), (b"", "empty")])
def test_tg_csrf_nonce_rejects_odd_plaintext(plain: bytes, message: str) -> None:
    key = vs.tg_login_key("password", "01")
    sealed = vs.ccm_encrypt(key, bytes.fromhex(IV_HEX), plain, b"nonce", 16)
    with pytest.raises(ValueError, match=message):
        vs.tg_csrf_nonce(sealed.hex(), key, IV_HEX)


@pytest.mark.parametrize(
    ("encrypted", "iv"), [("zz", IV_HEX), (NONCE_CIPHERTEXT, "not hex"), ("00", IV_HEX)]
)
def test_tg_csrf_nonce_rejects_bad_hex_and_short_data(encrypted: str, iv: str) -> None:
    with pytest.raises(ValueError, match=r"not hex|shorter than its tag"):
        vs.tg_csrf_nonce(encrypted, b"k" * 16, iv)


def test_sjcl_nonce_length_rules() -> None:
    iv = bytes(range(16))
    assert vs.sjcl_ccm_nonce(iv, 40) == iv[:13]  # L = 2
    assert vs.sjcl_ccm_nonce(iv, 70_000) == iv[:12]  # needs 3 length bytes
    assert vs.sjcl_ccm_nonce(iv, 1 << 24) == iv[:11]  # and 4 at most
    assert vs.sjcl_ccm_nonce(iv[:8], 40) == iv[:8]  # a short IV widens L instead
    with pytest.raises(ValueError, match="at least 7 bytes"):
        vs.sjcl_ccm_nonce(iv[:6], 40)


# --------------------------------------------------------------------------- TG login pages


def test_tg_login_parameters() -> None:
    page = tg_login_page("sid42", IV_HEX, "0102030405060708")
    assert vs.tg_login_parameters(page) == ("sid42", IV_HEX, "0102030405060708")
    assert vs.tg_login_parameters(CGA_INDEX) is None
    assert vs.tg_login_parameters('var currentSessionId = "x"; var myIv = "";') is None


def test_js_string_var_accepts_both_quotes() -> None:
    assert vs.js_string_var("var a = \"x\"; var b='y';", "b") == "y"
    assert vs.js_string_var('var a = "x";', "a") == "x"
    assert vs.js_string_var('var ab = "x";', "b") is None


def test_tg_credential_cookie() -> None:
    assert vs.tg_credential_cookie(tg_base_script("c-r_e")) == "c-r_e"
    assert vs.tg_credential_cookie("createCookie('credential','abc');") == "abc"
    with pytest.raises(ValueError, match="credential"):
        vs.tg_credential_cookie("createCookie('other','abc');")


# --------------------------------------------------------------------------- CGA pages


def test_parse_cga_docsis() -> None:
    downstream, upstream = vs.parse_cga_docsis(CGA_DOCSIS_STATUS)
    assert downstream[0] == Channel(
        direction=Direction.DOWNSTREAM,
        family=Family.SC_QAM,
        channel_id=1,
        frequency_hz=114_000_000,
        power_dbmv=-1.2,
        snr_db=37.6,
        modulation="64QAM",
        locked=False,
    )
    assert [c.channel_id for c in downstream] == [1, 5, 6, 33]
    ofdm = downstream[-1]
    assert ofdm.family is Family.OFDM
    assert (ofdm.frequency_hz, ofdm.frequency_end_hz) == (751_000_000, 846_000_000)
    assert ofdm.modulation == "4096QAM"
    assert ofdm.snr_db == 39.0
    assert ofdm.locked is True
    assert [c.channel_id for c in upstream] == [1, 2, 9]
    assert upstream[1].modulation == "64QAM"
    assert upstream[1].frequency_hz == 44_400_000
    assert upstream[0].snr_db is None
    ofdma = upstream[-1]
    assert ofdma.family is Family.OFDMA
    assert (ofdma.frequency_hz, ofdma.frequency_end_hz) == (29_800_000, 64_800_000)
    assert ofdma.modulation == "QPSK"
    # No FEC counters on these stations: unknown, never 0.
    assert all(c.corrected is None and c.uncorrected is None for c in downstream + upstream)


def _cga_status() -> dict[str, Any]:
    return copy.deepcopy(CGA_DOCSIS_STATUS)


def test_cga_ofdm_without_edges_uses_the_centre() -> None:
    status = _cga_status()
    for item in status["data"]["ofdm_downstream"] + status["data"]["ofdma_upstream"]:
        del item["start_frequency"], item["end_frequency"]
    status["data"]["ofdm_downstream"][0]["FFT_ofdm"] = "4K"
    status["data"]["ofdma_upstream"][0]["FFT"] = None
    downstream, upstream = vs.parse_cga_docsis(status)
    assert (downstream[-1].frequency_hz, downstream[-1].frequency_end_hz) == (798_000_000, None)
    assert downstream[-1].modulation is None  # "4K" is the FFT size, not a modulation
    assert (upstream[-1].frequency_hz, upstream[-1].frequency_end_hz) == (47_000_000, None)
    assert upstream[-1].modulation is None


def test_cga_values_in_other_units_and_blank() -> None:
    status = _cga_status()
    down = status["data"]["downstream"][0]
    down.update({"CentralFrequency": 602000000, "power": "3.4 dBmV", "SNR": "", "FFT": 256})
    status["data"]["upstream"][0]["CentralFrequency"] = "51000 kHz"
    status["data"]["upstream"][0]["power"] = 44
    downstream, upstream = vs.parse_cga_docsis(status)
    channel = next(c for c in downstream if c.channel_id == 5)
    assert channel.frequency_hz == 602_000_000
    assert channel.power_dbmv == 3.4
    assert channel.snr_db is None
    assert channel.modulation is None
    assert upstream[0].frequency_hz == 51_000_000
    assert upstream[0].power_dbmv == 44.0


def test_cga_only_some_tables() -> None:
    downstream, upstream = vs.parse_cga_docsis({"error": "ok", "data": {"downstream": []}})
    assert downstream == upstream == ()


def _with(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    status = _cga_status()
    target: Any = status
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return status


@pytest.mark.parametrize(
    ("document", "match"),
    [
        ([], "not a JSON object"),
        ("text", "not a JSON object"),
        ({"error": "error", "message": "session expired"}, "session expired"),
        ({"error": "ok"}, "no data object"),
        ({"error": "ok", "data": {"something": []}}, "no channel tables"),
        (_with(("data", "downstream"), {"a": 1}), "not a list"),
        (_with(("data", "upstream"), ["not an object"]), "not an object"),
        (_with(("data", "downstream", 0, "channelid"), "x"), "not a number"),
        (_with(("data", "downstream", 0, "channelid"), "1.5"), "bad channel id"),
        (_with(("data", "downstream", 0, "channelid"), None), "bad channel id"),
        (_with(("data", "downstream", 0, "power"), "high"), "not a number"),
        (_with(("data", "downstream", 0, "power"), [1]), "not a number"),
    ],
)
def test_parse_cga_docsis_rejects_malformed(document: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        vs.parse_cga_docsis(document)


def test_parse_cga_device() -> None:
    assert vs.parse_cga_device(CGA_DEVICE_INFO) == DeviceInfo(
        manufacturer="Technicolor",
        model="CGA4322DE",
        firmware="1.5.3.1-SIM",
        serial="CP0000000000",
        docsis_version="3.1",
    )
    sparse = vs.parse_cga_device({"error": "ok", "data": {"modelName": " ", "softwareVersion": 7}})
    assert sparse.model is None
    assert sparse.firmware == "7"
    with pytest.raises(ValueError, match="not text"):
        vs.parse_cga_device({"error": "ok", "data": {"modelName": {"x": 1}}})


# --------------------------------------------------------------------------- TG pages


def test_parse_tg_docsis() -> None:
    downstream, upstream = vs.parse_tg_docsis(TG_DOCSIS_PAGE)
    assert downstream[0] == Channel(
        direction=Direction.DOWNSTREAM,
        family=Family.SC_QAM,
        channel_id=5,
        frequency_hz=138_000_000,
        power_dbmv=4.6,
        snr_db=40.4,
        modulation="256QAM",
        locked=True,
    )
    assert downstream[1].power_dbmv == -1.2  # the dBmV half of "-1.2 dBmV/58.8 dBuV"
    ofdm = downstream[-1]
    assert ofdm.family is Family.OFDM
    assert (ofdm.frequency_hz, ofdm.frequency_end_hz) == (751_000_000, 846_000_000)
    assert ofdm.modulation == "4096QAM"
    assert [c.family for c in upstream] == [Family.SC_QAM, Family.OFDMA]
    assert upstream[0].snr_db is None
    assert upstream[0].locked is False  # "SUCCESS" is a ranging state, not a lock
    assert upstream[1].frequency_hz == 29_800_000
    assert upstream[1].frequency_end_hz == 64_800_000
    assert all(c.corrected is None and c.uncorrected is None for c in downstream + upstream)


def _tg_page(ds: list[dict[str, Any]], us: list[dict[str, Any]] | None = None) -> str:
    return f"var json_dsData = {json.dumps(ds)};\nvar json_usData = {json.dumps(us or [])};"


def test_tg_upstream_ofdm_is_ofdma() -> None:
    page = _tg_page([], [{"ChannelID": "3", "ChannelType": "OFDM", "Frequency": "10~20"}])
    _, upstream = vs.parse_tg_docsis(page)
    assert upstream[0].family is Family.OFDMA


@pytest.mark.parametrize(
    ("page", "match"),
    [
        ("var json_usData = [];", "json_dsData not found"),
        ("var json_dsData = [];", "json_usData not found"),
        ("var json_dsData = [{];\nvar json_usData = [];", "not a JSON array"),
        (_tg_page([{"ChannelID": "1", "Frequency": "~846"}]), "bad frequency range"),
        (_tg_page(["not an object"]), "not an object"),  # type: ignore[list-item]
        (_tg_page([{"ChannelID": "one"}]), "not a number"),
    ],
)
def test_parse_tg_docsis_rejects_malformed(page: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        vs.parse_tg_docsis(page)


def test_parse_tg_device() -> None:
    device = vs.parse_tg_device(TG_STATUS_PAGE)
    assert device == DeviceInfo(
        manufacturer="Arris",
        model="Vodafone Station (TG)",
        firmware="01.04.046.07.EURO.SIM",
        uptime_seconds=((3 * 24 + 4) * 60 + 25) * 60,
        wan_ipv4="198.51.100.23",
        wan_ipv6="2001:db8::23",
        docsis_version="3.1",
    )
    sparse = vs.parse_tg_device(
        "var js_HWTypeVersion = '7'; var js_ipv6addr = ''; var js_UptimeSinceReboot = '';"
    )
    assert (sparse.firmware, sparse.uptime_seconds, sparse.wan_ipv6) == (None, None, None)


@pytest.mark.parametrize(
    ("page", "match"),
    [
        ("<html>no variables</html>", "not a TG status page"),
        ("var js_FWVersion = '1'; var js_UptimeSinceReboot = '3,4';", "bad uptime"),
        ("var js_FWVersion = '1'; var js_UptimeSinceReboot = 'a,b,c';", "bad uptime"),
    ],
)
def test_parse_tg_device_rejects_malformed(page: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        vs.parse_tg_device(page)
