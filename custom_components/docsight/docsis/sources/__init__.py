"""External measurement sources: clients, pure mappings and their tables' SQL.

Every source (Speedtest Tracker, ThinkBroadband BQM, a BNetzA folder) has the
same shape: a client that takes an injected :class:`aiohttp.ClientSession`, a
pure function that maps what the service returned to a typed record, and the
store functions of its own table, run on the history store's thread.  The
schedule, the backoff and the entities live in the Home Assistant layer.

The errors below are shared so that the HA layer maps them to messages once:
each one is a distinct thing a user can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

# Past this size a response is not what we asked for: refuse it rather than
# hold it in memory (a BQM day CSV is some 100 KB, a graph well under 1 MB).
MAX_RESPONSE_BYTES = 8 * 1024 * 1024


class SourceError(Exception):
    """A source could not be read."""


class SourceConnectionError(SourceError):
    """The service did not answer (refused, timed out, DNS, TLS, a 5xx)."""


class SourceAuthError(SourceError):
    """The service refused the credentials (HTTP 401, or 403 for a token without the right)."""


class SourceRateLimitedError(SourceError):
    """The service asked us to stop for now (HTTP 429, or BQM's 403); never retried at once."""


class SourceNotFoundError(SourceError):
    """The address answers, but what we asked for is not there (HTTP 404, unknown share)."""


class SourceDataError(SourceError):
    """The service answered with something that is not what its API returns."""


def status_error(status: int, what: str) -> SourceError | None:
    """Return the error for an HTTP status a source API answered, or None for a success."""
    if 200 <= status < 300:
        return None
    if status == 401:
        return SourceAuthError(f"{what}: the token was refused (HTTP 401)")
    if status == 429:
        return SourceRateLimitedError(f"{what}: too many requests (HTTP 429)")
    if status == 404:
        return SourceNotFoundError(f"{what}: not found (HTTP 404)")
    if status >= 500:
        return SourceConnectionError(f"{what}: server error (HTTP {status})")
    return SourceDataError(f"{what}: unexpected HTTP {status}")


async def read_limited(response: aiohttp.ClientResponse, what: str) -> bytes:
    """Read a body, refusing one larger than :data:`MAX_RESPONSE_BYTES`."""
    length = response.content_length
    if length is not None and length > MAX_RESPONSE_BYTES:
        raise SourceDataError(f"{what}: response too large ({length} bytes)")
    body = bytearray()
    async for chunk in response.content.iter_chunked(65536):
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise SourceDataError(f"{what}: response too large")
    return bytes(body)


def as_float(value: Any) -> float | None:
    """Return a number from JSON or CSV as float; None for absent, empty or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def mapping(value: Any) -> Mapping[str, Any]:
    """Return ``value`` if it is a JSON object, else an empty one (APIs omit or null them)."""
    return value if isinstance(value, Mapping) else {}
