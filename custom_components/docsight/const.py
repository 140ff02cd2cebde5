"""Constants of the DOCSight integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "docsight"
LOGGER = logging.getLogger(__package__)

CONF_MODEM_TYPE: Final = "modem_type"
CONF_DRIVER_HINTS: Final = "driver_hints"
CONF_HEALTH_HYSTERESIS: Final = "health_hysteresis"
DEMO_MODEM: Final = "demo"
GENERIC_ROUTER: Final = "generic"

# A poll-now request this soon after the last poll is refused: modems serve
# their status pages slowly and some allow a single session at a time.
MIN_MANUAL_POLL_GAP: Final = timedelta(seconds=10)
# Longest a single poll may take before it counts as a failure.
POLL_TIMEOUT: Final = 60

# Retention of the entry's own history (measured data only: the journal and
# incidents are the user's and never pruned).
CONF_RETENTION_DAYS: Final = "retention_days"
DEFAULT_RETENTION_DAYS: Final = 365
MIN_RETENTION_DAYS: Final = 30
MAX_RETENTION_DAYS: Final = 3650
PRUNE_INTERVAL: Final = timedelta(days=1)

# A fresh demo entry gets this much history, seeded in the background.
DEMO_HISTORY_DAYS: Final = 270
DEMO_HISTORY_SEED: Final = 0

# External sources, each added to a modem entry as a config subentry of its type.
SUBENTRY_SPEEDTEST: Final = "speedtest_tracker"
SUBENTRY_BQM: Final = "bqm"
CONF_SHARE: Final = "share"
CONF_SHARE_ID: Final = "share_id"
CONF_BASE_URL: Final = "base_url"
# Longest one read of a source may take (a first backfill reads up to 20 pages).
SOURCE_TIMEOUT: Final = 120
# Speedtest Tracker: as often as the modem (the reference polls every 300 s).
SPEEDTEST_INTERVAL: Final = timedelta(seconds=300)
# BQM: once a day for yesterday, at 02:00 local plus a spread of up to two
# hours per share (never before 00:30, when yesterday's file is complete); a
# failed read is retried after this (plus the backoff penalty).
BQM_COLLECT_AFTER: Final = timedelta(hours=2)
BQM_SPREAD_MINUTES: Final = 120
BQM_EARLIEST: Final = timedelta(minutes=30)
BQM_RETRY_INTERVAL: Final = timedelta(minutes=30)
