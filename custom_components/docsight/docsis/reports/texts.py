"""The words of reports and complaint letters, per language, kept as data.

Every language has the same keys (a test checks it); placeholders are
``str.format`` fields.  Numbers and times are formatted by :class:`Lang`,
which knows the language's decimal separator and date order, so that a German
letter says "4,5 dBmV" and "17.03.2026".
"""

from __future__ import annotations

from datetime import datetime, tzinfo

DEFAULT_LANGUAGE = "en"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "report_title": "Cable line report",
        "incident_title": "Incident report",
        "subtitle": "{modem}, {start} to {end}",
        "page": "Page {page} of {pages}",
        "generated": "Created with DOCSight for Home Assistant on {time}",
        "none": "n/a",
        "yes": "yes",
        "no": "no",
        # Sections.
        "sec_connection": "Connection",
        "sec_latest": "Latest recorded status",
        "sec_notes": "Diagnostic notes",
        "sec_comparison": "Before and after",
        "sec_history": "History of the period",
        "sec_thresholds": "Reference thresholds",
        "sec_complaint": "Complaint letter",
        "sec_incident": "Incident",
        "sec_speedtests": "Speed tests",
        "sec_bnetz": "BNetzA broadband measurement",
        "sec_journal": "Journal",
        "sec_events": "Problem events",
        # Connection.
        "provider": "Provider",
        "tariff": "Tariff",
        "contract_speed": "Contractual maximum",
        "modem": "Modem",
        "firmware": "Firmware",
        "docsis": "DOCSIS version",
        "period": "Period",
        "data_points": "Measurements",
        "period_value": "{start} to {end}",
        "speed_value": "{down} / {up} Mbit/s",
        # Latest status.
        "measured_at": "Measured at",
        "health": "Line health",
        "issues": "Issues",
        "no_issues": "none",
        "no_latest": "No measurement was recorded in this period.",
        "downstream": "Downstream",
        "upstream": "Upstream",
        "dir_downstream": "downstream",
        "dir_upstream": "upstream",
        "col_channel": "Ch.",
        "col_frequency": "MHz",
        "col_power": "Power dBmV",
        "col_snr": "SNR/MER dB",
        "col_modulation": "Modulation",
        "col_corrected": "Corrected",
        "col_uncorrected": "Uncorrectable",
        "col_health": "Health",
        "col_type": "Type",
        # Health words.
        "health_good": "good",
        "health_tolerated": "tolerated",
        "health_warning": "warning",
        "health_marginal": "marginal",
        "health_critical": "critical",
        # Summary issues.
        "issue_ds_power_tolerated": "downstream power slightly outside the ideal range",
        "issue_ds_power_marginal": "downstream power outside the tolerated range",
        "issue_ds_power_critical": "downstream power outside the critical limits",
        "issue_ds_modulation_tolerated": "downstream modulation reduced",
        "issue_ds_modulation_marginal": "downstream modulation clearly reduced",
        "issue_ds_modulation_critical": "downstream modulation critically reduced",
        "issue_us_power_tolerated_low": "upstream power slightly low",
        "issue_us_power_tolerated_high": "upstream power slightly high",
        "issue_us_power_marginal_low": "upstream power too low",
        "issue_us_power_marginal_high": "upstream power too high",
        "issue_us_power_critical_low": "upstream power critically low",
        "issue_us_power_critical_high": "upstream power critically high",
        "issue_us_modulation_marginal": "upstream modulation reduced",
        "issue_us_modulation_critical": "upstream modulation critically reduced",
        "issue_snr_tolerated": "signal-to-noise ratio slightly low",
        "issue_snr_marginal": "signal-to-noise ratio too low",
        "issue_snr_critical": "signal-to-noise ratio critically low",
        "issue_uncorr_errors_high": "uncorrectable transmission errors above 1 %",
        "issue_uncorr_errors_critical": "uncorrectable transmission errors above 3 %",
        # Diagnostic notes.
        "note_ds_power_high": (
            "Downstream power reached {value} dBmV: the signal arrives too strong, which points "
            "to missing attenuation or a faulty amplifier in the house network."
        ),
        "note_ds_power_low": (
            "Downstream power fell to {value} dBmV: too much attenuation on the way (cable, "
            "splitters, connectors)."
        ),
        "note_snr_low": (
            "The lowest downstream SNR was {value} dB: noise or ingress on the line reduces the "
            "usable signal."
        ),
        "note_us_power_high": (
            "Upstream power reached {value} dBmV: the modem has to transmit at the limit to be "
            "heard, typical of a damaged return path."
        ),
        "note_us_power_low": "Upstream power fell to {value} dBmV.",
        "note_uncorr": (
            "Up to {value} % of the codewords could not be corrected: data was lost in "
            "transmission and had to be sent again."
        ),
        "note_poor_share": (
            "The line was marginal or critical in {pct} % of the measurements ({poor} of {total})."
        ),
        "note_modulation_one": "At times {direction} channel {channels} fell back to {modulation}.",
        "note_modulation_many": (
            "At times {direction} channels {channels} fell back to {modulation}."
        ),
        "note_restarts": "The modem restarted {count} times in this period.",
        "note_spikes": "{count} bursts of uncorrectable errors were recorded.",
        "note_all_good": "No measurement in this period was worse than tolerated.",
        # Comparison.
        "cmp_intro": "The period before and after {time}.",
        "cmp_metric": "Figure",
        "cmp_before": "Before",
        "cmp_after": "After",
        "cmp_snapshots": "Measurements",
        "cmp_poor": "Marginal or critical (%)",
        "cmp_ds_power": "Downstream power, average (dBmV)",
        "cmp_ds_snr": "Downstream SNR, lowest (dB)",
        "cmp_us_power": "Upstream power, average (dBmV)",
        "cmp_uncorr": "Uncorrectable errors, highest (%)",
        "cmp_events": "Warning and critical events",
        # History.
        "hist_counts": "Measurements by line health",
        "hist_worst": "Worst values",
        "hist_value": "Value",
        "hist_when": "When",
        "hist_ds_power_min": "Downstream power, lowest",
        "hist_ds_power_max": "Downstream power, highest",
        "hist_ds_snr_min": "Downstream SNR, lowest",
        "hist_us_power_min": "Upstream power, lowest",
        "hist_us_power_max": "Upstream power, highest",
        "hist_uncorr_max": "Uncorrectable errors, highest",
        "hist_worst_channels": "Channels most often worse than good",
        "hist_no_bad_channels": "No channel was graded worse than good in this period.",
        "col_direction": "Direction",
        "col_not_good": "Not good",
        "col_worst": "Worst",
        "col_power_range": "Power range",
        "col_snr_min": "Lowest SNR",
        "col_modulations": "Modulations",
        "hist_events": "Events: {warning} warnings, {critical} critical.",
        "no_data": "No measurements were recorded in this period.",
        # Thresholds.
        "thr_intro": "Profile: {name} (version {version}). Source: {source}.",
        "thr_metric": "Metric",
        "thr_key": "Applies to",
        "thr_good": "Good",
        "thr_warning": "Tolerated up to",
        "thr_critical": "Critical beyond",
        "thr_ds_power": "Downstream power (dBmV)",
        "thr_ds_snr": "Downstream SNR/MER (dB, at least)",
        "thr_us_power": "Upstream power (dBmV)",
        "thr_errors": "Uncorrectable errors (%)",
        "thr_errors_key": "all channels",
        # Incident.
        "inc_name": "Incident",
        "inc_status": "Status",
        "inc_start": "Since",
        "inc_end": "Until",
        "inc_open": "open",
        "inc_resolved": "resolved",
        "inc_description": "Description",
        # Speed tests.
        "st_summary": (
            "{count} speed tests: download on average {down_avg} Mbit/s (lowest {down_min}), "
            "upload on average {up_avg} Mbit/s (lowest {up_min}), ping on average {ping_avg} ms."
        ),
        "st_slowest": "The slowest tests:",
        "st_none": "No speed tests were recorded in this period.",
        "col_time": "Time",
        "col_download": "Download Mbit/s",
        "col_upload": "Upload Mbit/s",
        "col_ping": "Ping ms",
        "col_server": "Server",
        # BNetzA.
        "bn_none": "No BNetzA measurement campaign falls into this period.",
        "col_date": "Date",
        "col_measured": "Average",
        "col_contract": "Contract max.",
        "col_share": "Share",
        "col_verdict": "Result",
        "bn_deviation": "deviation",
        "bn_ok": "no deviation",
        "bn_unknown": "not assessed",
        "bn_incomplete": "incomplete campaign",
        # Journal.
        "jr_none": "No journal entries.",
        "col_title": "Entry",
        # Events.
        "ev_none": "No warning or critical events in this period.",
        "col_event": "Event",
        "col_severity": "Severity",
        # Complaint letter.
        "c_subject": "Subject: Complaint about recurring faults on my cable internet connection",
        "c_customer": "Customer number: {number}",
        "c_connection_at": "Connection: {address}",
        "c_greeting": "Dear Sir or Madam,",
        "c_intro": (
            "I am writing to complain about a persistent fault on my cable internet connection. "
            "From {start} to {end} I recorded the signal values of my modem automatically "
            "({count} measurements). The recordings show the following:"
        ),
        "c_poor": (
            "In {pct} % of the measurements ({poor} of {total}) the line was marginal or critical "
            "against the thresholds of {profile}."
        ),
        "c_no_poor": "None of the measurements in this period was marginal or critical.",
        "c_ds_power": (
            "Downstream power ranged from {low} dBmV ({low_time}) to {high} dBmV ({high_time}); "
            "the good range for 256QAM is {good_low} to {good_high} dBmV."
        ),
        "c_snr": (
            "The lowest downstream SNR was {value} dB ({time}); 256QAM needs at least {good} dB, "
            "below {critical} dB it is critical."
        ),
        "c_us_power": (
            "Upstream power reached {high} dBmV ({time}); the good range is {good_low} to "
            "{good_high} dBmV."
        ),
        "c_uncorr": (
            "Up to {value} % of the codewords were lost to uncorrectable transmission errors "
            "({time}); {critical} % is critical."
        ),
        "c_events": (
            "{warning} warnings and {critical} critical events were recorded, among them "
            "{spikes} error bursts and {restarts} modem restarts."
        ),
        "c_channels": "Most affected channels: {channels}.",
        "c_bnetz_intro": (
            "The official broadband measurement of the Federal Network Agency (Breitbandmessung) "
            "confirms that the contractual speed is not reached:"
        ),
        "c_bnetz_line": (
            "Campaign of {date}, {direction}: on average {avg} Mbit/s, {pct} % of the contractual "
            "maximum of {max} Mbit/s (deviation found)."
        ),
        "c_bnetz_law": (
            "Under §57(4) TKG this entitles me to reduce my payment accordingly or to terminate "
            "the contract without notice."
        ),
        "c_requests_intro": "I therefore ask you to:",
        "c_request_technician": "send a technician to inspect the line and the house connection,",
        "c_request_levels": "measure the signal levels at the transfer point and correct them,",
        "c_request_written": "confirm the findings and the measures taken in writing.",
        "c_deadline": "Please reply within 14 days.",
        "c_escalation": (
            "Should the fault persist, I will turn to the Federal Network Agency (Bundesnetzagentur) "
            "and request dispute resolution."
        ),
        "c_closing": "Kind regards",
        "c_download": "download",
        "c_upload": "upload",
    },
    "de": {
        "report_title": "Bericht zum Kabelanschluss",
        "incident_title": "Störungsbericht",
        "subtitle": "{modem}, {start} bis {end}",
        "page": "Seite {page} von {pages}",
        "generated": "Erstellt mit DOCSight für Home Assistant am {time}",
        "none": "k. A.",
        "yes": "ja",
        "no": "nein",
        "sec_connection": "Anschluss",
        "sec_latest": "Letzter gemessener Zustand",
        "sec_notes": "Diagnosehinweise",
        "sec_comparison": "Vorher und nachher",
        "sec_history": "Verlauf im Zeitraum",
        "sec_thresholds": "Referenzwerte",
        "sec_complaint": "Beschwerdeschreiben",
        "sec_incident": "Störung",
        "sec_speedtests": "Geschwindigkeitstests",
        "sec_bnetz": "Breitbandmessung der BNetzA",
        "sec_journal": "Tagebuch",
        "sec_events": "Problemereignisse",
        "provider": "Anbieter",
        "tariff": "Tarif",
        "contract_speed": "Vertragliche Höchstgeschwindigkeit",
        "modem": "Modem",
        "firmware": "Firmware",
        "docsis": "DOCSIS-Version",
        "period": "Zeitraum",
        "data_points": "Messungen",
        "period_value": "{start} bis {end}",
        "speed_value": "{down} / {up} Mbit/s",
        "measured_at": "Gemessen am",
        "health": "Leitungszustand",
        "issues": "Auffälligkeiten",
        "no_issues": "keine",
        "no_latest": "In diesem Zeitraum wurde keine Messung aufgezeichnet.",
        "downstream": "Downstream",
        "upstream": "Upstream",
        "dir_downstream": "Downstream",
        "dir_upstream": "Upstream",
        "col_channel": "Kanal",
        "col_frequency": "MHz",
        "col_power": "Pegel dBmV",
        "col_snr": "SNR/MER dB",
        "col_modulation": "Modulation",
        "col_corrected": "Korrigiert",
        "col_uncorrected": "Nicht korrigierbar",
        "col_health": "Zustand",
        "col_type": "Typ",
        "health_good": "gut",
        "health_tolerated": "toleriert",
        "health_warning": "Warnung",
        "health_marginal": "grenzwertig",
        "health_critical": "kritisch",
        "issue_ds_power_tolerated": "Downstream-Pegel knapp außerhalb des Idealbereichs",
        "issue_ds_power_marginal": "Downstream-Pegel außerhalb des tolerierten Bereichs",
        "issue_ds_power_critical": "Downstream-Pegel außerhalb der kritischen Grenzen",
        "issue_ds_modulation_tolerated": "Downstream-Modulation verringert",
        "issue_ds_modulation_marginal": "Downstream-Modulation deutlich verringert",
        "issue_ds_modulation_critical": "Downstream-Modulation kritisch verringert",
        "issue_us_power_tolerated_low": "Upstream-Pegel etwas niedrig",
        "issue_us_power_tolerated_high": "Upstream-Pegel etwas hoch",
        "issue_us_power_marginal_low": "Upstream-Pegel zu niedrig",
        "issue_us_power_marginal_high": "Upstream-Pegel zu hoch",
        "issue_us_power_critical_low": "Upstream-Pegel kritisch niedrig",
        "issue_us_power_critical_high": "Upstream-Pegel kritisch hoch",
        "issue_us_modulation_marginal": "Upstream-Modulation verringert",
        "issue_us_modulation_critical": "Upstream-Modulation kritisch verringert",
        "issue_snr_tolerated": "Signal-Rausch-Abstand etwas niedrig",
        "issue_snr_marginal": "Signal-Rausch-Abstand zu niedrig",
        "issue_snr_critical": "Signal-Rausch-Abstand kritisch niedrig",
        "issue_uncorr_errors_high": "nicht korrigierbare Übertragungsfehler über 1 %",
        "issue_uncorr_errors_critical": "nicht korrigierbare Übertragungsfehler über 3 %",
        "note_ds_power_high": (
            "Der Downstream-Pegel erreichte {value} dBmV: Das Signal kommt zu stark an, was auf "
            "fehlende Dämpfung oder einen fehlerhaften Verstärker im Hausnetz hindeutet."
        ),
        "note_ds_power_low": (
            "Der Downstream-Pegel fiel auf {value} dBmV: zu viel Dämpfung auf dem Weg (Kabel, "
            "Verteiler, Stecker)."
        ),
        "note_snr_low": (
            "Der niedrigste Downstream-SNR betrug {value} dB: Rauschen oder Einstrahlung auf der "
            "Leitung verringern das nutzbare Signal."
        ),
        "note_us_power_high": (
            "Der Upstream-Pegel erreichte {value} dBmV: Das Modem muss an der Grenze senden, um "
            "gehört zu werden, typisch für einen gestörten Rückkanal."
        ),
        "note_us_power_low": "Der Upstream-Pegel fiel auf {value} dBmV.",
        "note_uncorr": (
            "Bis zu {value} % der Codewörter konnten nicht korrigiert werden: Bei der Übertragung "
            "gingen Daten verloren und mussten erneut gesendet werden."
        ),
        "note_poor_share": (
            "Die Leitung war in {pct} % der Messungen grenzwertig oder kritisch ({poor} von "
            "{total})."
        ),
        "note_modulation_one": "{direction}-Kanal {channels} fiel zeitweise auf {modulation} zurück.",
        "note_modulation_many": (
            "Die {direction}-Kanäle {channels} fielen zeitweise auf {modulation} zurück."
        ),
        "note_restarts": "Das Modem startete in diesem Zeitraum {count}-mal neu.",
        "note_spikes": "Es wurden {count} Häufungen nicht korrigierbarer Fehler aufgezeichnet.",
        "note_all_good": "Keine Messung in diesem Zeitraum war schlechter als toleriert.",
        "cmp_intro": "Der Zeitraum vor und nach dem {time}.",
        "cmp_metric": "Kennzahl",
        "cmp_before": "Vorher",
        "cmp_after": "Nachher",
        "cmp_snapshots": "Messungen",
        "cmp_poor": "Grenzwertig oder kritisch (%)",
        "cmp_ds_power": "Downstream-Pegel, Mittel (dBmV)",
        "cmp_ds_snr": "Downstream-SNR, niedrigster (dB)",
        "cmp_us_power": "Upstream-Pegel, Mittel (dBmV)",
        "cmp_uncorr": "Nicht korrigierbare Fehler, höchster Wert (%)",
        "cmp_events": "Warnungen und kritische Ereignisse",
        "hist_counts": "Messungen nach Leitungszustand",
        "hist_worst": "Schlechteste Werte",
        "hist_value": "Wert",
        "hist_when": "Zeitpunkt",
        "hist_ds_power_min": "Downstream-Pegel, niedrigster",
        "hist_ds_power_max": "Downstream-Pegel, höchster",
        "hist_ds_snr_min": "Downstream-SNR, niedrigster",
        "hist_us_power_min": "Upstream-Pegel, niedrigster",
        "hist_us_power_max": "Upstream-Pegel, höchster",
        "hist_uncorr_max": "Nicht korrigierbare Fehler, höchster Wert",
        "hist_worst_channels": "Kanäle, die am häufigsten schlechter als gut waren",
        "hist_no_bad_channels": "Kein Kanal war in diesem Zeitraum schlechter als gut.",
        "col_direction": "Richtung",
        "col_not_good": "Nicht gut",
        "col_worst": "Schlechtester",
        "col_power_range": "Pegelbereich",
        "col_snr_min": "Niedrigster SNR",
        "col_modulations": "Modulationen",
        "hist_events": "Ereignisse: {warning} Warnungen, {critical} kritisch.",
        "no_data": "In diesem Zeitraum wurden keine Messungen aufgezeichnet.",
        "thr_intro": "Profil: {name} (Version {version}). Quelle: {source}.",
        "thr_metric": "Kennzahl",
        "thr_key": "Gilt für",
        "thr_good": "Gut",
        "thr_warning": "Toleriert bis",
        "thr_critical": "Kritisch jenseits",
        "thr_ds_power": "Downstream-Pegel (dBmV)",
        "thr_ds_snr": "Downstream-SNR/MER (dB, mindestens)",
        "thr_us_power": "Upstream-Pegel (dBmV)",
        "thr_errors": "Nicht korrigierbare Fehler (%)",
        "thr_errors_key": "alle Kanäle",
        "inc_name": "Störung",
        "inc_status": "Status",
        "inc_start": "Seit",
        "inc_end": "Bis",
        "inc_open": "offen",
        "inc_resolved": "behoben",
        "inc_description": "Beschreibung",
        "st_summary": (
            "{count} Geschwindigkeitstests: Download im Mittel {down_avg} Mbit/s (niedrigster "
            "{down_min}), Upload im Mittel {up_avg} Mbit/s (niedrigster {up_min}), Ping im "
            "Mittel {ping_avg} ms."
        ),
        "st_slowest": "Die langsamsten Tests:",
        "st_none": "In diesem Zeitraum wurden keine Geschwindigkeitstests aufgezeichnet.",
        "col_time": "Zeit",
        "col_download": "Download Mbit/s",
        "col_upload": "Upload Mbit/s",
        "col_ping": "Ping ms",
        "col_server": "Server",
        "bn_none": "In diesen Zeitraum fällt keine Messkampagne der BNetzA.",
        "col_date": "Datum",
        "col_measured": "Mittelwert",
        "col_contract": "Vertrag max.",
        "col_share": "Anteil",
        "col_verdict": "Ergebnis",
        "bn_deviation": "Abweichung",
        "bn_ok": "keine Abweichung",
        "bn_unknown": "nicht bewertet",
        "bn_incomplete": "unvollständige Kampagne",
        "jr_none": "Keine Tagebucheinträge.",
        "col_title": "Eintrag",
        "ev_none": "Keine Warnungen oder kritischen Ereignisse in diesem Zeitraum.",
        "col_event": "Ereignis",
        "col_severity": "Schwere",
        "c_subject": "Betreff: Beschwerde über wiederkehrende Störungen meines Kabelanschlusses",
        "c_customer": "Kundennummer: {number}",
        "c_connection_at": "Anschluss: {address}",
        "c_greeting": "Sehr geehrte Damen und Herren,",
        "c_intro": (
            "hiermit beschwere ich mich über eine anhaltende Störung meines Kabel-"
            "Internetanschlusses. Vom {start} bis zum {end} habe ich die Signalwerte meines "
            "Modems automatisch aufgezeichnet ({count} Messungen). Die Aufzeichnungen zeigen "
            "Folgendes:"
        ),
        "c_poor": (
            "In {pct} % der Messungen ({poor} von {total}) war die Leitung gemessen an den "
            "Grenzwerten von {profile} grenzwertig oder kritisch."
        ),
        "c_no_poor": "Keine Messung in diesem Zeitraum war grenzwertig oder kritisch.",
        "c_ds_power": (
            "Der Downstream-Pegel lag zwischen {low} dBmV ({low_time}) und {high} dBmV "
            "({high_time}); der gute Bereich für 256QAM ist {good_low} bis {good_high} dBmV."
        ),
        "c_snr": (
            "Der niedrigste Downstream-SNR betrug {value} dB ({time}); 256QAM braucht mindestens "
            "{good} dB, unter {critical} dB ist er kritisch."
        ),
        "c_us_power": (
            "Der Upstream-Pegel erreichte {high} dBmV ({time}); der gute Bereich ist {good_low} "
            "bis {good_high} dBmV."
        ),
        "c_uncorr": (
            "Bis zu {value} % der Codewörter gingen durch nicht korrigierbare Übertragungsfehler "
            "verloren ({time}); ab {critical} % ist das kritisch."
        ),
        "c_events": (
            "Es wurden {warning} Warnungen und {critical} kritische Ereignisse aufgezeichnet, "
            "darunter {spikes} Fehlerhäufungen und {restarts} Neustarts des Modems."
        ),
        "c_channels": "Am stärksten betroffene Kanäle: {channels}.",
        "c_bnetz_intro": (
            "Die offizielle Breitbandmessung der Bundesnetzagentur bestätigt, dass die "
            "vertraglich vereinbarte Geschwindigkeit nicht erreicht wird:"
        ),
        "c_bnetz_line": (
            "Messkampagne vom {date}, {direction}: im Mittel {avg} Mbit/s, das sind {pct} % der "
            "vertraglichen Höchstgeschwindigkeit von {max} Mbit/s (Abweichung festgestellt)."
        ),
        "c_bnetz_law": (
            "Nach §57 Abs. 4 TKG berechtigt mich das, das Entgelt entsprechend zu mindern oder "
            "den Vertrag fristlos zu kündigen."
        ),
        "c_requests_intro": "Ich bitte Sie daher,",
        "c_request_technician": (
            "einen Techniker zu schicken, der die Leitung und den Hausanschluss prüft,"
        ),
        "c_request_levels": "die Signalpegel am Übergabepunkt zu messen und zu korrigieren,",
        "c_request_written": "mir die Befunde und die getroffenen Maßnahmen schriftlich zu bestätigen.",
        "c_deadline": "Bitte antworten Sie mir innerhalb von 14 Tagen.",
        "c_escalation": (
            "Sollte die Störung fortbestehen, werde ich mich an die Bundesnetzagentur wenden und "
            "ein Schlichtungsverfahren beantragen."
        ),
        "c_closing": "Mit freundlichen Grüßen",
        "c_download": "Download",
        "c_upload": "Upload",
    },
}

LANGUAGES: tuple[str, ...] = tuple(TEXTS)


def resolve_language(language: str | None) -> str:
    """Return the supported language for a tag such as "de-AT" (English if unsupported)."""
    if not language:
        return DEFAULT_LANGUAGE
    base = language.replace("_", "-").split("-")[0].lower()
    return base if base in TEXTS else DEFAULT_LANGUAGE


class Lang:
    """One language's words, numbers and times."""

    def __init__(self, language: str | None, time_zone: tzinfo) -> None:
        """Pick the language (English for an unsupported one) and the zone times are shown in."""
        self.code = resolve_language(language)
        self.words = TEXTS[self.code]
        self.time_zone = time_zone
        self._comma = self.code == "de"

    def __call__(self, key: str, **values: object) -> str:
        """Return a text with its placeholders filled."""
        text = self.words[key]
        return text.format(**values) if values else text

    def num(self, value: float | None, decimals: int = 1) -> str:
        """Format a number with the language's decimal separator ("n/a" for None)."""
        if value is None:
            return self.words["none"]
        text = f"{value:,.{decimals}f}"
        if self._comma:
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text

    def time(self, when: datetime | None) -> str:
        """Format a time in the report's zone, to the minute."""
        if when is None:
            return self.words["none"]
        local = when.astimezone(self.time_zone)
        return local.strftime("%d.%m.%Y %H:%M" if self._comma else "%Y-%m-%d %H:%M")

    def day(self, when: datetime | str | None) -> str:
        """Format a date (a time in the report's zone, or an ISO date string)."""
        if when is None:
            return self.words["none"]
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
            if when.tzinfo is not None:
                when = when.astimezone(self.time_zone)
        elif when.tzinfo is not None:
            when = when.astimezone(self.time_zone)
        return when.strftime("%d.%m.%Y" if self._comma else "%Y-%m-%d")

    def health(self, value: str) -> str:
        """Return the word for a line or channel health."""
        return self.words.get(f"health_{value}", value)

    def issue(self, key: str) -> str:
        """Return the words for a summary issue key (the key itself if unknown)."""
        return self.words.get(f"issue_{key}", key)
