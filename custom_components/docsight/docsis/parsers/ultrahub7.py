"""Pages and login crypto of the Vodafone Ultra Hub 7 (Sercomm).

The hub serves JSON under ``/api``.  Its login encrypts the password the way
the web UI's SJCL library does: AES-CCM with an 8-byte tag and no associated
data, under a key that PBKDF2 derives from the hub's ``X_VODAFONE_WebUISecret``
(its first ten characters are the "password", the rest the salt).  The result
is posted as SJCL's JSON envelope with base64 fields.

Everything here is pure: decoded JSON in, model objects out, and
:class:`ValueError` for anything malformed.  The hub counts no codeword
errors, so ``corrected`` and ``uncorrected`` are always ``None`` (not ``0``),
and it tells nothing about itself, so the device info is fixed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from enum import StrEnum
import json
from typing import Any

from ..model import Channel, DeviceInfo, Direction, Family, normalize_modulation
from .vodafone_station import (
    PBKDF2_ITERATIONS,
    _channel_id,
    _frequency_hz,
    _locked,
    _number,
    _records,
    _sorted,
    ccm_encrypt,
    pbkdf2_sha256,
)

SALT_WEB_UI_CHARS = 10
TAG_BYTES = 8
IV_BYTES = 16
DEFAULT_INTERNAL_ID = "3"

DEVICE = DeviceInfo(manufacturer="Sercomm", model="Vodafone Ultra Hub 7", docsis_version="3.1")

type Channels = tuple[tuple[Channel, ...], tuple[Channel, ...]]


# --------------------------------------------------------------------------- login


class LoginOutcome(StrEnum):
    """What the hub said to a login."""

    OK = "ok"
    INVALID_PASSWORD = "invalid_password"  # noqa: S105 - an outcome, not a password
    DUPLICATE = "duplicate"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class LoginAnswer:
    """The parsed answer of ``POST /api/users/login.jst``."""

    outcome: LoginOutcome
    csrf_token: str | None = None
    wait_seconds: float | None = None


def _object(document: object) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise ValueError("the answer is not a JSON object")  # noqa: TRY004 - the parser contract is ValueError
    return document


def _string(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int):
        text = str(value).strip()
        return text or None
    return None


def session_parameters(document: object) -> tuple[str, str]:
    """Return ``(X_INTERNAL_ID, csrf_token)`` from ``/api/config/details.jst``.

    The id defaults to "3" when the hub leaves it out; the token is required.
    """
    data = _object(document)
    token = _string(data.get("csrf_token"))
    if token is None:
        raise ValueError("no csrf_token in the answer")
    return _string(data.get("X_INTERNAL_ID")) or DEFAULT_INTERNAL_ID, token


def web_ui_secret(document: object) -> str:
    """Return ``X_VODAFONE_WebUISecret`` from ``/api/users/details.jst``."""
    secret = _string(_object(document).get("X_VODAFONE_WebUISecret"))
    if secret is None or len(secret) <= SALT_WEB_UI_CHARS:
        raise ValueError("no usable X_VODAFONE_WebUISecret in the answer")
    return secret


def login_key(secret: str) -> bytes:
    """Return the AES key: PBKDF2 of the secret's first ten characters, salted with the rest."""
    if len(secret) <= SALT_WEB_UI_CHARS:
        raise ValueError("the web UI secret is too short")
    salt_web_ui, salt = secret[:SALT_WEB_UI_CHARS], secret[SALT_WEB_UI_CHARS:]
    return pbkdf2_sha256(salt_web_ui.encode(), salt.encode())


def encrypt_password(password: str, secret: str, iv: bytes) -> str:
    """Return the SJCL JSON envelope the login posts as ``X_VODAFONE_Password``."""
    if len(iv) != IV_BYTES:
        raise ValueError(f"the IV must have {IV_BYTES} bytes")
    sealed = ccm_encrypt(login_key(secret), iv, password.encode(), b"", TAG_BYTES)
    envelope = {
        "iv": base64.b64encode(iv).decode(),
        "v": 1,
        "iter": PBKDF2_ITERATIONS,
        "ks": 128,
        "ts": TAG_BYTES * 8,
        "mode": "ccm",
        "adata": "",
        "cipher": "aes",
        "ct": base64.b64encode(sealed).decode(),
    }
    return json.dumps(envelope, separators=(",", ":"))


def login_form(
    internal_id: str, password: str, secret: str, csrf_token: str, iv: bytes
) -> dict[str, str]:
    """Return the form ``POST /api/users/login.jst`` takes.

    ``Push=true`` asks the hub to end another client's session, which it
    answers with ``X_INTERNAL_Is_Duplicate`` (see :func:`parse_login`).
    """
    return {
        "__id": internal_id,
        "X_VODAFONE_Password": encrypt_password(password, secret, iv),
        "Push": "true",
        "csrf_token": csrf_token,
    }


def parse_login(document: object) -> LoginAnswer:
    """Tell what the login answer means.

    ``X_INTERNAL_Password_Status`` "Invalid_PWD" is a wrong password and
    ``X_INTERNAL_Is_Duplicate`` "true" another session in the way.  A status
    mentioning a lock (with the seconds left in ``X_INTERNAL_Remaining_Time``)
    is our assumption of how the hub reports a lockout; the notes are silent.
    """
    data = _object(document)
    status = (_string(data.get("X_INTERNAL_Password_Status")) or "").lower()
    token = _string(data.get("csrf_token"))
    if "lock" in status:
        wait = _number(data.get("X_INTERNAL_Remaining_Time"))
        return LoginAnswer(LoginOutcome.LOCKED, wait_seconds=wait)
    if status == "invalid_pwd":
        return LoginAnswer(LoginOutcome.INVALID_PASSWORD)
    if str(data.get("X_INTERNAL_Is_Duplicate", "")).lower() == "true":
        return LoginAnswer(LoginOutcome.DUPLICATE, csrf_token=token)
    if status not in ("", "ok", "valid", "valid_pwd", "success"):
        raise ValueError(f"unknown password status {status!r}")
    return LoginAnswer(LoginOutcome.OK, csrf_token=token)


# --------------------------------------------------------------------------- channels


def _family(item: dict[str, Any], direction: Direction) -> Family:
    kind = str(item.get("ChannelType") or item.get("Modulation") or "").upper()
    kind = kind.replace("-", "").replace(" ", "")
    if kind == "OFDMA" or (kind == "OFDM" and direction is Direction.UPSTREAM):
        return Family.OFDMA
    if kind == "OFDM":
        return Family.OFDM
    return Family.SC_QAM


def _channel_modulation(value: object, family: Family) -> str | None:
    if not isinstance(value, str):
        return None
    normalized = normalize_modulation(value)
    if family is Family.SC_QAM:
        return normalized
    # OFDM blocks are labelled "OFDM"/"OFDMA", which names no constellation.
    if normalized is not None and (normalized == "QPSK" or normalized.endswith("QAM")):
        return normalized
    return None


def _snr(value: object) -> float | None:
    number = _number(value)
    return number if number is not None and number > 0 else None


def _channel(item: dict[str, Any], direction: Direction) -> Channel:
    family = _family(item, direction)
    return Channel(
        direction=direction,
        family=family,
        channel_id=_channel_id(item.get("ChannelID")),
        # For an OFDM block the hub gives one frequency; it stands in for the lower edge.
        frequency_hz=_frequency_hz(item.get("Frequency")),
        power_dbmv=_number(item.get("PowerLevel")),
        snr_db=_snr(item.get("SNRLevel")) if direction is Direction.DOWNSTREAM else None,
        modulation=_channel_modulation(item.get("Modulation"), family),
        locked=_locked(item.get("LockStatus")),
    )


def parse_channels(document: object, direction: Direction) -> tuple[Channel, ...]:
    """Parse ``/api/docsis/{downstream,upstream}/list.jst`` (a ``channels`` list)."""
    data = _object(document)
    if "channels" not in data:
        raise ValueError("no channels list in the answer")
    return _sorted([_channel(item, direction) for item in _records(data, "channels")])


def parse_docsis(downstream: object, upstream: object) -> Channels:
    """Parse both channel lists into (downstream, upstream)."""
    return (
        parse_channels(downstream, Direction.DOWNSTREAM),
        parse_channels(upstream, Direction.UPSTREAM),
    )
