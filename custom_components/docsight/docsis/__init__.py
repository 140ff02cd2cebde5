"""DOCSight's DOCSIS library: drivers, analyzer, event detector and demo modem.

Plain Python with no Home Assistant imports (a test enforces it), so that it
could be published on its own and a core integration could depend on it.
"""

from .analyzer import Analysis, ErrorBaseline, Health, LineHealth, Summary, analyze
from .events import DetectorRules, DetectorState, Event, EventType, Severity, detect
from .model import Channel, DeviceInfo, Direction, Family, Reading
from .thresholds import DEFAULT_PROFILE, ThresholdProfile

__all__ = [
    "DEFAULT_PROFILE",
    "Analysis",
    "Channel",
    "DetectorRules",
    "DetectorState",
    "DeviceInfo",
    "Direction",
    "ErrorBaseline",
    "Event",
    "EventType",
    "Family",
    "Health",
    "LineHealth",
    "Reading",
    "Severity",
    "Summary",
    "ThresholdProfile",
    "analyze",
    "detect",
]
