"""Parsers and login arithmetic for the Arris SURFboard S33/S34/SB8200 (HNAP).

The SURFboard web app talks JSON HNAP to ``/HNAP1/``.  Every request carries
``HNAP_AUTH: <HMAC(key, timestamp + SOAPACTION)> <timestamp>``; before login
the key is the fixed string ``withoutloginkey``, after it the PrivateKey.
The login has two steps:

1. ``Login`` with ``Action: request`` answers a Challenge, a Cookie (the
   session id) and a PublicKey;
2. PrivateKey = HMAC(PublicKey + password, Challenge), LoginPassword =
   HMAC(PrivateKey, Challenge) (both upper-case hex), sent with
   ``Action: login`` and the cookies ``uid=<Cookie>; PrivateKey=<PrivateKey>``.

The HMAC hash is SHA-256 on the S34 and MD5 on older firmware (S33, SB8200).

Data comes from one ``GetMultipleHNAPs`` call.  Its action names carry a
namespace: ``GetCustomerStatus…`` on Arris firmware, ``GetMotoStatus…`` on
firmware shared with Motorola (SB8200 HNAP, MB8611).  Each channel table is
one string: rows separated by ``|+|``, fields by ``^``:

* downstream (9): number, lock, modulation, channel ID, frequency, power,
  SNR, corrected, uncorrected.  "OFDM" in the modulation is the 3.1 block.
* upstream (7): number, lock, type, channel ID, width (or symbol rate),
  frequency, power.

Frequencies come in Hz on Arris firmware and in MHz on Moto firmware
("543.0"); the upstream fourth field is a width in Hz (6400000) or a symbol
rate in ksym/s (5120).  Both are told apart by size.

Pure: JSON documents in, model objects out, ``ValueError`` for what is not
the expected answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import hmac
import math
import re
from typing import Literal

from ..model import Channel, DeviceInfo, Direction, Family, normalize_modulation
from .cells import uptime_seconds

MANUFACTURER = "Arris"
DEFAULT_MODEL = "SURFboard"
HNAP_PATH = "/HNAP1/"
HNAP_NAMESPACE_URI = "http://purenetworks.com/HNAP1/"
PRE_LOGIN_KEY = "withoutloginkey"
NAMESPACES = ("Customer", "Moto")

# HNAP timestamps are milliseconds modulo 2 * 10^12, as the web app makes them.
TIMESTAMP_MODULUS = 2_000_000_000_000

type Algorithm = Literal["sha256", "md5"]
ALGORITHMS: tuple[Algorithm, ...] = ("sha256", "md5")

_ROW_SEPARATOR = "|+|"
_FIELD_SEPARATOR = "^"
_DS_FIELDS = 9
_US_FIELDS = 7
_MHZ = 1_000_000
_WIDTH_PER_SYMBOL = 1.25  # an ATDMA channel's width over its symbol rate
_UPTIME = re.compile(r"(?:(\d+)\s*days?\s*)?(\d+)\s*h\s*:\s*(\d+)\s*m\s*:\s*(\d+)\s*s", re.I)
_DOCSIS = re.compile(r"DOCSIS\s*(\d+\.\d+)", re.I)


# --- login arithmetic ------------------------------------------------------------


def hnap_hmac(algorithm: Algorithm, key: str, message: str) -> str:
    """Return HMAC(key, message) as upper-case hex, as the web app computes it."""
    return hmac.new(key.encode(), message.encode(), algorithm).hexdigest().upper()


def soap_action(action: str) -> str:
    """Return the SOAPACTION header for an action, quotes included (they are signed too)."""
    return f'"{HNAP_NAMESPACE_URI}{action}"'


def hnap_auth(algorithm: Algorithm, key: str, action: str, timestamp_ms: int) -> str:
    """Return the HNAP_AUTH header: the signature of timestamp + SOAPACTION, then the timestamp."""
    timestamp = str(timestamp_ms % TIMESTAMP_MODULUS)
    return f"{hnap_hmac(algorithm, key, timestamp + soap_action(action))} {timestamp}"


def private_key(algorithm: Algorithm, public_key: str, password: str, challenge: str) -> str:
    """Return the session's PrivateKey: HMAC(PublicKey + password, Challenge)."""
    return hnap_hmac(algorithm, public_key + password, challenge)


def login_password(algorithm: Algorithm, key: str, challenge: str) -> str:
    """Return the LoginPassword of the second login step: HMAC(PrivateKey, Challenge)."""
    return hnap_hmac(algorithm, key, challenge)


@dataclass(frozen=True, slots=True)
class LoginChallenge:
    """What the first login step answers."""

    challenge: str
    cookie: str
    public_key: str


def _object(document: object, key: str) -> Mapping[str, object]:
    if not isinstance(document, Mapping):
        raise ValueError("the HNAP answer is not a JSON object")  # noqa: TRY004 - the parser contract is ValueError
    value = document.get(key)
    if not isinstance(value, Mapping):
        raise ValueError(f"the HNAP answer has no {key}")  # noqa: TRY004 - the parser contract is ValueError
    return value


def login_result(document: object) -> str:
    """Return the LoginResult of a login answer, upper-cased ("OK", "FAILED", "RELOAD")."""
    result = _object(document, "LoginResponse").get("LoginResult")
    if not isinstance(result, str):
        raise ValueError("the login answer has no LoginResult")  # noqa: TRY004 - the parser contract is ValueError
    return result.strip().upper()


def parse_login_challenge(document: object) -> LoginChallenge:
    """Read Challenge, Cookie and PublicKey from the first login step's answer."""
    response = _object(document, "LoginResponse")
    values = {key: response.get(key) for key in ("Challenge", "Cookie", "PublicKey")}
    missing = [key for key, value in values.items() if not isinstance(value, str) or not value]
    if missing:
        raise ValueError(f"the login challenge lacks {', '.join(missing)}")
    return LoginChallenge(
        challenge=str(values["Challenge"]),
        cookie=str(values["Cookie"]),
        public_key=str(values["PublicKey"]),
    )


# --- GetMultipleHNAPs ---------------------------------------------------------------


def status_actions(namespace: str) -> tuple[str, ...]:
    """Return the actions one poll asks for in this namespace."""
    extra = "GetArrisDeviceStatus" if namespace == "Customer" else "GetMotoStatusSoftware"
    return (
        f"Get{namespace}StatusDownstreamChannelInfo",
        f"Get{namespace}StatusUpstreamChannelInfo",
        f"Get{namespace}StatusStartupSequence",
        f"Get{namespace}StatusConnectionInfo",
        extra,
    )


def multiple_result(document: object) -> str | None:
    """Return GetMultipleHNAPsResult ("OK", "UN-AUTH", "RELOAD"), if the answer has one."""
    if not isinstance(document, Mapping):
        return None
    response = document.get("GetMultipleHNAPsResponse")
    if not isinstance(response, Mapping):
        return None
    result = response.get("GetMultipleHNAPsResult")
    return result.strip().upper() if isinstance(result, str) else None


def detect_namespace(document: object) -> str | None:
    """Return the namespace whose channel answer the document carries, if any."""
    if not isinstance(document, Mapping):
        return None
    response = document.get("GetMultipleHNAPsResponse")
    if not isinstance(response, Mapping):
        return None
    for namespace in NAMESPACES:
        if isinstance(response.get(f"Get{namespace}StatusDownstreamChannelInfoResponse"), Mapping):
            return namespace
    return None


def split_rows(raw: str) -> list[list[str]]:
    """Split a channel string into rows of stripped fields (the trailing ``^`` ignored)."""
    rows = []
    for row in raw.split(_ROW_SEPARATOR):
        if not row.strip():
            continue
        fields = [field.strip() for field in row.split(_FIELD_SEPARATOR)]
        if fields and not fields[-1]:
            fields.pop()
        rows.append(fields)
    return rows


def _number(text: str, what: str) -> float | None:
    """Return a finite number; None for an empty field or "-inf" (a channel not in use)."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what} is not a number: {text!r}") from None
    return value if math.isfinite(value) else None


def _int(text: str, what: str) -> int | None:
    value = _number(text, what)
    return None if value is None else int(value)


def _hz(text: str, what: str) -> int | None:
    """Return Hz from a field in Hz (Arris) or MHz (Moto firmware: "543.0")."""
    value = _number(text, what)
    if not value:
        return None
    return round(value * _MHZ) if value < 10_000 else round(value)


def _symbol_rate(text: str) -> float | None:
    """Return ksym/s from a width in Hz (6400000) or a symbol rate in ksym/s (5120)."""
    value = _number(text, "Width")
    if not value:
        return None
    return round(value / _WIDTH_PER_SYMBOL / 1000, 3) if value >= 100_000 else value


def _fields(row: list[str], width: int, what: str) -> list[str]:
    if len(row) < width:
        raise ValueError(f"a {what} row has {len(row)} fields, expected {width}: {row}")
    return row


def parse_downstream(raw: str) -> list[Channel]:
    """Parse the downstream channel string; rows without a channel ID are unused receivers."""
    channels = []
    for row in split_rows(raw):
        _num, lock, modulation, channel_id, freq, power, snr, corr, uncorr = _fields(
            row, _DS_FIELDS, "downstream"
        )[:_DS_FIELDS]
        identifier = _int(channel_id, "channel ID")
        if not identifier:
            continue
        ofdm = "OFDM" in modulation.upper()
        channels.append(
            Channel(
                direction=Direction.DOWNSTREAM,
                family=Family.OFDM if ofdm else Family.SC_QAM,
                channel_id=identifier,
                frequency_hz=_hz(freq, "frequency"),
                power_dbmv=_number(power, "power"),
                snr_db=_number(snr, "SNR"),
                modulation=None if ofdm else normalize_modulation(modulation),
                corrected=_int(corr, "corrected"),
                uncorrected=_int(uncorr, "uncorrected"),
                locked=lock.lower() == "locked",
            )
        )
    return channels


def parse_upstream(raw: str) -> list[Channel]:
    """Parse the upstream channel string; rows without a channel ID are unused transmitters."""
    channels = []
    for row in split_rows(raw):
        _num, lock, kind, channel_id, width, freq, power = _fields(row, _US_FIELDS, "upstream")[
            :_US_FIELDS
        ]
        identifier = _int(channel_id, "channel ID")
        if not identifier:
            continue
        ofdma = "OFDM" in kind.upper()
        channels.append(
            Channel(
                direction=Direction.UPSTREAM,
                family=Family.OFDMA if ofdma else Family.SC_QAM,
                channel_id=identifier,
                frequency_hz=_hz(freq, "frequency"),
                power_dbmv=_number(power, "power"),
                symbol_rate_ksym=None if ofdma else _symbol_rate(width),
                locked=lock.lower() == "locked",
            )
        )
    return channels


@dataclass(frozen=True, slots=True)
class HnapStatus:
    """What one GetMultipleHNAPs answer says."""

    namespace: str
    downstream: tuple[Channel, ...]
    upstream: tuple[Channel, ...]
    device: DeviceInfo


def parse_uptime(value: str | None) -> int | None:
    """Turn "47 days 21h:15m:38s" into seconds; None when absent or unreadable."""
    return uptime_seconds(_UPTIME, value)


def _text(fields: Mapping[str, object], *keys: str) -> str | None:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str) and value.strip() and value.strip().upper() != "N/A":
            return value.strip()
    return None


def _device(fields: Mapping[str, object], namespace: str) -> DeviceInfo:
    serial = _text(fields, "StatusSoftwareSerialNum")
    docsis = _DOCSIS.search(_text(fields, "StatusSoftwareSpecVer") or "")
    return DeviceInfo(
        manufacturer=MANUFACTURER,
        model=_text(fields, "StatusSoftwareModelName", "StatusSoftwareModelName2") or DEFAULT_MODEL,
        firmware=_text(fields, "StatusSoftwareSfVer", "FirmwareVersion"),
        uptime_seconds=parse_uptime(_text(fields, f"{namespace}ConnSystemUpTime")),
        serial=None if serial is None or "*" in serial else serial,
        mac=_text(fields, "StatusSoftwareMac"),
        docsis_version=docsis.group(1) if docsis else None,
    )


def parse_hnap_status(document: object, namespace: str | None = None) -> HnapStatus:
    """Parse a GetMultipleHNAPs answer into channels and device details.

    ``namespace`` is detected from the answer when not given.

    Raises:
        ValueError: the answer has no downstream channel table in the
            namespace, or a channel row is unreadable.
    """
    namespace = namespace or detect_namespace(document)
    if namespace is None:
        raise ValueError("the HNAP answer has no downstream channel table")
    response = _object(document, "GetMultipleHNAPsResponse")
    ds_answer = response.get(f"Get{namespace}StatusDownstreamChannelInfoResponse")
    if not isinstance(ds_answer, Mapping):
        raise ValueError(f"the HNAP answer has no Get{namespace}StatusDownstreamChannelInfo")  # noqa: TRY004 - the parser contract is ValueError
    ds_raw = ds_answer.get(f"{namespace}ConnDownstreamChannel")
    if not isinstance(ds_raw, str):
        raise ValueError(f"the downstream answer has no {namespace}ConnDownstreamChannel")  # noqa: TRY004 - the parser contract is ValueError
    us_answer = response.get(f"Get{namespace}StatusUpstreamChannelInfoResponse")
    us_raw = (
        us_answer.get(f"{namespace}ConnUpstreamChannel") if isinstance(us_answer, Mapping) else None
    )
    # Device details are spread over the other actions' answers; their keys do not clash.
    fields: dict[str, object] = {}
    for answer in response.values():
        if isinstance(answer, Mapping):
            fields.update(answer)
    return HnapStatus(
        namespace=namespace,
        downstream=tuple(parse_downstream(ds_raw)),
        upstream=tuple(parse_upstream(us_raw)) if isinstance(us_raw, str) else (),
        device=_device(fields, namespace),
    )


def is_hnap_login_page(html: str) -> bool:
    """Return whether a page is the HNAP web app's (its SOAP client script is loaded)."""
    return "soapaction.js" in html.lower()
