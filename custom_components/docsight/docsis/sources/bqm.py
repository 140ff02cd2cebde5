"""ThinkBroadband Broadband Quality Monitor (BQM) as a source of daily line figures.

A BQM pings the line once a second from ThinkBroadband's servers.  A monitor's
owner can share it: the share id (40 or more hex digits, optionally ``-n``)
gives a CSV of the day (``<id>-y.csv``: yesterday; ``<id>-l.csv``: the live
24 hours) with sent and lost polls and the minimum, average and maximum
latency per interval, and a graph image (``<id>-y.png``).

* :func:`extract_share_id` finds the id in whatever the user pasted (the share
  link, the graph or CSV address, or the id itself) and :func:`base_url_of` the
  address to fetch from (ThinkBroadband's, unless the paste names another
  server: a simulator in the tests);
* :func:`parse_csv` turns a day's CSV into a :class:`BqmDay` (pure);
* :class:`BqmClient` fetches the CSV and graph politely: one request each, a
  User-Agent that names us, and a 403 or 429 stops everything at once;
* the ``*_day`` functions read and write the ``bqm_graphs`` table (call them on
  the store's thread); a day is stored with its graph in one write, or not.
"""

from __future__ import annotations

from collections.abc import Sequence
import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime
import io
import json
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..storage import HistoryStore
from . import (
    SourceConnectionError,
    SourceDataError,
    SourceNotFoundError,
    SourceRateLimitedError,
    read_limited,
    status_error,
)

DEFAULT_BASE_URL = "https://www.thinkbroadband.com/broadband/monitoring/quality/share/"
USER_AGENT = "DOCSight-HA/0.1 (+https://github.com/docsight-ha/docsight-homeassistant)"
SHARE_ID = re.compile(r"[a-f0-9]{40,}(?:-\d+)?")
# A graph smaller than this is an error page or an empty placeholder.
MIN_IMAGE_BYTES = 100
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Latency column units in the CSV header, to milliseconds.
_UNITS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True, slots=True)
class BqmSample:
    """One interval of a day's CSV."""

    timestamp: datetime
    sent_polls: int
    lost_polls: int
    latency_min_ms: float | None
    latency_avg_ms: float | None
    latency_max_ms: float | None


@dataclass(frozen=True, slots=True)
class BqmDay:
    """A day's BQM figures: poll counts and latency in milliseconds."""

    day: date
    sent_polls: int
    lost_polls: int
    latency_min_ms: float | None
    latency_avg_ms: float | None
    latency_max_ms: float | None
    samples: tuple[BqmSample, ...] = ()

    @property
    def packet_loss_pct(self) -> float | None:
        """Return the share of polls lost, in percent (None for a day without polls)."""
        if self.sent_polls <= 0:
            return None
        return round(100 * self.lost_polls / self.sent_polls, 3)


@dataclass(frozen=True, slots=True)
class StoredBqmDay:
    """A stored day with its graph (None when BQM had no graph for it)."""

    day: BqmDay
    image: bytes | None
    source: str | None
    is_demo: bool


# -- input ---------------------------------------------------------------------


def extract_share_id(text: str) -> str | None:
    """Return the share id in a pasted link or id, or None if there is none."""
    match = SHARE_ID.search(text.strip().lower())
    return match.group(0) if match else None


def base_url_of(text: str) -> str:
    """Return the address the share's files live under.

    A pasted URL keeps its own server and path up to the share id (so a link
    to a mirror or a test server is followed); a bare id uses ThinkBroadband.
    """
    text = text.strip()
    share_id = extract_share_id(text)
    parts = urlsplit(text)
    if share_id is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return DEFAULT_BASE_URL
    path = parts.path
    cut = path.lower().find(share_id)
    return f"{parts.scheme}://{parts.netloc}{path[:cut] if cut >= 0 else '/'}"


# -- CSV -----------------------------------------------------------------------


def _unit_factor(header: str) -> float:
    match = re.search(r"\(([^)]*)\)", header)
    if match is None:
        return 1.0
    unit = match.group(1).strip().lower()
    if unit not in _UNITS:
        raise SourceDataError(f"unknown latency unit in the BQM CSV: {unit!r}")
    return _UNITS[unit]


def _columns(header: Sequence[str]) -> dict[str, tuple[int, float]]:
    """Map the header to column positions (and latency unit factors)."""
    found: dict[str, tuple[int, float]] = {}
    for index, raw in enumerate(header):
        name = raw.strip().lower()
        if name.startswith("timestamp") or name in ("time", "date"):
            found.setdefault("ts", (index, 1.0))
        elif "sent" in name:
            found.setdefault("sent", (index, 1.0))
        elif "lost" in name:
            found.setdefault("lost", (index, 1.0))
        elif "latency" in name:
            for key, words in (("min", ("min",)), ("avg", ("ave", "avg")), ("max", ("max",))):
                if any(word in name for word in words):
                    found.setdefault(key, (index, _unit_factor(name)))
    missing = {"ts", "sent", "lost", "min", "avg", "max"} - set(found)
    if missing:
        raise SourceDataError(f"not a BQM CSV: no {', '.join(sorted(missing))} column")
    return found


def _time(text: str) -> datetime:
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return datetime.fromtimestamp(float(text), UTC)
    when = datetime.fromisoformat(text)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _latency(text: str, factor: float) -> float | None:
    text = text.strip()
    if not text:
        return None  # every poll of the interval was lost
    return round(float(text) * factor, 3)


def parse_csv(text: str, day: date | None = None) -> BqmDay:
    """Turn a BQM day CSV into the day's figures.

    ``day`` is the date the CSV was asked for; without it, the date of the
    first interval.  The day's average latency weighs each interval by its
    answered polls.  Raises SourceDataError for anything that is not a
    complete, well-formed CSV: a half-read day is never stored.
    """
    rows = [row for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(row)]
    if not rows:
        raise SourceDataError("the BQM CSV is empty")
    columns = _columns(rows[0])
    width = max(index for index, _ in columns.values()) + 1
    samples: list[BqmSample] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) < width:
            raise SourceDataError(f"BQM CSV line {line} has {len(row)} fields")
        try:
            sample = BqmSample(
                timestamp=_time(row[columns["ts"][0]]),
                sent_polls=int(float(row[columns["sent"][0]] or 0)),
                lost_polls=int(float(row[columns["lost"][0]] or 0)),
                latency_min_ms=_latency(row[columns["min"][0]], columns["min"][1]),
                latency_avg_ms=_latency(row[columns["avg"][0]], columns["avg"][1]),
                latency_max_ms=_latency(row[columns["max"][0]], columns["max"][1]),
            )
        except (ValueError, OverflowError, OSError) as err:
            raise SourceDataError(f"BQM CSV line {line} cannot be read: {err}") from err
        if sample.sent_polls < 0 or not 0 <= sample.lost_polls <= max(sample.sent_polls, 0):
            raise SourceDataError(f"BQM CSV line {line} has impossible poll counts")
        samples.append(sample)
    if not samples:
        raise SourceDataError("the BQM CSV has no data rows")
    return summarize(samples, day or samples[0].timestamp.date())


def summarize(samples: Sequence[BqmSample], day: date) -> BqmDay:
    """Return a day's totals from its intervals."""
    minima = [s.latency_min_ms for s in samples if s.latency_min_ms is not None]
    maxima = [s.latency_max_ms for s in samples if s.latency_max_ms is not None]
    weighted = [
        (s.latency_avg_ms, max(s.sent_polls - s.lost_polls, 0))
        for s in samples
        if s.latency_avg_ms is not None
    ]
    weight = sum(answered for _, answered in weighted)
    if weight:
        average: float | None = round(sum(v * n for v, n in weighted) / weight, 3)
    elif weighted:
        average = round(sum(v for v, _ in weighted) / len(weighted), 3)
    else:
        average = None
    return BqmDay(
        day=day,
        sent_polls=sum(s.sent_polls for s in samples),
        lost_polls=sum(s.lost_polls for s in samples),
        latency_min_ms=min(minima) if minima else None,
        latency_avg_ms=average,
        latency_max_ms=max(maxima) if maxima else None,
        samples=tuple(samples),
    )


# -- client --------------------------------------------------------------------


class BqmClient:
    """Fetches one share's CSV and graph on an injected aiohttp session."""

    def __init__(
        self, session: aiohttp.ClientSession, share_id: str, base_url: str = DEFAULT_BASE_URL
    ) -> None:
        """Keep the share; nothing is sent yet."""
        self._session = session
        self.share_id = share_id
        self.base_url = base_url if base_url.endswith("/") else f"{base_url}/"

    async def _get(self, name: str) -> bytes | None:
        """GET one file of the share; None for 404 (not there), errors for the rest."""
        what = f"BQM {name}"
        try:
            async with self._session.get(
                f"{self.base_url}{name}", headers={"User-Agent": USER_AGENT}
            ) as response:
                if response.status == 403:
                    # ThinkBroadband answers 403 to a client it wants to slow down.
                    raise SourceRateLimitedError(f"{what}: refused (HTTP 403)")
                if response.status == 404:
                    return None
                error = status_error(response.status, what)
                if error is not None:
                    raise error
                return await read_limited(response, what)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise SourceConnectionError(f"{what}: {err or type(err).__name__}") from err

    async def async_fetch_csv(self, suffix: str = "y") -> str:
        """Return the share's CSV (``y``: yesterday, ``l``: the live 24 hours)."""
        body = await self._get(f"{self.share_id}-{suffix}.csv")
        if body is None:
            raise SourceNotFoundError(f"BQM share {self.share_id} has no {suffix} CSV")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as err:
            raise SourceDataError("the BQM CSV is not text") from err

    async def async_fetch_image(self, suffix: str = "y") -> bytes | None:
        """Return the share's graph PNG, or None if there is none (or only a stub)."""
        body = await self._get(f"{self.share_id}-{suffix}.png")
        if body is None or len(body) < MIN_IMAGE_BYTES or not body.startswith(PNG_MAGIC):
            return None
        return body

    async def async_validate(self) -> BqmDay:
        """Read the live CSV once: the share exists and serves data (before saving it)."""
        return parse_csv(await self.async_fetch_csv("l"))

    async def async_fetch_day(self, day: date) -> tuple[BqmDay, bytes | None]:
        """Fetch yesterday's CSV and graph; any error means nothing of the day is kept."""
        parsed = parse_csv(await self.async_fetch_csv("y"), day)
        return parsed, await self.async_fetch_image("y")


# -- store -----------------------------------------------------------------------


def _samples_json(samples: Sequence[BqmSample]) -> str:
    return json.dumps(
        [
            [
                int(s.timestamp.timestamp()),
                s.sent_polls,
                s.lost_polls,
                s.latency_min_ms,
                s.latency_avg_ms,
                s.latency_max_ms,
            ]
            for s in samples
        ],
        separators=(",", ":"),
    )


def _samples(text: str) -> tuple[BqmSample, ...]:
    return tuple(
        BqmSample(datetime.fromtimestamp(ts, UTC), sent, lost, low, avg, high)
        for ts, sent, lost, low, avg, high in json.loads(text or "[]")
    )


def save_day(
    store: HistoryStore,
    source: str,
    day: BqmDay,
    image: bytes | None,
    *,
    is_demo: bool = False,
) -> None:
    """Store (or replace) one source's day with its graph, in one transaction."""
    with store.transaction():
        store.connection.execute(
            "INSERT INTO bqm_graphs (date, source, sent_polls, lost_polls, latency_min_ms,"
            " latency_avg_ms, latency_max_ms, samples, image, is_demo)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (source, date) DO UPDATE SET sent_polls = excluded.sent_polls,"
            " lost_polls = excluded.lost_polls, latency_min_ms = excluded.latency_min_ms,"
            " latency_avg_ms = excluded.latency_avg_ms, latency_max_ms = excluded.latency_max_ms,"
            " samples = excluded.samples, image = excluded.image",
            (
                day.day.isoformat(),
                source,
                day.sent_polls,
                day.lost_polls,
                day.latency_min_ms,
                day.latency_avg_ms,
                day.latency_max_ms,
                _samples_json(day.samples),
                image,
                int(is_demo),
            ),
        )


def has_day(store: HistoryStore, source: str, day: date) -> bool:
    """Return whether the source's figures of ``day`` are stored."""
    row = store.connection.execute(
        "SELECT 1 FROM bqm_graphs WHERE source = ? AND date = ?", (source, day.isoformat())
    ).fetchone()
    return row is not None


def latest_day(store: HistoryStore, source: str) -> StoredBqmDay | None:
    """Return the newest stored day of one source (never a demo row)."""
    row = store.connection.execute(
        "SELECT date, sent_polls, lost_polls, latency_min_ms, latency_avg_ms, latency_max_ms,"
        " samples, image, source, is_demo FROM bqm_graphs"
        " WHERE source = ? AND is_demo = 0 ORDER BY date DESC LIMIT 1",
        (source,),
    ).fetchone()
    if row is None:
        return None
    return StoredBqmDay(
        day=BqmDay(
            day=date.fromisoformat(row[0]),
            sent_polls=row[1] or 0,
            lost_polls=row[2] or 0,
            latency_min_ms=row[3],
            latency_avg_ms=row[4],
            latency_max_ms=row[5],
            samples=_samples(row[6]),
        ),
        image=row[7],
        source=row[8],
        is_demo=bool(row[9]),
    )


def day_count(store: HistoryStore, source: str) -> int:
    """Return how many days of one source are stored."""
    row = store.connection.execute(
        "SELECT count(*) FROM bqm_graphs WHERE source = ? AND is_demo = 0", (source,)
    ).fetchone()
    return int(row[0])


def as_dict(day: BqmDay) -> dict[str, Any]:
    """Return a day's figures as JSON-able values (diagnostics, services)."""
    return {
        "date": day.day.isoformat(),
        "sent_polls": day.sent_polls,
        "lost_polls": day.lost_polls,
        "packet_loss_pct": day.packet_loss_pct,
        "latency_min_ms": day.latency_min_ms,
        "latency_avg_ms": day.latency_avg_ms,
        "latency_max_ms": day.latency_max_ms,
    }
