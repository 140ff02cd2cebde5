"""Pages and login crypto of the Vodafone Station, both hardware variants.

* **CGA** (Technicolor CGA4322DE / CGA6444VF): a JSON API under ``/api/v1``;
  the login hashes the password twice with PBKDF2 and the session is guarded by
  a CSRF token.
* **TG** (Arris TG3442DE / TG6442VF): PHP pages; the login sends the password
  AES-CCM encrypted the way the web UI's SJCL library does, and the channel
  tables are JavaScript arrays inside an HTML page.

Everything here is pure: text or decoded JSON in, model objects out, and
:class:`ValueError` for anything malformed.  Neither variant counts codeword
errors, so ``corrected`` and ``uncorrected`` are always ``None`` (not ``0``).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from ..model import Channel, DeviceInfo, Direction, Family, normalize_modulation

PBKDF2_ITERATIONS = 1000
KEY_BYTES = 16
TG_TAG_BYTES = 16
TG_LOGIN_AAD = b"loginPassword"
TG_NONCE_AAD = b"nonce"
CSRF_NONCE_CHARS = 32

# Values at or below this are MHz, above it Hz (no cable channel sits below 10 kHz).
_MHZ_LIMIT = 10_000
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")

type Channels = tuple[tuple[Channel, ...], tuple[Channel, ...]]


# --------------------------------------------------------------------------- crypto


def pbkdf2_sha256(password: bytes, salt: bytes) -> bytes:
    """Return the 16-byte PBKDF2-HMAC-SHA256 key (1000 rounds) both variants use."""
    return hashlib.pbkdf2_hmac("sha256", password, salt, PBKDF2_ITERATIONS, KEY_BYTES)


def cga_password_hash(password: str, salt: str, saltwebui: str) -> str:
    """Return what a CGA login posts as ``password``: PBKDF2 applied twice.

    The first round hashes the password with ``salt``; the second hashes the
    first result's lower-case hex text (not its bytes) with ``saltwebui``.
    """
    first = pbkdf2_sha256(password.encode(), salt.encode()).hex()
    return pbkdf2_sha256(first.encode(), saltwebui.encode()).hex()


def tg_login_key(password: str, salt_hex: str) -> bytes:
    """Return the TG login key: PBKDF2 of the password with the page's ``mySalt`` bytes."""
    return pbkdf2_sha256(password.encode(), _unhex(salt_hex, "salt"))


def sjcl_ccm_nonce(iv: bytes, message_length: int) -> bytes:
    """Shorten an IV to the CCM nonce the SJCL library would use for a message.

    CCM spends ``L`` bytes of its 15-byte block on the message length (at
    least 2, more for long messages) and the remaining ``15 - L`` on the
    nonce.  SJCL takes the IV's leading bytes; an IV shorter than that widens
    ``L`` instead.
    """
    if len(iv) < 7:
        raise ValueError("a CCM IV needs at least 7 bytes")
    length_bytes = 2
    while length_bytes < 4 and message_length >> (8 * length_bytes):
        length_bytes += 1
    length_bytes = max(length_bytes, 15 - len(iv))
    return iv[: 15 - length_bytes]


def ccm_encrypt(key: bytes, iv: bytes, plaintext: bytes, aad: bytes, tag_bytes: int) -> bytes:
    """Encrypt like SJCL's CCM mode: ciphertext followed by the tag."""
    return AESCCM(key, tag_length=tag_bytes).encrypt(
        sjcl_ccm_nonce(iv, len(plaintext)), plaintext, aad
    )


def ccm_decrypt(key: bytes, iv: bytes, sealed: bytes, aad: bytes, tag_bytes: int) -> bytes:
    """Undo :func:`ccm_encrypt`; ValueError if the tag does not match."""
    if len(sealed) < tag_bytes:
        raise ValueError("ciphertext shorter than its tag")
    nonce = sjcl_ccm_nonce(iv, len(sealed) - tag_bytes)
    try:
        return AESCCM(key, tag_length=tag_bytes).decrypt(nonce, sealed, aad)
    except InvalidTag as err:
        raise ValueError("authentication tag mismatch") from err


def tg_login_payload(
    username: str, password: str, session_id: str, iv_hex: str, salt_hex: str
) -> dict[str, str]:
    """Return the JSON a TG posts to ``/php/ajaxSet_Password.php``."""
    plaintext = json.dumps({"Password": password, "Nonce": session_id}, separators=(",", ":"))
    sealed = ccm_encrypt(
        tg_login_key(password, salt_hex),
        _unhex(iv_hex, "IV"),
        plaintext.encode(),
        TG_LOGIN_AAD,
        TG_TAG_BYTES,
    )
    return {"EncryptData": sealed.hex(), "Name": username, "AuthData": "loginPassword"}


def tg_csrf_nonce(encrypt_data_hex: str, key: bytes, iv_hex: str) -> str:
    """Decrypt the login answer's ``encryptData`` and return the CSRF nonce in it."""
    plain = ccm_decrypt(
        key,
        _unhex(iv_hex, "IV"),
        _unhex(encrypt_data_hex, "encryptData"),
        TG_NONCE_AAD,
        TG_TAG_BYTES,
    )
    try:
        text = plain.decode()
    except UnicodeDecodeError as err:
        raise ValueError("the decrypted nonce is not text") from err
    nonce = text[:CSRF_NONCE_CHARS]
    if not nonce:
        raise ValueError("empty CSRF nonce")
    return nonce


def _unhex(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{what} is not hex") from err


# --------------------------------------------------------------------------- TG login page

_JS_STRING_VAR = r"""\b{name}\s*=\s*(['"])(?P<value>[^'"]*)\1"""
_CREDENTIAL_COOKIE = re.compile(
    r"""createCookie\(\s*(['"])credential\1\s*,\s*(['"])(?P<value>[^'"]+)\2"""
)


def js_string_var(text: str, name: str) -> str | None:
    """Return the string a page's script assigns to a variable, or None if it does not."""
    match = re.search(_JS_STRING_VAR.format(name=re.escape(name)), text)
    return match.group("value") if match else None


def tg_login_parameters(page: str) -> tuple[str, str, str] | None:
    """Return ``(currentSessionId, myIv, mySalt)`` from a TG login page, None if it is not one."""
    session_id = js_string_var(page, "currentSessionId")
    iv_hex = js_string_var(page, "myIv")
    salt_hex = js_string_var(page, "mySalt")
    if session_id is None or not iv_hex or not salt_hex:
        return None
    return session_id, iv_hex, salt_hex


def tg_credential_cookie(script: str) -> str:
    """Return the value ``base_95x.js`` stores in the ``credential`` cookie."""
    match = _CREDENTIAL_COOKIE.search(script)
    if match is None:
        raise ValueError("no credential cookie in the script")
    return match.group("value")


# --------------------------------------------------------------------------- value helpers


def _number(value: object) -> float | None:
    """Return the first number in a value ("3.4 dBmV", 602, "-1.2/61.4"), None if blank."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"not a number: {value!r}")  # noqa: TRY004 - the parser contract is ValueError
    text = value.strip()
    if not text or text in {"-", "--", "N/A", "n/a"}:
        return None
    match = _NUMBER.search(text)
    if match is None:
        raise ValueError(f"not a number: {value!r}")
    return float(match.group())


def _frequency_hz(value: object) -> int | None:
    """Return a frequency in Hz from "602 MHz", "602", 602000000 or "602000000"."""
    number = _number(value)
    if number is None:
        return None
    text = value.upper() if isinstance(value, str) else ""
    if "KHZ" in text:
        return round(number * 1_000)
    if "MHZ" in text or abs(number) <= _MHZ_LIMIT:
        return round(number * 1_000_000)
    return round(number)


def _channel_id(value: object) -> int:
    number = _number(value)
    if number is None or number != int(number):
        raise ValueError(f"bad channel id: {value!r}")
    return int(number)


def _locked(value: object) -> bool | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower().replace(" ", "").replace("_", "") == "locked"


def _record(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: a channel is not an object")  # noqa: TRY004 - the parser contract is ValueError
    return value


def _records(container: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{key} is not a list")  # noqa: TRY004 - the parser contract is ValueError
    return [_record(item, key) for item in value]


def _ofdm_modulation(value: object) -> str | None:
    """Return the modulation of an OFDM block, None for labels like "4K" (the FFT size)."""
    if not isinstance(value, str):
        return None
    normalized = normalize_modulation(value.split("/")[0])
    if normalized is None or not (normalized == "QPSK" or normalized.endswith("QAM")):
        return None
    return normalized


def _modulation(value: object) -> str | None:
    return normalize_modulation(value) if isinstance(value, str) else None


def _sorted(channels: list[Channel]) -> tuple[Channel, ...]:
    return tuple(
        sorted(channels, key=lambda channel: (channel.family != Family.SC_QAM, channel.channel_id))
    )


# --------------------------------------------------------------------------- CGA pages


def _cga_data(document: object) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise ValueError("the answer is not a JSON object")  # noqa: TRY004 - the parser contract is ValueError
    if document.get("error") not in (None, "ok"):
        raise ValueError(f"the modem answered with an error: {document.get('message')!r}")
    data = document.get("data")
    if not isinstance(data, dict):
        raise ValueError("the answer has no data object")  # noqa: TRY004 - the parser contract is ValueError
    return data


def parse_cga_docsis(document: object) -> Channels:
    """Parse ``/api/v1/sta_docsis_status`` into (downstream, upstream) channels."""
    data = _cga_data(document)
    if not any(
        key in data for key in ("downstream", "ofdm_downstream", "upstream", "ofdma_upstream")
    ):
        raise ValueError("no channel tables in the answer")
    downstream = [
        Channel(
            direction=Direction.DOWNSTREAM,
            family=Family.SC_QAM,
            channel_id=_channel_id(item.get("channelid")),
            frequency_hz=_frequency_hz(item.get("CentralFrequency")),
            power_dbmv=_number(item.get("power")),
            snr_db=_number(item.get("SNR")),
            modulation=_modulation(item.get("FFT")),
            locked=_locked(item.get("locked")),
        )
        for item in _records(data, "downstream")
    ]
    for item in _records(data, "ofdm_downstream"):
        start = _frequency_hz(item.get("start_frequency"))
        end = _frequency_hz(item.get("end_frequency"))
        if start is None:
            # Without the edges only the centre is known; it stands in for the block.
            start, end = _frequency_hz(item.get("CentralFrequency_ofdm")), None
        downstream.append(
            Channel(
                direction=Direction.DOWNSTREAM,
                family=Family.OFDM,
                channel_id=_channel_id(item.get("channelid_ofdm")),
                frequency_hz=start,
                frequency_end_hz=end,
                power_dbmv=_number(item.get("power_ofdm")),
                snr_db=_number(item.get("SNR_ofdm")),
                modulation=_ofdm_modulation(item.get("FFT_ofdm")),
                locked=_locked(item.get("locked_ofdm")),
            )
        )
    upstream = [
        Channel(
            direction=Direction.UPSTREAM,
            family=Family.SC_QAM,
            channel_id=_channel_id(item.get("channelidup")),
            frequency_hz=_frequency_hz(item.get("CentralFrequency")),
            power_dbmv=_number(item.get("power")),
            modulation=_modulation(item.get("FFT")),
        )
        for item in _records(data, "upstream")
    ]
    for item in _records(data, "ofdma_upstream"):
        start = _frequency_hz(item.get("start_frequency"))
        end = _frequency_hz(item.get("end_frequency"))
        if start is None:
            start, end = _frequency_hz(item.get("CentralFrequency")), None
        upstream.append(
            Channel(
                direction=Direction.UPSTREAM,
                family=Family.OFDMA,
                channel_id=_channel_id(item.get("channelidup")),
                frequency_hz=start,
                frequency_end_hz=end,
                power_dbmv=_number(item.get("power")),
                modulation=_ofdm_modulation(item.get("FFT")),
            )
        )
    return _sorted(downstream), _sorted(upstream)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    raise ValueError(f"not text: {value!r}")


def parse_cga_device(document: object) -> DeviceInfo:
    """Parse ``/api/v1/sta_device_info``."""
    data = _cga_data(document)
    return DeviceInfo(
        manufacturer="Technicolor",
        model=_text(data.get("modelName")),
        firmware=_text(data.get("softwareVersion")),
        serial=_text(data.get("serialNumber")),
        docsis_version="3.1",
    )


# --------------------------------------------------------------------------- TG pages


def _js_array(page: str, name: str) -> list[dict[str, Any]]:
    match = re.search(rf"\b{re.escape(name)}\s*=\s*\[", page)
    if match is None:
        raise ValueError(f"{name} not found in the page")
    try:
        value, _ = json.JSONDecoder().raw_decode(page, match.end() - 1)
    except ValueError as err:
        raise ValueError(f"{name} is not a JSON array: {err}") from err
    # raw_decode starting at "[" can only give a list.
    return [_record(item, name) for item in value]


def _tg_frequency(value: object) -> tuple[int | None, int | None]:
    """Return (start or centre, end) in Hz; an OFDM block comes as "start~end"."""
    if isinstance(value, str) and "~" in value:
        low, _, high = value.partition("~")
        start, end = _frequency_hz(low), _frequency_hz(high)
        if start is None or end is None:
            raise ValueError(f"bad frequency range: {value!r}")
        return start, end
    return _frequency_hz(value), None


def _tg_family(value: object, direction: Direction) -> Family:
    kind = str(value or "").upper().replace("-", "").replace(" ", "")
    if kind == "OFDMA":
        return Family.OFDMA
    if kind == "OFDM":
        return Family.OFDMA if direction is Direction.UPSTREAM else Family.OFDM
    return Family.SC_QAM


def _tg_channel(item: dict[str, Any], direction: Direction) -> Channel:
    family = _tg_family(item.get("ChannelType"), direction)
    start, end = _tg_frequency(item.get("Frequency"))
    raw_modulation = item.get("Modulation")
    modulation = (
        _modulation(raw_modulation) if family is Family.SC_QAM else _ofdm_modulation(raw_modulation)
    )
    return Channel(
        direction=direction,
        family=family,
        channel_id=_channel_id(item.get("ChannelID")),
        frequency_hz=start,
        frequency_end_hz=end,
        # "3.4 dBmV/63.4 dBuV": the first number is the dBmV value.
        power_dbmv=_number(item.get("PowerLevel")),
        snr_db=_number(item.get("SNRLevel")) if direction is Direction.DOWNSTREAM else None,
        modulation=modulation,
        locked=_locked(item.get("LockStatus")),
    )


def parse_tg_docsis(page: str) -> Channels:
    """Parse ``/php/status_docsis_data.php`` (``json_dsData`` and ``json_usData``)."""
    downstream = [
        _tg_channel(item, Direction.DOWNSTREAM) for item in _js_array(page, "json_dsData")
    ]
    upstream = [_tg_channel(item, Direction.UPSTREAM) for item in _js_array(page, "json_usData")]
    return _sorted(downstream), _sorted(upstream)


def _tg_uptime(value: str | None) -> int | None:
    """Return seconds from the "days,hours,minutes" uptime of the status page."""
    if value is None or not value.strip():
        return None
    parts = value.split(",")
    if len(parts) != 3 or not all(part.strip().isdigit() for part in parts):
        raise ValueError(f"bad uptime: {value!r}")
    days, hours, minutes = (int(part) for part in parts)
    return ((days * 24 + hours) * 60 + minutes) * 60


def parse_tg_device(page: str) -> DeviceInfo:
    """Parse ``/php/status_status_data.php`` (``js_*`` variables)."""
    firmware = js_string_var(page, "js_FWVersion")
    hardware = js_string_var(page, "js_HWTypeVersion")
    if firmware is None and hardware is None:
        raise ValueError("not a TG status page")
    model = js_string_var(page, "js_ModelName")
    return DeviceInfo(
        manufacturer="Arris",
        model=model or "Vodafone Station (TG)",
        firmware=firmware or None,
        uptime_seconds=_tg_uptime(js_string_var(page, "js_UptimeSinceReboot")),
        wan_ipv4=js_string_var(page, "js_ipv4addr") or None,
        wan_ipv6=js_string_var(page, "js_ipv6addr") or None,
        docsis_version="3.1",
    )
