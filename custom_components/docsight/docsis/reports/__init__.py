"""Reports from a modem's history: the PDF report, the complaint letter and the LLM export.

``data`` gathers a period from the store in a few queries (run it on the
store's thread); ``pdf``, ``complaint`` and ``export`` turn that into a PDF,
a letter and Markdown.  The words live in ``texts``, per language.

``pdf`` is not imported here: fpdf2 takes about a second to import, which
neither Home Assistant's start nor the command line should pay for a report
nobody asked for.  Import ``.reports.pdf`` where a PDF is drawn.
"""

from __future__ import annotations

from .complaint import Letter, complaint_text
from .data import (
    IncidentNotFoundError,
    ReportData,
    gather_incident_data,
    gather_report_data,
    incident_period,
)
from .export import EXPORT_MODES, llm_export
from .texts import LANGUAGES, resolve_language

__all__ = [
    "EXPORT_MODES",
    "LANGUAGES",
    "IncidentNotFoundError",
    "Letter",
    "ReportData",
    "complaint_text",
    "gather_incident_data",
    "gather_report_data",
    "incident_period",
    "llm_export",
    "resolve_language",
]
