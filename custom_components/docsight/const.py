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
