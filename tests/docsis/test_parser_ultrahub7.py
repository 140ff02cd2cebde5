"""Pure parsing and login crypto of the Vodafone Ultra Hub 7.

No capture of the hub is in shared/fixtures; the pages come from the
simulator, which builds them from the protocol notes.  The crypto is checked
against answers computed independently (OpenSSL through Node.js) and against
the simulator's own decryption.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from custom_components.docsight.docsis.model import Channel, Direction, Family
from custom_components.docsight.docsis.parsers import ultrahub7 as uh7
from tests.sim.ultrahub7 import (
    DOWNSTREAM_LIST,
    PASSWORD,
    UPSTREAM_LIST,
    WEB_UI_SECRET,
    config_details,
    decrypt_password,
)

IV = bytes(range(16))

# --------------------------------------------------------------------------- crypto


def test_login_key_known_answer() -> None:
    # node: crypto.pbkdf2Sync(secret.slice(0, 10), secret.slice(10), 1000, 16, "sha256")
    assert uh7.login_key(WEB_UI_SECRET).hex() == "bfb4b21d8b82347e2c9ea25b6a343eff"


def test_encrypt_password_known_answer() -> None:
    # node: aes-128-ccm, nonce = IV[:13], 8-byte tag, no AAD.
    envelope = json.loads(uh7.encrypt_password(PASSWORD, WEB_UI_SECRET, IV))
    assert envelope == {
        "iv": "AAECAwQFBgcICQoLDA0ODw==",
        "v": 1,
        "iter": 1000,
        "ks": 128,
        "ts": 64,
        "mode": "ccm",
        "adata": "",
        "cipher": "aes",
        "ct": "s5yKObc50FmzrwnBMIUw/bVlgA==",
    }


@pytest.mark.parametrize("password", ["x", PASSWORD, "ä" * 40, "p" * 300])
def test_the_simulator_decrypts_what_the_parser_encrypts(password: str) -> None:
    assert decrypt_password(uh7.encrypt_password(password, WEB_UI_SECRET, IV)) == password


def test_a_different_secret_does_not_decrypt() -> None:
    envelope = uh7.encrypt_password(PASSWORD, WEB_UI_SECRET, IV)
    with pytest.raises(ValueError, match="tag"):
        decrypt_password(envelope, "0123456789" + WEB_UI_SECRET[10:])


def test_encrypt_password_rejects_a_short_iv() -> None:
    with pytest.raises(ValueError, match="IV"):
        uh7.encrypt_password(PASSWORD, WEB_UI_SECRET, IV[:8])


def test_login_key_rejects_a_short_secret() -> None:
    with pytest.raises(ValueError, match="short"):
        uh7.login_key("0123456789")


def test_login_form() -> None:
    form = uh7.login_form("3", PASSWORD, WEB_UI_SECRET, "tok", IV)
    assert form["__id"] == "3"
    assert form["Push"] == "true"
    assert form["csrf_token"] == "tok"
    assert decrypt_password(form["X_VODAFONE_Password"]) == PASSWORD
    assert base64.b64decode(json.loads(form["X_VODAFONE_Password"])["iv"]) == IV


# --------------------------------------------------------------------------- login answers


def test_session_parameters() -> None:
    assert uh7.session_parameters(config_details("abc", "7")) == ("7", "abc")
    # The id defaults to "3".
    assert uh7.session_parameters({"csrf_token": "abc"}) == ("3", "abc")
    assert uh7.session_parameters({"csrf_token": "abc", "X_INTERNAL_ID": 4}) == ("4", "abc")


@pytest.mark.parametrize(
    "document",
    [
        [],
        "text",
        {},
        {"csrf_token": ""},
        {"csrf_token": None},
        {"csrf_token": True},
        {"csrf_token": 1.5},
    ],
)
def test_session_parameters_need_a_token(document: object) -> None:
    with pytest.raises(ValueError, match=r"csrf_token|object"):
        uh7.session_parameters(document)


def test_web_ui_secret() -> None:
    assert uh7.web_ui_secret({"X_VODAFONE_WebUISecret": WEB_UI_SECRET}) == WEB_UI_SECRET


@pytest.mark.parametrize(
    "document", [{}, {"X_VODAFONE_WebUISecret": "short"}, {"X_VODAFONE_WebUISecret": None}, [1]]
)
def test_web_ui_secret_must_be_usable(document: object) -> None:
    with pytest.raises(ValueError, match=r"WebUISecret|object"):
        uh7.web_ui_secret(document)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            {"X_INTERNAL_Password_Status": "Valid_PWD", "csrf_token": "t"},
            uh7.LoginAnswer(uh7.LoginOutcome.OK, csrf_token="t"),
        ),
        ({}, uh7.LoginAnswer(uh7.LoginOutcome.OK)),
        (
            {"X_INTERNAL_Password_Status": "Invalid_PWD", "X_INTERNAL_Is_Duplicate": "true"},
            uh7.LoginAnswer(uh7.LoginOutcome.INVALID_PASSWORD),
        ),
        (
            {"X_INTERNAL_Password_Status": "Valid_PWD", "X_INTERNAL_Is_Duplicate": "true"},
            uh7.LoginAnswer(uh7.LoginOutcome.DUPLICATE),
        ),
        (
            {"X_INTERNAL_Is_Duplicate": True, "csrf_token": "d"},
            uh7.LoginAnswer(uh7.LoginOutcome.DUPLICATE, csrf_token="d"),
        ),
        (
            {"X_INTERNAL_Password_Status": "Locked", "X_INTERNAL_Remaining_Time": "95"},
            uh7.LoginAnswer(uh7.LoginOutcome.LOCKED, wait_seconds=95.0),
        ),
        (
            {"X_INTERNAL_Password_Status": "Account_Lockout"},
            uh7.LoginAnswer(uh7.LoginOutcome.LOCKED),
        ),
    ],
)
def test_parse_login(document: object, expected: uh7.LoginAnswer) -> None:
    assert uh7.parse_login(document) == expected


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"X_INTERNAL_Password_Status": "Strange"},
        {"csrf_token": "t", "X_INTERNAL_Password_Status": 1},
    ],
)
def test_parse_login_rejects_odd_answers(document: object) -> None:
    with pytest.raises(ValueError, match=r"status|object"):
        uh7.parse_login(document)


# --------------------------------------------------------------------------- channels


def test_parse_docsis_pages() -> None:
    downstream, upstream = uh7.parse_docsis(DOWNSTREAM_LIST, UPSTREAM_LIST)
    assert downstream == (
        Channel(
            direction=Direction.DOWNSTREAM,
            family=Family.SC_QAM,
            channel_id=1,
            frequency_hz=114_000_000,
            power_dbmv=5.2,
            snr_db=40.4,
            modulation="256QAM",
            locked=True,
        ),
        Channel(
            direction=Direction.DOWNSTREAM,
            family=Family.SC_QAM,
            channel_id=2,
            frequency_hz=122_000_000,
            power_dbmv=4.9,
            snr_db=40.1,
            modulation="256QAM",
            locked=True,
        ),
        # An SNR of 0 means "not measured", not a dead channel.
        Channel(
            direction=Direction.DOWNSTREAM,
            family=Family.SC_QAM,
            channel_id=3,
            frequency_hz=130_000_000,
            power_dbmv=-0.8,
            snr_db=None,
            modulation="64QAM",
            locked=False,
        ),
        Channel(
            direction=Direction.DOWNSTREAM,
            family=Family.OFDM,
            channel_id=33,
            frequency_hz=751_000_000,
            power_dbmv=2.1,
            snr_db=41.9,
            modulation=None,
            locked=True,
        ),
    )
    assert [(c.channel_id, c.family, c.frequency_hz) for c in upstream] == [
        (1, Family.SC_QAM, 51_000_000),
        (2, Family.SC_QAM, 44_400_000),
        (9, Family.OFDMA, 29_800_000),
    ]
    assert all(c.snr_db is None for c in upstream)
    assert upstream[2].modulation is None


def test_counters_are_unknown_not_zero() -> None:
    downstream, upstream = uh7.parse_docsis(DOWNSTREAM_LIST, UPSTREAM_LIST)
    for channel in downstream + upstream:
        assert channel.corrected is None
        assert channel.uncorrected is None


def test_device_is_fixed() -> None:
    assert uh7.DEVICE.manufacturer == "Sercomm"
    assert uh7.DEVICE.model == "Vodafone Ultra Hub 7"
    assert uh7.DEVICE.docsis_version == "3.1"
    assert uh7.DEVICE.firmware is None


def _one(**fields: Any) -> dict[str, Any]:
    return {"channels": [{"ChannelID": "7", **fields}]}


@pytest.mark.parametrize(
    ("fields", "direction", "family", "modulation"),
    [
        (
            {"ChannelType": "OFDM", "Modulation": "qam4096"},
            Direction.DOWNSTREAM,
            Family.OFDM,
            "4096QAM",
        ),
        ({"ChannelType": "OFDM", "Modulation": "QPSK"}, Direction.UPSTREAM, Family.OFDMA, "QPSK"),
        ({"Modulation": "OFDM"}, Direction.UPSTREAM, Family.OFDMA, None),
        ({"Modulation": "qam-256"}, Direction.DOWNSTREAM, Family.SC_QAM, "256QAM"),
        ({"Modulation": None}, Direction.DOWNSTREAM, Family.SC_QAM, None),
        ({"ChannelType": "OFDMA", "Modulation": 5}, Direction.UPSTREAM, Family.OFDMA, None),
    ],
)
def test_family_and_modulation(
    fields: dict[str, Any], direction: Direction, family: Family, modulation: str | None
) -> None:
    (channel,) = uh7.parse_channels(_one(**fields), direction)
    assert channel.family is family
    assert channel.modulation == modulation


def test_blank_values_are_none() -> None:
    (channel,) = uh7.parse_channels(
        _one(Frequency="", PowerLevel="--", SNRLevel="", LockStatus=""), Direction.DOWNSTREAM
    )
    assert channel.frequency_hz is None
    assert channel.power_dbmv is None
    assert channel.snr_db is None
    assert channel.locked is None


def test_empty_lists_are_fine() -> None:
    assert uh7.parse_docsis({"channels": []}, {"channels": None}) == ((), ())


@pytest.mark.parametrize(
    "document",
    [
        [],
        {},
        {"error": "unauthorized"},
        {"channels": "none"},
        {"channels": ["x"]},
        {"channels": [{"ChannelID": "one"}]},
        {"channels": [{"ChannelID": "1", "PowerLevel": "high"}]},
        {"channels": [{"ChannelID": "1", "Frequency": {"MHz": 1}}]},
    ],
)
def test_malformed_lists_are_value_errors(document: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any parser complaint will do
        uh7.parse_channels(document, Direction.DOWNSTREAM)


def test_the_simulator_pages_are_not_mutated() -> None:
    before = copy.deepcopy(DOWNSTREAM_LIST)
    uh7.parse_docsis(DOWNSTREAM_LIST, UPSTREAM_LIST)
    assert before == DOWNSTREAM_LIST
