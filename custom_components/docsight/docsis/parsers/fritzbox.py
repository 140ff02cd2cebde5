"""Parsers for the AVM FRITZ!Box Cable web interface (FRITZ!OS 7.2x to 8.x).

Everything here is a pure function of the text a FRITZ!Box served, so captured
pages can be parsed without a network; the driver in ``drivers/fritzbox.py``
does the HTTP.  Malformed input raises :class:`PageError` (a
:class:`ValueError`), which the driver reports as a parse error.

Pages understood:

* ``login_sid.lua?version=2``: the ``<SessionInfo>`` XML with ``SID``,
  ``Challenge``, ``BlockTime`` and the ``Users`` list (:func:`parse_login_challenge`),
  and the answer to its challenge (:func:`login_response`, PBKDF2 version 2
  and the legacy MD5 scheme).
* ``data.lua`` ``page=docInfo``: ``data.channelDs``/``data.channelUs``, each
  split into ``docsis30`` and ``docsis31`` lists (:func:`parse_doc_info`).
* ``data.lua`` ``page=overview``/``boxinfo`` (``data.fritzos``) and the TR-064
  description ``/tr064/tr64desc.xml`` (:func:`parse_device`).
* ``data.lua`` ``page=netMoni`` (``data.connections[0]``, :func:`parse_connection`).

Mapping of the docInfo lanes to channel families:

=================  ==========  ===========================================
lane               family      SNR
=================  ==========  ===========================================
``channelDs`` 3.0  SC_QAM      ``abs(mse)`` (the box shows MSE as negative)
``channelDs`` 3.1  OFDM        ``mer``
``channelUs`` 3.0  SC_QAM      none (upstream SNR is measured by the CMTS)
``channelUs`` 3.1  OFDMA       none
=================  ==========  ===========================================

Frequencies are MHz in the page ("602", "602 MHz", or a range "751 - 861" for
an OFDM(A) block) and Hz in the model; a range fills ``frequency_hz`` (lower
edge) and ``frequency_end_hz`` (upper edge).  Codeword counters the box does not
send are ``None``, never ``0``.  Entries without a channel ID cannot be told
apart and are skipped; a repeated channel ID in the same lane keeps the first
entry (the box lists each channel once; a repeat is a firmware glitch).

The OFDMA upstream "+6 dB" question
-----------------------------------
DOCSight adds 6.0 dB to every ``channelUs.docsis31[].powerLevel`` as a
"FRITZ!Box OFDMA display offset".  This library does **not** (the default
``ofdma_power_offset_db`` is ``0.0``), for these reasons:

* The only independent measurement on record (itsDNNS/docsight issue #712,
  a headend test bench with every modem on the same splitter) shows a
  FRITZ!Box 6660 (FRITZ!OS 8.25) reporting OFDMA upstream transmit power of
  39.9/40.3 dBmV while an Arris CM3500 and an Arris TG3442S on the same
  splitter report 39.8/41.0 dBmV.  The FRITZ!Box value already agrees with
  other modems within a dB; adding 6 dB would put it 6 dB away from them.
* The upstream maintainer closed that issue keeping the offset only because
  the semantics of the test tool's ``UsTX`` field were not clarified, not on
  counter-evidence; no AVM documentation or capture supporting the offset is
  cited anywhere.
* 6 dB is almost exactly 10*log10(4), the difference between an OFDMA power
  quoted per 1.6 MHz and per 6.4 MHz.  An offset of that size is a reference
  bandwidth conversion, which belongs in the thresholds (if anywhere), not in
  the parser silently rewriting what the modem reported.
* A wrong +6 dB pushes typical 40-47 dBmV OFDMA values over the upstream
  power limits and raises false critical alarms; reporting the modem's own
  number errs on the side the user can verify in the FRITZ!Box web UI.

Should evidence for an offset appear, pass ``ofdma_power_offset_db=6.0``.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import json
import math
import re
from typing import Any
from xml.etree import ElementTree as ET

from ..model import Channel, DeviceInfo, Direction, Family, normalize_modulation, qam_order

EMPTY_SID = "0000000000000000"
MANUFACTURER = "AVM"

_SID_RE = re.compile(r"^[0-9a-fA-F]{16}$")
_NUMBER_RE = re.compile(r"[-+]?\d+(?:[.,]\d+)?")

# (lane key in the page, direction, family)
_LANES: tuple[tuple[str, str, Direction, Family], ...] = (
    ("channelDs", "docsis30", Direction.DOWNSTREAM, Family.SC_QAM),
    ("channelDs", "docsis31", Direction.DOWNSTREAM, Family.OFDM),
    ("channelUs", "docsis30", Direction.UPSTREAM, Family.SC_QAM),
    ("channelUs", "docsis31", Direction.UPSTREAM, Family.OFDMA),
)


class PageError(ValueError):
    """A page is not what the parser expects (a ValueError, as documented)."""


@dataclass(frozen=True, slots=True)
class LoginChallenge:
    """What ``login_sid.lua`` answered.

    ``sid`` is ``None`` when not logged in (the box sends sixteen zeros).
    ``block_time`` is how many seconds the box refuses logins after failed
    attempts.  ``users`` lists the login names the box offers, and
    ``last_user`` the one its login page would preselect.
    """

    sid: str | None
    challenge: str
    block_time: int
    users: tuple[str, ...] = ()
    last_user: str | None = None

    @property
    def is_pbkdf2(self) -> bool:
        """Return whether the challenge asks for the PBKDF2 (version 2) answer."""
        return self.challenge.startswith("2$")


# --- XML helpers -------------------------------------------------------------


def _parse_xml(text: str | bytes) -> ET.Element:
    """Parse XML from the modem, refusing DTDs (no entity expansion bombs)."""
    raw = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
    if "<!DOCTYPE" in raw.upper() or "<!ENTITY" in raw.upper():
        raise PageError("XML with a document type declaration is not accepted")
    try:
        return ET.fromstring(raw.strip())  # noqa: S314 - DTDs refused above
    except ET.ParseError as err:
        raise PageError(f"not well-formed XML: {err}") from err


def _local(tag: str) -> str:
    """Return a tag name without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


def _find(root: ET.Element, *path: str) -> ET.Element | None:
    """Find a descendant by local tag names (namespace-agnostic), first match."""
    current: list[ET.Element] = [root]
    for name in path:
        found: list[ET.Element] = [
            el
            for parent in current
            for el in parent.iter()
            if el is not parent and _local(el.tag) == name
        ]
        if not found:
            return None
        current = found[:1]
    return current[0]


def _text(root: ET.Element, *path: str) -> str | None:
    element = _find(root, *path)
    if element is None or element.text is None:
        return None
    value = element.text.strip()
    return value or None


# --- Login ---------------------------------------------------------------------


def parse_login_challenge(text: str | bytes) -> LoginChallenge:
    """Parse a ``login_sid.lua`` answer.

    Raises:
        ValueError: the text is not a FRITZ!Box ``SessionInfo`` document.
    """
    root = _parse_xml(text)
    if _local(root.tag) != "SessionInfo":
        raise PageError(f"not a SessionInfo document: <{_local(root.tag)}>")
    sid = _text(root, "SID")
    challenge = _text(root, "Challenge")
    if sid is None or not _SID_RE.match(sid) or challenge is None:
        raise PageError("SessionInfo without a valid SID and Challenge")
    block_text = _text(root, "BlockTime") or "0"
    try:
        block_time = int(block_text)
    except ValueError as err:
        raise PageError(f"BlockTime is not a number: {block_text!r}") from err
    users: list[str] = []
    last_user: str | None = None
    users_el = _find(root, "Users")
    if users_el is not None:
        for user in users_el:
            name = (user.text or "").strip()
            if _local(user.tag) != "User" or not name:
                continue
            users.append(name)
            if user.get("last") == "1":
                last_user = name
    return LoginChallenge(
        sid=None if sid == EMPTY_SID else sid.lower(),
        challenge=challenge,
        block_time=max(block_time, 0),
        users=tuple(users),
        last_user=last_user,
    )


def login_response(challenge: str, password: str) -> str:
    """Answer a login challenge.

    A challenge ``2$<iter1>$<salt1>$<iter2>$<salt2>`` (FRITZ!OS 7.24 and later)
    is answered with ``<salt2>$<hex(PBKDF2(PBKDF2(password, salt1, iter1),
    salt2, iter2))>``, both rounds HMAC-SHA256.  Any other challenge gets the
    legacy answer ``<challenge>-<md5(UTF-16LE("<challenge>-<password>"))>``, in
    which (as AVM specifies) characters above U+00FF count as ".".

    Raises:
        ValueError: a version 2 challenge that is not well formed.
    """
    if challenge.startswith("2$"):
        parts = challenge.split("$")
        if len(parts) != 5:
            raise PageError("PBKDF2 challenge must have five '$'-separated parts")
        try:
            iter1, iter2 = int(parts[1]), int(parts[3])
            salt1, salt2 = bytes.fromhex(parts[2]), bytes.fromhex(parts[4])
        except ValueError as err:
            raise PageError(f"malformed PBKDF2 challenge: {err}") from err
        if iter1 < 1 or iter2 < 1:
            raise PageError("PBKDF2 iteration counts must be positive")
        hash1 = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt1, iter1)
        hash2 = hashlib.pbkdf2_hmac("sha256", hash1, salt2, iter2)
        return f"{parts[4]}${hash2.hex()}"
    safe = "".join(char if ord(char) <= 0xFF else "." for char in password)
    digest = hashlib.md5(f"{challenge}-{safe}".encode("utf-16-le"), usedforsecurity=False)
    return f"{challenge}-{digest.hexdigest()}"


# --- Value helpers ---------------------------------------------------------------


def _load_json(text: str | bytes | dict[str, Any]) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    try:
        document = json.loads(text)
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
        raise PageError(f"not JSON: {err}") from err
    if not isinstance(document, dict):
        raise PageError("the page is not a JSON object")
    return document


def _data(document: dict[str, Any]) -> dict[str, Any]:
    """Return the ``data`` object of a data.lua answer (or the document itself)."""
    data = document.get("data", document)
    if not isinstance(data, dict):
        raise PageError("data.lua answer without a 'data' object")
    return data


def _float(value: object) -> float | None:
    """Read a number the box sends as a number or a string ("1.0", "-34,3", "602 MHz")."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        match = _NUMBER_RE.search(value)
        if match is None:
            return None
        result = float(match.group().replace(",", "."))
    else:
        return None
    return result if math.isfinite(result) else None


def _int(value: object) -> int | None:
    number = _float(value)
    return None if number is None else round(number)


def _frequency(value: object) -> tuple[int | None, int | None]:
    """Turn "602", "602 MHz", 602 or a range "751 - 861" (MHz) into Hz.

    A plain number too large to be MHz is taken as Hz already.
    """
    if isinstance(value, str):
        numbers = _NUMBER_RE.findall(value.replace(" - ", " ").replace("-", " "))
        if len(numbers) >= 2:
            low, high = (float(n.replace(",", ".")) for n in numbers[:2])
            return round(low * 1_000_000), round(high * 1_000_000)
    mhz = _float(value)
    if mhz is None:
        return None, None
    if mhz >= 100_000:  # already Hz: no cable channel is above 100 GHz
        return round(mhz), None
    return round(mhz * 1_000_000), None


def _modulation(entry: dict[str, Any]) -> str | None:
    """Return the QAM the entry names, or None ("4K" is an FFT size, "OFDMA" no QAM)."""
    for key in ("modulation", "profile_modulation", "type"):
        raw = entry.get(key)
        if isinstance(raw, str):
            name = normalize_modulation(raw)
            if qam_order(name) is not None:
                return name
    return None


def _channel_id(entry: dict[str, Any]) -> int | None:
    raw = entry.get("channelID")
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise PageError(f"channelID is not a number: {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    raise PageError(f"channelID is not a number: {raw!r}")


def _channel(
    entry: dict[str, Any],
    direction: Direction,
    family: Family,
    channel_id: int,
    power_offset_db: float,
) -> Channel:
    frequency_hz, frequency_end_hz = _frequency(entry.get("frequency"))
    power = _float(entry.get("powerLevel"))
    if power is not None and power_offset_db:
        power = round(power + power_offset_db, 2)
    snr: float | None = None
    if direction is Direction.DOWNSTREAM:
        if family is Family.SC_QAM:
            mse = _float(entry.get("mse"))
            snr = None if mse is None else abs(mse)
        else:
            snr = _float(entry.get("mer"))
    return Channel(
        direction=direction,
        family=family,
        channel_id=channel_id,
        frequency_hz=frequency_hz,
        frequency_end_hz=frequency_end_hz,
        power_dbmv=power,
        snr_db=snr,
        modulation=_modulation(entry),
        corrected=_int(entry.get("corrErrors")),
        uncorrected=_int(entry.get("nonCorrErrors")),
        symbol_rate_ksym=_float(entry.get("symbolRate")),
    )


# --- Pages ---------------------------------------------------------------------


def parse_doc_info(
    text: str | bytes | dict[str, Any], *, ofdma_power_offset_db: float = 0.0
) -> tuple[tuple[Channel, ...], tuple[Channel, ...]]:
    """Parse a ``data.lua?page=docInfo`` answer into (downstream, upstream) channels.

    Accepts the whole answer (``{"pid": "docInfo", "data": {...}}``), its
    ``data`` object, as text or already decoded.  See the module docstring for
    ``ofdma_power_offset_db``.

    Raises:
        ValueError: not JSON, no ``channelDs``/``channelUs``, or a lane or
            entry of the wrong type.
    """
    data = _data(_load_json(text))
    if "channelDs" not in data and "channelUs" not in data:
        raise PageError("no channelDs/channelUs: not a docInfo page")
    downstream: list[Channel] = []
    upstream: list[Channel] = []
    for side, lane, direction, family in _LANES:
        group = data.get(side)
        if group is None:
            group = {}
        if not isinstance(group, dict):
            raise PageError(f"{side} is not an object")
        entries = group.get(lane)
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise PageError(f"{side}.{lane} is not a list")
        seen: set[int] = set()
        offset = ofdma_power_offset_db if family is Family.OFDMA else 0.0
        for entry in entries:
            if not isinstance(entry, dict):
                raise PageError(f"{side}.{lane} holds a non-object entry")
            channel_id = _channel_id(entry)
            if channel_id is None or channel_id in seen:
                continue
            seen.add(channel_id)
            channel = _channel(entry, direction, family, channel_id, offset)
            (downstream if direction is Direction.DOWNSTREAM else upstream).append(channel)
    return tuple(downstream), tuple(upstream)


def _uptime(value: object) -> int | None:
    """Uptime in seconds from a number or a FRITZ!OS text ("3 Tage 4 Stunden 5 Minuten")."""
    if isinstance(value, str) and not value.strip().replace(".", "", 1).isdigit():
        units = {
            "tag": 86400,
            "day": 86400,
            "stund": 3600,
            "hour": 3600,
            "minut": 60,
            "sekund": 1,
            "second": 1,
        }
        total = 0
        found = False
        for amount, unit in re.findall(r"(\d+)\s*([A-Za-z]+)", value):
            for prefix, seconds in units.items():
                if unit.lower().startswith(prefix):
                    total += int(amount) * seconds
                    found = True
                    break
        return total if found else None
    number = _int(value)
    return None if number is None or number < 0 else number


def parse_device(text: str | bytes | dict[str, Any]) -> DeviceInfo:
    """Parse device information from a data.lua page or the TR-064 description.

    A JSON page (``overview``/``boxinfo``) is read from ``data.fritzos``
    (``Productname``, ``nspver``, ``Uptime``); XML is read as
    ``tr64desc.xml`` (``device/modelName``, ``systemVersion/Display``,
    ``device/serialNumber``).

    Raises:
        ValueError: neither form, or no model name in it.
    """
    if isinstance(text, dict) or (text.lstrip()[:1] in ("{", b"{")):
        data = _data(_load_json(text))
        fritzos = data.get("fritzos")
        if not isinstance(fritzos, dict):
            raise PageError("no data.fritzos in the page")
        model = fritzos.get("Productname")
        if not isinstance(model, str) or not model.strip():
            raise PageError("data.fritzos without Productname")
        firmware = fritzos.get("nspver")
        return DeviceInfo(
            manufacturer=MANUFACTURER,
            model=model.strip(),
            firmware=firmware.strip() if isinstance(firmware, str) and firmware.strip() else None,
            uptime_seconds=_uptime(fritzos.get("Uptime")),
        )
    root = _parse_xml(text)
    model = _text(root, "device", "modelName") or _text(root, "modelName")
    if model is None:
        raise PageError("TR-064 description without modelName")
    manufacturer = _text(root, "device", "manufacturer") or MANUFACTURER
    if manufacturer.upper().startswith("AVM"):
        manufacturer = MANUFACTURER
    return DeviceInfo(
        manufacturer=manufacturer,
        model=model,
        firmware=_text(root, "systemVersion", "Display"),
        serial=_text(root, "device", "serialNumber"),
    )


def parse_connection(text: str | bytes | dict[str, Any]) -> tuple[int | None, int | None]:
    """Return the provisioned (downstream, upstream) rates in kbit/s from ``netMoni``.

    Raises:
        ValueError: not JSON or no ``data.connections`` list.
    """
    data = _data(_load_json(text))
    connections = data.get("connections")
    if not isinstance(connections, list):
        raise PageError("no data.connections list: not a netMoni page")
    if not connections or not isinstance(connections[0], dict):
        return None, None
    first = connections[0]
    return _int(first.get("downstream")), _int(first.get("upstream"))
