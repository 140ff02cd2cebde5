"""Recognise the modem family behind a URL, without credentials.

:func:`detect_modem` looks at what a device serves before anyone logs in and
names the matching modem type of :data:`.drivers.MODEM_TYPES`.  It never sends
a login, a password or a salt request, so it cannot count as a failed login
(modems lock their web interface after a few of those).  What it asks:

1. ``GET <url>``: a DOCSight reading (``json_http``), the TG login page of a
   Vodafone Station (its ``currentSessionId``/``myIv``/``mySalt`` variables),
   a Compal Connect Box (redirect to ``/common_page/login.html`` and a
   ``sessionToken`` cookie) or a "Vodafone Station" page (the CGA's web app).
2. Only for a Compal: ``POST /xml/getter.xml fun=1``, the global settings the
   modem shows before login, to tell the PLAY firmware from the normal one.
3. ``GET /login_sid.lua``: a FRITZ!Box answers with its ``SessionInfo``.
4. ``GET /api/v1/session/menu``: a CGA station answers with its JSON API even
   without a session.
5. ``GET /api/config/details.jst?X_INTERNAL_FIELDS=...``: the Ultra Hub 7's
   first login step, a public read that answers with a ``csrf_token``.
6. ``GET /cgi-bin/login_cgi``: the Arris CM3500B's login form (reading the
   form is not a login).

Arris modems name themselves on their start page: the SURFboard's HNAP web
app loads its SOAP client script and names the SURFboard; the HTML firmware
of the SB8200 and the CM8200A carry the model in a ``thisModelNumberIs``
element.

A Netgear cable modem answers the first request with HTTP Basic
authentication whose realm names the model (``NETGEAR CM3000``), or, on
firmware with the form login, with a page holding that form; either decides.

Certificates are not checked and old TLS versions are accepted: probes
carry no secret, and the modems that force HTTPS (Arris) present self-signed
certificates, some over legacy TLS.

Probing stops at the first page that decides.  A probe that fails (refused,
timed out, unreadable) counts as no answer; the first one failing means the
address does not answer at all, and :class:`ModemConnectionError` is raised.

The deciding is done by :func:`classify`, a pure function of the answers, so
it can be tested on captured or crafted pages without a network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import json
import logging
import re

import aiohttp

from .drivers.arris_cm3500 import LOGIN_PATH as CM3500_LOGIN
from .drivers.base import ModemConnectionError
from .drivers.compal import GETTER, TOKEN_COOKIE
from .drivers.fritzbox import LOGIN_PATH as FRITZ_LOGIN_PATH
from .drivers.session import legacy_tls_context
from .drivers.ultrahub7 import CONFIG_DETAILS as HUB_DETAILS
from .drivers.vodafone_station import CGA_MENU
from .parsers.arris_cm8200 import model_from_page
from .parsers.arris_surfboard import is_hnap_login_page
from .parsers.compal import parse_global_settings
from .parsers.fritzbox import parse_login_challenge
from .parsers.vodafone_station import tg_login_parameters
from .serialize import reading_from_json

_LOGGER = logging.getLogger(__name__)

# The probes, by the key their answer has in what :func:`classify` gets.
ROOT = "root"
COMPAL_SETTINGS = "compal_settings"
FRITZ_LOGIN = "fritz_login"
CGA_API = "cga_api"
ULTRAHUB7_DETAILS = "ultrahub7_details"
ARRIS_LOGIN = "arris_login"

COMPAL_LOGIN_PAGE = "/common_page/login.html"
_HEADERS = {"User-Agent": "Mozilla/5.0 (DOCSight modem detection)", "Accept": "*/*"}
_MAX_BODY = 256 * 1024  # a status page is small; never read a download to the end
# Models the SURFboard driver reads (its HTML firmware names them on the page).
SURFBOARD_MODELS = ("SB8200", "S33", "S34")
# Probes carry no secret: accept self-signed certificates and legacy TLS alike.
_PROBE_TLS = legacy_tls_context(0)
_REALM = re.compile(r'^\s*Basic\s+realm="([^"]*)"', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Answer:
    """What one probe got back: the final status and body, and the way there."""

    status: int
    body: bytes = b""
    # Locations of the redirects followed, in order.
    redirects: tuple[str, ...] = ()
    # Cookies set along the way (the latest value of each name).
    cookies: Mapping[str, str] = field(default_factory=dict)
    content_type: str = ""
    # The realm of an HTTP Basic challenge ("" without one).
    realm: str = ""

    @property
    def text(self) -> str:
        """Return the body as text (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Detection:
    """The outcome: a modem type key (None if nothing matched) and why."""

    modem_type: str | None
    evidence: str


def _json_document(answer: Answer) -> object:
    try:
        return json.loads(answer.body)
    except ValueError:  # UnicodeDecodeError is a ValueError too
        return None


def _is_compal(root: Answer) -> bool:
    """Return whether the start page behaves like a Compal Connect Box."""
    return TOKEN_COOKIE in root.cookies or any(
        location.split("?")[0].endswith(COMPAL_LOGIN_PAGE) for location in root.redirects
    )


def _is_cm3500(answer: Answer | None) -> bool:
    """Return whether a page is the CM3500B's (its body is tagged with the model)."""
    return answer is not None and answer.status == 200 and 'class="CM3500"' in answer.text


def _classify_netgear(root: Answer) -> Detection | None:
    """Name a Netgear modem from its Basic-auth realm or its login form."""
    if root.status == 401 and root.realm.upper().startswith("NETGEAR"):
        model = root.realm[len("NETGEAR") :].strip()
        if model.upper() == "CM3000":
            return Detection("cm3000", "the modem asks for a login as a NETGEAR CM3000")
        return Detection(
            None, f"a Netgear {model or 'device'} answered; that model is not supported"
        )
    text = root.text
    if root.status == 200 and "loginName" in text and "goform/Login" in text and "CM3000" in text:
        return Detection("cm3000", "the start page is the login form of a NETGEAR CM3000")
    return None


def _classify_arris(root: Answer) -> Detection | None:
    """Name an Arris SURFboard or CM8200A from its start page."""
    if root.status != 200:
        return None
    text = root.text
    model = (model_from_page(text) or "").upper()
    if model.startswith("CM8200"):
        return Detection("cm8200", f"the start page names an Arris {model}")
    if model.startswith(SURFBOARD_MODELS):
        return Detection("surfboard", f"the start page names an Arris SURFboard {model}")
    if is_hnap_login_page(text) and "surfboard" in text.lower():
        return Detection("surfboard", "the start page is the HNAP login of an Arris SURFboard")
    return None


def _classify_root(root: Answer) -> Detection | None:
    """Decide from the start page alone, if it tells enough."""
    netgear = _classify_netgear(root)
    if netgear is not None:
        return netgear
    if _is_cm3500(root):
        return Detection("cm3500", "the start page is the login page of an Arris CM3500B")
    arris = _classify_arris(root)
    if arris is not None:
        return arris
    if root.status == 200:
        document = _json_document(root)
        if isinstance(document, dict):
            try:
                reading_from_json(document)
            except ValueError:
                pass
            else:
                return Detection("json_http", "the URL serves a DOCSight reading as JSON")
        if tg_login_parameters(root.text) is not None:
            return Detection(
                "vodafone_station", "the start page is the login page of a Vodafone Station (TG)"
            )
    if _is_compal(root):
        return Detection(
            "ch7465", "the start page sets a sessionToken cookie like a Compal Connect Box"
        )
    if root.status == 200 and "vodafone station" in root.text.lower():
        return Detection(
            "vodafone_station", "the start page is the web app of a Vodafone Station (CGA)"
        )
    return None


def _classify_compal(settings: Answer | None, found: Detection) -> Detection:
    """Refine a Compal finding with the global settings (fun=1), if they came."""
    if settings is None or settings.status != 200:
        return found
    try:
        parsed = parse_global_settings(settings.text)
    except ValueError:
        return found
    if parsed.play:
        return Detection(
            "ch7465_play",
            f"a Compal Connect Box reports the PLAY firmware ({parsed.vendor_model})",
        )
    model = f" ({parsed.model})" if parsed.model else ""
    return Detection("ch7465", f"a Compal Connect Box{model} answered its settings page")


def _is_cga_api(answer: Answer | None) -> bool:
    if answer is None or answer.status not in (200, 401, 403):
        return False
    document = _json_document(answer)
    return isinstance(document, dict) and "error" in document


def classify(answers: Mapping[str, Answer | None]) -> Detection:
    """Name the modem type the probes' answers point to (pure, no I/O).

    ``answers`` maps the probe keys (:data:`ROOT`, :data:`COMPAL_SETTINGS`,
    :data:`FRITZ_LOGIN`, :data:`CGA_API`, :data:`ULTRAHUB7_DETAILS`,
    :data:`ARRIS_LOGIN`) to what came back, None for a probe that got no
    answer; missing keys are probes not made.
    """
    root = answers.get(ROOT)
    if root is not None:
        found = _classify_root(root)
        if found is not None:
            if found.modem_type == "ch7465":
                return _classify_compal(answers.get(COMPAL_SETTINGS), found)
            return found
    fritz = answers.get(FRITZ_LOGIN)
    if fritz is not None and fritz.status == 200:
        try:
            parse_login_challenge(fritz.body)
        except ValueError:
            pass
        else:
            return Detection("fritzbox", "login_sid.lua answered with a FRITZ!Box SessionInfo")
    if _is_cga_api(answers.get(CGA_API)):
        return Detection(
            "vodafone_station", "the Vodafone Station (CGA) session API answered without a login"
        )
    hub = answers.get(ULTRAHUB7_DETAILS)
    if hub is not None and hub.status == 200:
        document = _json_document(hub)
        if isinstance(document, dict) and "csrf_token" in document:
            return Detection(
                "ultrahub7", "the Ultra Hub 7 configuration API answered with a CSRF token"
            )
    if _is_cm3500(answers.get(ARRIS_LOGIN)):
        return Detection("cm3500", "/cgi-bin/login_cgi is the login form of an Arris CM3500B")
    if not any(answer is not None for answer in answers.values()):
        return Detection(None, "nothing answered")
    if root is not None and root.status in (401, 407):
        return Detection(None, f"the device asks for HTTP authentication (HTTP {root.status})")
    if root is not None and root.status == 200 and _json_document(root) is not None:
        return Detection(None, "the URL serves JSON, but not a DOCSight reading")
    status = f"HTTP {root.status}" if root is not None else "no answer"
    return Detection(None, f"the device answered ({status}), but like none of the known modems")


def _base_url(url: str) -> str:
    """Return the URL as the drivers use it: with a scheme, without a trailing slash."""
    url = url.strip().rstrip("/")
    return url if "://" in url else f"http://{url}"


async def _answer(response: aiohttp.ClientResponse) -> Answer:
    cookies: dict[str, str] = {}
    redirects: list[str] = []
    for step in (*response.history, response):
        # From each answer, not the session's jar: the default jar ignores
        # cookies of IP-address hosts, and must not keep a modem's cookies.
        for name, morsel in step.cookies.items():
            cookies[name] = morsel.value
        if step is not response and (location := step.headers.get("Location")):
            redirects.append(location)
    body = b""
    while len(body) < _MAX_BODY:  # read() may return less than asked before the end
        chunk = await response.content.read(_MAX_BODY - len(body))
        if not chunk:
            break
        body += chunk
    challenge = response.headers.get("WWW-Authenticate", "")
    realm = _REALM.search(challenge)
    return Answer(
        status=response.status,
        body=body,
        redirects=tuple(redirects),
        cookies=cookies,
        content_type=response.content_type,
        realm=realm.group(1) if realm else "",
    )


async def _probe(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    limit: aiohttp.ClientTimeout,
    *,
    headers: Mapping[str, str] = _HEADERS,
    data: Mapping[str, str] | None = None,
    allow_redirects: bool = True,
) -> Answer | None:
    """Make one request; None if it got no (readable) answer."""
    try:
        async with session.request(
            method,
            url,
            headers=headers,
            data=data,
            timeout=limit,
            allow_redirects=allow_redirects,
            max_redirects=5,
            ssl=_PROBE_TLS,
        ) as response:
            return await _answer(response)
    except (aiohttp.ClientError, TimeoutError, ValueError) as err:
        _LOGGER.debug("Detection probe %s %s got no answer: %r", method, url, err)
        return None


async def detect_modem(
    session: aiohttp.ClientSession,
    url: str,
    *,
    timeout: float = 10,  # noqa: ASYNC109 - per request, passed on to aiohttp
) -> Detection:
    """Probe ``url`` without credentials and name the modem type that answers.

    ``timeout`` applies to each request.  Returns a :class:`Detection` whose
    ``modem_type`` is None when the device answered but matched no known
    modem.

    Raises:
        ModemConnectionError: nothing answered at ``url``.
    """
    base = _base_url(url)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    answers: dict[str, Answer | None] = {}

    root = await _probe(session, "GET", base, client_timeout)
    if root is None:
        raise ModemConnectionError(f"nothing answered at {base}")
    answers[ROOT] = root
    if _is_compal(root):
        # The settings page needs the latest token, as cookie and form field.
        token = root.cookies.get(TOKEN_COOKIE, "")
        answers[COMPAL_SETTINGS] = await _probe(
            session,
            "POST",
            f"{base}{GETTER}",
            client_timeout,
            data={"token": token, "fun": "1"},
            headers={
                **_HEADERS,
                "Referer": f"{base}/",
                "X-Requested-With": "XMLHttpRequest",
                "Cookie": f"{TOKEN_COOKIE}={token}",
            },
            allow_redirects=False,
        )
    detection = classify(answers)
    # The hub answers only requests its web app makes (XMLHttpRequest).
    xhr = {**_HEADERS, "X-Requested-With": "XMLHttpRequest"}
    for key, path, headers in (
        (FRITZ_LOGIN, FRITZ_LOGIN_PATH, _HEADERS),
        (CGA_API, CGA_MENU, _HEADERS),
        (
            ULTRAHUB7_DETAILS,
            f"{HUB_DETAILS}?X_INTERNAL_FIELDS=X_RDK_ONT_Veip_1_OperationalState",
            xhr,
        ),
        (ARRIS_LOGIN, CM3500_LOGIN, _HEADERS),
    ):
        if detection.modem_type is not None:
            break
        answers[key] = await _probe(
            session, "GET", f"{base}{path}", client_timeout, headers=headers
        )
        detection = classify(answers)
    _LOGGER.debug("Modem detection at %s: %s (%s)", base, detection.modem_type, detection.evidence)
    return detection
