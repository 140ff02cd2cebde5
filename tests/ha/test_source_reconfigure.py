"""Editing external sources (subentry reconfigure) on a real Home Assistant.

Each source type is edited against its real peer: Speedtest Tracker and BQM
simulators on 127.0.0.1, real folders for the BNetzA watch.  A bad input shows
the same translated error as on adding and changes nothing; a good one
replaces the subentry, the entry reloads, and the new source coordinator reads
from the new place.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentry,
)
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.docsight.bnetz import import_folder
from custom_components.docsight.config_flow import BqmSubentryFlow
from custom_components.docsight.const import (
    CONF_BASE_URL,
    CONF_MODEM_TYPE,
    CONF_SHARE,
    CONF_SHARE_ID,
    DOMAIN,
    SUBENTRY_BQM,
    SUBENTRY_SPEEDTEST,
)
from custom_components.docsight.coordinator import (
    CONF_FOLDER,
    SUBENTRY_BNETZ_FOLDER,
    BnetzFolderCoordinator,
    BqmCoordinator,
    SourceCoordinator,
    SpeedtestCoordinator,
)
from custom_components.docsight.docsis.sources import bqm
from tests.bnetz_pdf import Protocol, protocol_pdf
from tests.sim.bqm import (
    SHARE_ID,
    SHARE_PATH,
    BqmSimulator,
    bqm_server_fixture,  # noqa: F401 - the bqm_server fixture
)
from tests.sim.loopback import unused_port
from tests.sim.speedtest_tracker import (
    TOKEN,
    SpeedtestTrackerSimulator,
    speedtest_tracker_fixture,  # noqa: F401 - the speedtest_tracker fixture
)

from .jsonmodem import JsonModemSimulator, json_modem_fixture  # noqa: F401

pytestmark = pytest.mark.usefixtures("socket_enabled")

OTHER_SHARE = "fedcba9876543210fedcba9876543210fedcba98-7"
THIRD_SHARE = "00112233445566778899aabbccddeeff00112233-9"
GOOD = [[950.0] + [900.0] * 9] * 3


@pytest.fixture(name="second_tracker")
async def second_tracker_fixture(socket_enabled: None) -> AsyncGenerator[SpeedtestTrackerSimulator]:
    """Another Speedtest Tracker (same token as the first), with results of its own."""
    simulator = SpeedtestTrackerSimulator()
    await simulator.start()
    yield simulator
    await simulator.close()


async def _add(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_type: str, user_input: dict[str, Any]
) -> ConfigSubentry:
    """Add a source through the user step and return its subentry."""
    before = set(entry.subentries)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, subentry_type), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done(wait_background_tasks=True)
    (subentry_id,) = set(entry.subentries) - before
    return entry.subentries[subentry_id]


async def _start(hass: HomeAssistant, entry: MockConfigEntry, subentry: ConfigSubentry) -> Any:
    """Open the reconfigure form of a source."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, subentry.subentry_type),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    return result


def _shown(result: Any) -> dict[str, Any]:
    """Return what the form shows in each field (its suggested value), by field name."""
    schema: vol.Schema = result["data_schema"]
    return {str(key): (key.description or {}).get("suggested_value") for key in schema.schema}


def _required(result: Any) -> set[str]:
    schema: vol.Schema = result["data_schema"]
    return {str(key) for key in schema.schema if isinstance(key, vol.Required)}


def _source(entry: MockConfigEntry, subentry: ConfigSubentry) -> SourceCoordinator[Any]:
    return entry.runtime_data.sources[subentry.subentry_id]


def _snapshot(entry: MockConfigEntry, subentry: ConfigSubentry) -> tuple[Any, ...]:
    """What a failed edit must leave alone: the stored subentry and the running source."""
    stored = entry.subentries[subentry.subentry_id]
    return (
        stored.title,
        stored.unique_id,
        dict(stored.data),
        _source(entry, subentry),
        entry.runtime_data.modem,
    )


# -- Speedtest Tracker ------------------------------------------------------------------


async def test_speedtest_reconfigure(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    speedtest_tracker: SpeedtestTrackerSimulator,
    second_tracker: SpeedtestTrackerSimulator,
) -> None:
    """Errors change nothing; the stored token stays with its server; a new token is used."""
    now = datetime.now(UTC)
    speedtest_tracker.add_result(now - timedelta(hours=2), download_mbps=98.7)
    second_tracker.add_result(now - timedelta(hours=1), download_mbps=444.0)
    subentry = await _add(
        hass,
        loaded_demo,
        SUBENTRY_SPEEDTEST,
        {CONF_URL: speedtest_tracker.url, CONF_API_TOKEN: TOKEN},
    )
    download = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{subentry.subentry_id}_download"
    )
    assert download is not None
    assert hass.states.get(download).state == "98.7"

    result = await _start(hass, loaded_demo, subentry)
    # Prefilled with the stored values, except the token, which is not shown and not required.
    assert _shown(result) == {
        CONF_URL: speedtest_tracker.url,
        CONF_API_TOKEN: None,
        CONF_VERIFY_SSL: True,
    }
    assert _required(result) == {CONF_URL}
    flow_id = result["flow_id"]

    before = _snapshot(loaded_demo, subentry)
    second_tracker.token = "2|another-token"  # the stored token is not valid there
    for user_input, error in (
        ({CONF_URL: second_tracker.url, CONF_API_TOKEN: "wrong"}, "invalid_auth"),
        # A new server without a token: the stored one is not sent there.
        ({CONF_URL: second_tracker.url, CONF_API_TOKEN: ""}, "secret_required"),
        ({CONF_URL: second_tracker.url}, "secret_required"),
        ({CONF_URL: f"http://127.0.0.1:{unused_port()}", CONF_API_TOKEN: TOKEN}, "cannot_connect"),
        ({CONF_URL: "speedtest.local", CONF_API_TOKEN: TOKEN}, "invalid_url"),
        (
            {CONF_URL: second_tracker.url + "/other", CONF_API_TOKEN: TOKEN},
            "not_speedtest_tracker",
        ),
    ):
        result = await hass.config_entries.subentries.async_configure(flow_id, user_input)
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "reconfigure"
        assert result["errors"] == {"base": error}, user_input
        # The form keeps what was entered, but never echoes a token.
        assert _shown(result)[CONF_URL] == user_input[CONF_URL]
        assert _shown(result)[CONF_API_TOKEN] is None
        await hass.async_block_till_done(wait_background_tasks=True)
        assert _snapshot(loaded_demo, subentry) == before

    assert second_tracker.requests_with_token(TOKEN) == 0

    # Moved to the second tracker with its token.
    second_tracker.token = TOKEN
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_URL: second_tracker.url + "/", CONF_API_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert loaded_demo.state is ConfigEntryState.LOADED
    updated = loaded_demo.subentries[subentry.subentry_id]
    assert updated.data == {
        CONF_URL: second_tracker.url,
        CONF_API_TOKEN: TOKEN,
        CONF_VERIFY_SSL: True,
    }
    assert updated.unique_id == second_tracker.url
    assert updated.title == "Speedtest Tracker 127.0.0.1"
    # The entry reloaded: a new modem coordinator and a new source reading the second tracker.
    assert loaded_demo.runtime_data.modem is not before[4]
    source = _source(loaded_demo, updated)
    assert isinstance(source, SpeedtestCoordinator)
    assert source is not before[3]
    assert source.last_update_success
    assert hass.states.get(download).state == "444.0"

    # The same server, token left empty: the stored token is kept.
    result = await _start(hass, loaded_demo, updated)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_URL: second_tracker.url, CONF_API_TOKEN: "", CONF_VERIFY_SSL: False},
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert loaded_demo.subentries[subentry.subentry_id].data[CONF_API_TOKEN] == TOKEN

    # A new token for the same tracker: stored, and the reloaded source polls with it.
    second_tracker.read_only_tokens = {"3|read-only"}
    result = await _start(hass, loaded_demo, updated)
    assert _shown(result)[CONF_URL] == second_tracker.url
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_URL: second_tracker.url, CONF_API_TOKEN: "3|read-only", CONF_VERIFY_SSL: False},
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert dict(loaded_demo.subentries[subentry.subentry_id].data) == {
        CONF_URL: second_tracker.url,
        CONF_API_TOKEN: "3|read-only",
        CONF_VERIFY_SSL: False,
    }
    second_tracker.token = "4|not-the-old-one"  # only the new token still reads
    second_tracker.add_result(now, download_mbps=321.0)
    source = _source(loaded_demo, updated)
    assert source is not before[3]
    await source.async_refresh()
    await hass.async_block_till_done()
    assert source.last_update_success
    assert hass.states.get(download).state == "321.0"


async def test_speedtest_reconfigure_to_another_sources_tracker(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    speedtest_tracker: SpeedtestTrackerSimulator,
    second_tracker: SpeedtestTrackerSimulator,
) -> None:
    """A tracker another source already reads is refused before it is asked anything."""
    first = await _add(
        hass,
        loaded_demo,
        SUBENTRY_SPEEDTEST,
        {CONF_URL: speedtest_tracker.url, CONF_API_TOKEN: TOKEN},
    )
    await _add(
        hass, loaded_demo, SUBENTRY_SPEEDTEST, {CONF_URL: second_tracker.url, CONF_API_TOKEN: TOKEN}
    )
    before = _snapshot(loaded_demo, first)
    calls = len(second_tracker.calls)
    result = await _start(hass, loaded_demo, first)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_URL: second_tracker.url + "/"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(second_tracker.calls) == calls
    assert _snapshot(loaded_demo, first) == before


# -- ThinkBroadband BQM -----------------------------------------------------------------


def test_bqm_form_values_give_back_the_stored_share() -> None:
    """What the form shows is read back to the same share and server."""
    flow = BqmSubentryFlow()
    default = {CONF_SHARE_ID: SHARE_ID, CONF_BASE_URL: bqm.DEFAULT_BASE_URL}
    mirror = {CONF_SHARE_ID: SHARE_ID, CONF_BASE_URL: f"http://127.0.0.1:8123{SHARE_PATH}"}
    assert flow._form_values(default) == {CONF_SHARE: SHARE_ID}
    for data in (default, mirror):
        text = flow._form_values(data)[CONF_SHARE]
        assert bqm.extract_share_id(text) == SHARE_ID
        assert bqm.base_url_of(text) == data[CONF_BASE_URL]


async def test_bqm_reconfigure(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, bqm_server: BqmSimulator
) -> None:
    """Errors change nothing; another share is tested, stored and read after the reload."""
    subentry = await _add(hass, loaded_demo, SUBENTRY_BQM, {CONF_SHARE: bqm_server.share_url})
    result = await _start(hass, loaded_demo, subentry)
    shown = _shown(result)[CONF_SHARE]
    assert bqm.extract_share_id(shown) == SHARE_ID
    assert bqm.base_url_of(shown) == subentry.data[CONF_BASE_URL]
    flow_id = result["flow_id"]

    base = subentry.data[CONF_BASE_URL]
    unknown = "abcdefabcdefabcdefabcdefabcdefabcdefabcd-1"
    before = _snapshot(loaded_demo, subentry)
    for text, error in (
        ("no share here", "invalid_share"),
        (base + unknown, "share_not_found"),
        (f"http://127.0.0.1:{unused_port()}{SHARE_PATH}{OTHER_SHARE}", "cannot_connect"),
    ):
        result = await hass.config_entries.subentries.async_configure(flow_id, {CONF_SHARE: text})
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": error}, text
        assert _shown(result)[CONF_SHARE] == text
    bqm_server.share_ids.add(OTHER_SHARE)
    bqm_server.status = 429
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_SHARE: base + OTHER_SHARE}
    )
    assert result["errors"] == {"base": "rate_limited"}
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _snapshot(loaded_demo, subentry) == before

    bqm_server.status = None
    bqm_server.calls.clear()
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_SHARE: f"{base}{OTHER_SHARE.upper()}-l.csv"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    updated = loaded_demo.subentries[subentry.subentry_id]
    assert updated.data == {CONF_SHARE_ID: OTHER_SHARE, CONF_BASE_URL: base}
    assert updated.unique_id == OTHER_SHARE
    assert updated.title == f"ThinkBroadband BQM {OTHER_SHARE[:8]}"
    source = _source(loaded_demo, updated)
    assert isinstance(source, BqmCoordinator)
    assert source is not before[3]
    assert loaded_demo.runtime_data.modem is not before[4]
    assert source.client.share_id == OTHER_SHARE
    # After the test read, the reloaded source fetched the new share's day itself.
    assert f"{OTHER_SHARE}-y.csv" in bqm_server.calls
    assert not any(SHARE_ID in name for name in bqm_server.calls)
    assert source.last_update_success


async def test_bqm_reconfigure_to_another_sources_share(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, bqm_server: BqmSimulator
) -> None:
    bqm_server.share_ids.add(THIRD_SHARE)
    first = await _add(hass, loaded_demo, SUBENTRY_BQM, {CONF_SHARE: bqm_server.share_url})
    await _add(
        hass, loaded_demo, SUBENTRY_BQM, {CONF_SHARE: first.data[CONF_BASE_URL] + THIRD_SHARE}
    )
    before = _snapshot(loaded_demo, first)
    bqm_server.calls.clear()
    result = await _start(hass, loaded_demo, first)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_SHARE: THIRD_SHARE}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert bqm_server.calls == []
    assert _snapshot(loaded_demo, first) == before


# -- BNetzA folder ----------------------------------------------------------------------


@pytest.fixture
async def modem_entry(hass: HomeAssistant, json_modem: JsonModemSimulator) -> MockConfigEntry:
    """A JSON-modem entry: no demo campaigns that a folder's import could collide with."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Simulated modem",
        unique_id=json_modem.serial,
        data={CONF_MODEM_TYPE: "json_http", CONF_URL: json_modem.url},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_bnetz_folder_reconfigure(
    hass: HomeAssistant, modem_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """Errors change nothing; another allowed folder is watched after the reload."""
    allowed = tmp_path / "allowed"
    hass.config.allowlist_external_dirs = {str(allowed)}
    subentry = await _add(
        hass, modem_entry, SUBENTRY_BNETZ_FOLDER, {CONF_FOLDER: str(import_folder(hass))}
    )
    result = await _start(hass, modem_entry, subentry)
    assert _shown(result) == {CONF_FOLDER: str(import_folder(hass).resolve())}
    flow_id = result["flow_id"]

    before = _snapshot(modem_entry, subentry)
    for folder, error in (
        (tmp_path / "elsewhere", "folder_not_allowed"),
        ("bnetz", "folder_not_allowed"),
        (allowed / "absent", "folder_not_found"),
    ):
        result = await hass.config_entries.subentries.async_configure(
            flow_id, {CONF_FOLDER: str(folder)}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": error}, folder
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _snapshot(modem_entry, subentry) == before
    assert not (allowed / "absent").exists()

    target = allowed / "campaigns"
    target.mkdir(parents=True)
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_FOLDER: str(target / ".." / "campaigns")}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    updated = modem_entry.subentries[subentry.subentry_id]
    assert updated.data == {CONF_FOLDER: str(target.resolve())}
    assert updated.unique_id == str(target.resolve())
    assert updated.title == "BNetzA folder campaigns"
    source = _source(modem_entry, updated)
    assert isinstance(source, BnetzFolderCoordinator)
    assert source is not before[3]
    assert modem_entry.runtime_data.modem is not before[4]

    # The new folder is the one scanned; a protocol left in the old one stays there.
    old = import_folder(hass) / "old.pdf"
    new = target / "new.pdf"
    for path in (old, new):
        path.write_bytes(protocol_pdf(Protocol.campaign(GOOD)))
        moment = path.stat().st_mtime - 60
        os.utime(path, (moment, moment))
    await source.async_refresh()
    await hass.async_block_till_done()
    assert source.data.imported == ("2026-03-14",)
    assert (target / "processed" / "new.pdf").exists()
    assert old.exists()


async def test_bnetz_folder_reconfigure_to_another_sources_folder(
    hass: HomeAssistant, modem_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """The folder's id is only known after checking it; the duplicate is still refused."""
    other = tmp_path / "allowed" / "other"
    other.mkdir(parents=True)
    hass.config.allowlist_external_dirs = {str(tmp_path / "allowed")}
    first = await _add(
        hass, modem_entry, SUBENTRY_BNETZ_FOLDER, {CONF_FOLDER: str(import_folder(hass))}
    )
    await _add(hass, modem_entry, SUBENTRY_BNETZ_FOLDER, {CONF_FOLDER: str(other)})
    before = _snapshot(modem_entry, first)
    result = await _start(hass, modem_entry, first)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_FOLDER: str(other) + "/"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _snapshot(modem_entry, first) == before


async def test_unchanged_input_keeps_the_running_source(
    hass: HomeAssistant, modem_entry: MockConfigEntry
) -> None:
    """Saving the same values again succeeds without a reload (nothing changed)."""
    subentry = await _add(
        hass, modem_entry, SUBENTRY_BNETZ_FOLDER, {CONF_FOLDER: str(import_folder(hass))}
    )
    before = _snapshot(modem_entry, subentry)
    result = await _start(hass, modem_entry, subentry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_FOLDER: str(import_folder(hass))}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _snapshot(modem_entry, subentry) == before
