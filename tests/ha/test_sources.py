"""External sources on a real Home Assistant: subentry flows, coordinators, entities, backoff.

Speedtest Tracker and ThinkBroadband BQM are added to the demo entry from
the subentry flow, against their simulators on 127.0.0.1 (tests/sim).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
import socket
from types import MappingProxyType
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.image import async_get_image
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigSubentry
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.docsight.config_flow import SourceSubentryFlow, SpeedtestSubentryFlow
from custom_components.docsight.const import (
    CONF_BASE_URL,
    CONF_SHARE,
    CONF_SHARE_ID,
    DOMAIN,
    SUBENTRY_BQM,
    SUBENTRY_SPEEDTEST,
)
from custom_components.docsight.coordinator import (
    BqmCoordinator,
    SourceCoordinator,
    SpeedtestCoordinator,
    source_failure_key,
)
from custom_components.docsight.docsis.sources import (
    SourceDataError,
    SourceNotFoundError,
    bqm,
    speedtest,
)
from custom_components.docsight.docsis.storage import StoreError
from tests.sim.bqm import (
    SHARE_ID,
    BqmSimulator,
    bqm_server_fixture,  # noqa: F401 - the bqm_server fixture
    png,
)
from tests.sim.speedtest_tracker import (
    TOKEN,
    SpeedtestTrackerSimulator,
    speedtest_tracker_fixture,  # noqa: F401 - the speedtest_tracker fixture
)

pytestmark = pytest.mark.usefixtures("socket_enabled")


async def _advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _subentry_flow(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_type: str, user_input: dict[str, Any]
) -> Any:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, subentry_type), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)


def _source(entry: MockConfigEntry, subentry_type: str) -> SourceCoordinator[Any]:
    (source,) = [
        source
        for source in entry.runtime_data.sources.values()
        if source.source_type == subentry_type
    ]
    return source


def _entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


def _state(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    state = hass.states.get(_entity_id(hass, platform, unique_id))
    assert state is not None
    return state.state


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _add_speedtest(
    hass: HomeAssistant, entry: MockConfigEntry, tracker: SpeedtestTrackerSimulator
) -> SpeedtestCoordinator:
    result = await _subentry_flow(
        hass, entry, SUBENTRY_SPEEDTEST, {CONF_URL: tracker.url, CONF_API_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    source = _source(entry, SUBENTRY_SPEEDTEST)
    assert isinstance(source, SpeedtestCoordinator)
    return source


async def _add_bqm(
    hass: HomeAssistant, entry: MockConfigEntry, server: BqmSimulator
) -> BqmCoordinator:
    result = await _subentry_flow(hass, entry, SUBENTRY_BQM, {CONF_SHARE: server.share_url})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    source = _source(entry, SUBENTRY_BQM)
    assert isinstance(source, BqmCoordinator)
    return source


# -- Speedtest Tracker ------------------------------------------------------------------


async def test_speedtest_flow_errors_then_created(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    speedtest_tracker: SpeedtestTrackerSimulator,
) -> None:
    """Every bad input gets its own error and stores nothing; the right token creates the source."""
    now = datetime.now(UTC)
    speedtest_tracker.add_results(3, now - timedelta(hours=3), timedelta(hours=1))
    result = await hass.config_entries.subentries.async_init(
        (loaded_demo.entry_id, SUBENTRY_SPEEDTEST), context={"source": SOURCE_USER}
    )
    flow_id = result["flow_id"]
    for user_input, error in (
        ({CONF_URL: speedtest_tracker.url, CONF_API_TOKEN: "wrong"}, "invalid_auth"),
        ({CONF_URL: f"http://127.0.0.1:{_free_port()}", CONF_API_TOKEN: TOKEN}, "cannot_connect"),
        ({CONF_URL: "speedtest.local", CONF_API_TOKEN: TOKEN}, "invalid_url"),
        (
            {CONF_URL: speedtest_tracker.url + "/other", CONF_API_TOKEN: TOKEN},
            "not_speedtest_tracker",
        ),
    ):
        result = await hass.config_entries.subentries.async_configure(flow_id, user_input)
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": error}
    speedtest_tracker.status = 429
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_URL: speedtest_tracker.url, CONF_API_TOKEN: TOKEN}
    )
    assert result["errors"] == {"base": "rate_limited"}
    assert loaded_demo.subentries == {}
    history = loaded_demo.runtime_data.history
    assert await history.run(speedtest.result_count, speedtest_tracker.url) == 0

    speedtest_tracker.status = None
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_URL: speedtest_tracker.url + "/", CONF_API_TOKEN: f" {TOKEN} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Speedtest Tracker 127.0.0.1"
    assert result["data"] == {
        CONF_URL: speedtest_tracker.url,
        CONF_API_TOKEN: TOKEN,
        CONF_VERIFY_SSL: True,
    }
    await hass.async_block_till_done(wait_background_tasks=True)
    (subentry,) = loaded_demo.subentries.values()
    assert subentry.unique_id == speedtest_tracker.url

    # The same tracker again is refused.
    result = await _subentry_flow(
        hass,
        loaded_demo,
        SUBENTRY_SPEEDTEST,
        {CONF_URL: speedtest_tracker.url, CONF_API_TOKEN: TOKEN},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_speedtest_entities_backfill_update_and_link(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    speedtest_tracker: SpeedtestTrackerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    now = datetime.now(UTC)
    # Older than the demo's seeded speed tests: real results must still win.
    speedtest_tracker.add_results(
        120, now - timedelta(days=10), timedelta(hours=1), download_mbps=123.4
    )
    speedtest_tracker.add_result(now - timedelta(minutes=5), download_mbps=98.7, packet_loss=0.5)
    source = await _add_speedtest(hass, loaded_demo, speedtest_tracker)
    subentry_id = source.subentry.subentry_id

    assert source.data.stored == 121
    assert source.data.imported == 121
    assert _state(hass, "sensor", f"{subentry_id}_download") == "98.7"
    assert _state(hass, "sensor", f"{subentry_id}_upload") == "40.0"
    assert _state(hass, "sensor", f"{subentry_id}_ping") == "12.5"
    assert _state(hass, "sensor", f"{subentry_id}_jitter") == "1.25"
    assert _state(hass, "sensor", f"{subentry_id}_packet_loss") == "0.5"
    last = hass.states.get(_entity_id(hass, "sensor", f"{subentry_id}_last_test"))
    assert last is not None
    assert last.state == (now - timedelta(minutes=5)).replace(microsecond=0).isoformat()
    # Linked to the demo poll closest in time (the first live poll, five minutes later).
    assert last.attributes["line_health"] == "good"
    assert last.attributes["snapshot_time"] is not None
    assert last.attributes["server"] == "Example Carrier"
    assert last.attributes["result_id"] == 121

    # A device of its own, linked to the modem's.
    registry = dr.async_get(hass)
    device = registry.async_get_device(identifiers={(DOMAIN, subentry_id)})
    assert device is not None
    modem = registry.async_get_device(identifiers={(DOMAIN, "demo")})
    assert modem is not None
    assert device.via_device_id == modem.id
    entity = er.async_get(hass).async_get(_entity_id(hass, "sensor", f"{subentry_id}_download"))
    assert entity is not None
    assert entity.config_subentry_id == subentry_id

    # Only new results from now on: one page read, one row more.
    speedtest_tracker.calls.clear()
    speedtest_tracker.add_result(datetime.now(UTC), download_mbps=201.0)
    await _advance(hass, freezer, 300)
    assert speedtest_tracker.calls == [("GET", "/api/v1/results", 1)]
    assert source.data.stored == 122
    assert _state(hass, "sensor", f"{subentry_id}_download") == "201.0"


async def test_speedtest_backoff_and_recovery(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    speedtest_tracker: SpeedtestTrackerSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The source waits like the modem: interval + 30 s * 2^(n-1), at most an hour more."""
    speedtest_tracker.add_result(datetime.now(UTC) - timedelta(hours=1))
    source = await _add_speedtest(hass, loaded_demo, speedtest_tracker)
    download = f"{source.subentry.subentry_id}_download"
    caplog.set_level(logging.INFO)

    speedtest_tracker.status = 503
    await _advance(hass, freezer, 300)
    assert source.backoff.failures == 1
    assert _state(hass, "sensor", download) == STATE_UNAVAILABLE
    for failures, penalty in enumerate([30, 60, 120, 240], start=1):
        assert source.update_interval == timedelta(seconds=300 + penalty)
        status = source.status()
        assert status["consecutive_failures"] == failures
        assert status["penalty_seconds"] == penalty
        assert "HTTP 503" in status["last_error"]
        await _advance(hass, freezer, 300 + penalty - 1)
        assert source.backoff.failures == failures
        await _advance(hass, freezer, 1)
        assert source.backoff.failures == failures + 1
    unavailable = [r for r in caplog.records if "cannot reach the server" in r.getMessage()]
    assert len(unavailable) == 1, "logged once"

    # A wrong token later on is a failure of its own kind, with its own message.
    speedtest_tracker.status = None
    speedtest_tracker.token = "rotated"
    await _advance(hass, freezer, 300 + 480)
    assert source.backoff.failures == 6
    assert not source.last_update_success
    assert isinstance(source.last_exception, Exception)
    assert "refused the credentials" in str(source.last_exception)

    speedtest_tracker.token = TOKEN
    await _advance(hass, freezer, 300 + 960)
    assert source.backoff.failures == 0
    assert source.update_interval == timedelta(seconds=300)
    assert _state(hass, "sensor", download) == "250.0"
    assert source.status()["last_error"] is None


async def test_speedtest_id_reset_and_wiped_server(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    speedtest_tracker: SpeedtestTrackerSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = datetime.now(UTC)
    speedtest_tracker.add_results(5, now - timedelta(hours=5), timedelta(hours=1))
    source = await _add_speedtest(hass, loaded_demo, speedtest_tracker)
    download = f"{source.subentry.subentry_id}_download"

    speedtest_tracker.wipe()
    await _advance(hass, freezer, 300)
    assert source.data.reset is speedtest.ResetKind.WIPED
    assert source.data.stored == 5, "stored results are kept"
    assert _state(hass, "sensor", download) == "250.0"
    assert "wiped" in caplog.text
    caplog.clear()
    await _advance(hass, freezer, 300)
    assert "wiped" not in caplog.text, "said once"

    speedtest_tracker.reset_ids()
    speedtest_tracker.add_result(datetime.now(UTC), download_mbps=77.0)
    await _advance(hass, freezer, 300)
    assert source.data.reset is speedtest.ResetKind.ID_RESET
    assert "database was reset" in caplog.text
    assert source.data.stored == 6, "id 1 of the new database next to the old id 1"
    assert _state(hass, "sensor", download) == "77.0"


async def test_run_speedtest_button(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    speedtest_tracker: SpeedtestTrackerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    source = await _add_speedtest(hass, loaded_demo, speedtest_tracker)
    button = _entity_id(hass, "button", f"{source.subentry.subentry_id}_run_speedtest")
    assert source.data.latest is None
    assert _state(hass, "sensor", f"{source.subentry.subentry_id}_download") == "unknown"

    await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    assert speedtest_tracker.calls[-1] == ("POST", "/api/v1/speedtests/run", None)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    assert err.value.translation_key == "speedtest_run_too_soon"
    await _advance(hass, freezer, 300)
    assert _state(hass, "sensor", f"{source.subentry.subentry_id}_download") == "222.0"

    speedtest_tracker.read_only_tokens.add(TOKEN)
    speedtest_tracker.token = "other"
    await _advance(hass, freezer, 61)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    assert err.value.translation_key == "speedtest_run_forbidden"
    speedtest_tracker.status = 500
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    assert err.value.translation_key == "speedtest_run_failed"


# -- BQM ------------------------------------------------------------------------------------


async def test_bqm_flow_errors_then_created(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, bqm_server: BqmSimulator
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (loaded_demo.entry_id, SUBENTRY_BQM), context={"source": SOURCE_USER}
    )
    flow_id = result["flow_id"]
    unknown = bqm_server.share_url.replace(SHARE_ID, "f" * 40)
    for text, status, error in (
        ("my monitor", None, "invalid_share"),
        (unknown, None, "share_not_found"),
        (bqm_server.share_url, 429, "rate_limited"),
        (bqm_server.share_url, 403, "rate_limited"),
        (f"http://127.0.0.1:{_free_port()}/share/{SHARE_ID}.png", None, "cannot_connect"),
    ):
        bqm_server.status = status
        result = await hass.config_entries.subentries.async_configure(flow_id, {CONF_SHARE: text})
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": error}, text
    bqm_server.status = None
    bqm_server.csv_text = "<html>not a csv</html>"
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_SHARE: bqm_server.share_url}
    )
    assert result["errors"] == {"base": "bad_data"}
    assert loaded_demo.subentries == {}

    bqm_server.csv_text = None
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_SHARE: bqm_server.share_url}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"ThinkBroadband BQM {SHARE_ID[:8]}"
    await hass.async_block_till_done(wait_background_tasks=True)
    result = await _subentry_flow(hass, loaded_demo, SUBENTRY_BQM, {CONF_SHARE: SHARE_ID})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_bqm_entities_and_daily_schedule(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    bqm_server: BqmSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Yesterday is read at once when missing, then once a day at the share's own time."""
    source = await _add_bqm(hass, loaded_demo, bqm_server)
    subentry_id = source.subentry.subentry_id
    assert bqm_server.calls[-2:] == [f"{SHARE_ID}-y.csv", f"{SHARE_ID}-y.png"]
    assert _state(hass, "sensor", f"{subentry_id}_packet_loss") == str(round(18000 / 86400, 3))
    assert _state(hass, "sensor", f"{subentry_id}_latency_max") == "310.0"
    assert float(_state(hass, "sensor", f"{subentry_id}_latency_avg")) == pytest.approx(11.695)
    assert _state(hass, "sensor", f"{subentry_id}_day") == "2026-03-16"  # yesterday in US/Pacific
    image_id = _entity_id(hass, "image", f"{subentry_id}_graph")
    image = await async_get_image(hass, image_id)
    assert image.content == png()
    assert image.content_type == "image/png"
    assert hass.states.get(image_id).state == "2026-03-16T00:00:00-07:00"

    # Local 05:00 now, past today's collection time: the next read is tomorrow's.
    next_collect = source.next_collect(datetime.now(UTC))
    assert next_collect.date().isoformat() == "2026-03-18"
    assert timedelta(hours=2) <= next_collect - next_collect.replace(hour=0) < timedelta(hours=4)
    wait = (next_collect - datetime.now(UTC)).total_seconds()
    assert source.update_interval is not None
    assert abs(source.update_interval.total_seconds() - wait) < 2
    calls = len(bqm_server.calls)
    await _advance(hass, freezer, wait - 60)
    assert len(bqm_server.calls) == calls, "nothing before the collection time"
    bqm_server.image = png(shade=200)
    await _advance(hass, freezer, 61)
    assert bqm_server.calls[calls:] == [f"{SHARE_ID}-y.csv", f"{SHARE_ID}-y.png"]
    assert _state(hass, "sensor", f"{subentry_id}_day") == "2026-03-17"
    assert (await async_get_image(hass, image_id)).content == png(shade=200)
    assert source.data.stored == 2


async def test_bqm_403_stops_until_the_next_day(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    bqm_server: BqmSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    source = await _add_bqm(hass, loaded_demo, bqm_server)
    packet_loss = f"{source.subentry.subentry_id}_packet_loss"
    bqm_server.status = 403
    wait = (source.next_collect(datetime.now(UTC)) - datetime.now(UTC)).total_seconds()
    await _advance(hass, freezer, wait + 1)
    assert bqm_server.calls[-1] == f"{SHARE_ID}-y.csv", "one request, then stop"
    calls = len(bqm_server.calls)
    assert source.backoff.failures == 1
    assert _state(hass, "sensor", packet_loss) == STATE_UNAVAILABLE
    assert "asked to stop" in str(source.last_exception)
    # No retry after 30 minutes, nor in the hours after: the next try is the next day's.
    assert source.update_interval is not None
    assert source.update_interval > timedelta(hours=23)
    await _advance(hass, freezer, 6 * 3600)
    assert len(bqm_server.calls) == calls

    bqm_server.status = None
    await _advance(hass, freezer, source.update_interval.total_seconds())
    assert len(bqm_server.calls) == calls + 2
    assert source.backoff.failures == 0
    assert _state(hass, "sensor", packet_loss) != STATE_UNAVAILABLE


async def test_bqm_connection_failure_retries_with_backoff(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    bqm_server: BqmSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    bqm_server.status = 500
    # Added directly (the flow would refuse the share while the server fails).
    hass.config_entries.async_add_subentry(
        loaded_demo,
        ConfigSubentry(
            data=MappingProxyType(
                {CONF_SHARE_ID: SHARE_ID, CONF_BASE_URL: bqm.base_url_of(bqm_server.share_url)}
            ),
            subentry_type=SUBENTRY_BQM,
            title="BQM",
            unique_id=SHARE_ID,
        ),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    source = _source(loaded_demo, SUBENTRY_BQM)
    assert source.backoff.failures == 1
    assert source.update_interval == timedelta(minutes=30, seconds=30)
    image_id = _entity_id(hass, "image", f"{source.subentry.subentry_id}_graph")
    assert hass.states.get(image_id).state == STATE_UNAVAILABLE
    assert (
        await loaded_demo.runtime_data.history.run(
            lambda store: store.connection.execute(
                "SELECT count(*) FROM bqm_graphs WHERE is_demo = 0"
            ).fetchone()[0]
        )
        == 0
    ), "nothing stored"
    await _advance(hass, freezer, 30 * 60 + 29)
    assert source.backoff.failures == 1
    await _advance(hass, freezer, 1)
    assert source.backoff.failures == 2
    assert source.update_interval == timedelta(minutes=31)
    bqm_server.status = None
    bqm_server.image = None
    await _advance(hass, freezer, 31 * 60)
    assert source.backoff.failures == 0
    # A day without a graph: the figures are there, the image entity is unavailable.
    assert source.data.latest is not None
    assert source.data.latest.image is None
    assert hass.states.get(image_id).state == STATE_UNAVAILABLE


# -- the framework ------------------------------------------------------------------------


async def test_unload_and_remove_leave_nothing_behind(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    speedtest_tracker: SpeedtestTrackerSimulator,
    bqm_server: BqmSimulator,
) -> None:
    speedtest_tracker.add_result(datetime.now(UTC))
    tracker = await _add_speedtest(hass, loaded_demo, speedtest_tracker)
    monitor = await _add_bqm(hass, loaded_demo, bqm_server)
    assert set(loaded_demo.runtime_data.sources) == {
        tracker.subentry.subentry_id,
        monitor.subentry.subentry_id,
    }
    registry = er.async_get(hass)
    assert len(er.async_entries_for_config_entry(registry, loaded_demo.entry_id)) > 12

    # A reload keeps the sources' devices (the stale-device cleanup spares them).
    assert await hass.config_entries.async_reload(loaded_demo.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    devices = dr.async_get(hass)
    assert devices.async_get_device(identifiers={(DOMAIN, tracker.subentry.subentry_id)})

    # Removing a subentry removes its device and entities, and the entry reloads without it.
    hass.config_entries.async_remove_subentry(loaded_demo, tracker.subentry.subentry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert loaded_demo.state is ConfigEntryState.LOADED
    assert list(loaded_demo.runtime_data.sources) == [monitor.subentry.subentry_id]
    assert not devices.async_get_device(identifiers={(DOMAIN, tracker.subentry.subentry_id)})
    assert not [
        entity
        for entity in er.async_entries_for_config_entry(registry, loaded_demo.entry_id)
        if entity.unique_id.startswith(tracker.subentry.subentry_id)
    ]

    assert await hass.config_entries.async_unload(loaded_demo.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert loaded_demo.state is ConfigEntryState.NOT_LOADED
    calls = len(bqm_server.calls)
    assert not monitor._listeners
    assert monitor._unsub_refresh is None
    # Nothing polls after the unload (phcc also fails the test on lingering timers).
    assert len(bqm_server.calls) == calls


async def test_options_change_reloads_once_and_sources_survive(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    speedtest_tracker: SpeedtestTrackerSimulator,
) -> None:
    source = await _add_speedtest(hass, loaded_demo, speedtest_tracker)
    hass.config_entries.async_update_entry(loaded_demo, title="Renamed")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert loaded_demo.runtime_data.sources[source.subentry.subentry_id] is source, (
        "a change that is not a subentry change does not reload"
    )


def test_failure_keys() -> None:
    assert source_failure_key(StoreError("x")) == "source_store_failed"
    assert source_failure_key(SourceNotFoundError("x")) == "source_not_found"
    assert source_failure_key(SourceDataError("x")) == "source_bad_data"
    assert source_failure_key(TimeoutError()) == "source_timeout"


async def test_flow_timeout_unexpected_error_and_late_duplicate(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    speedtest_tracker: SpeedtestTrackerSimulator,
    monkeypatch: pytest.MonkeyPatch,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A server that does not answer in time, a bug in a test, and a source found added after testing."""
    user_input = {CONF_URL: speedtest_tracker.url, CONF_API_TOKEN: TOKEN}
    result = await hass.config_entries.subentries.async_init(
        (loaded_demo.entry_id, SUBENTRY_SPEEDTEST), context={"source": SOURCE_USER}
    )
    speedtest_tracker.hang = True
    configure = hass.async_create_task(
        hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    )
    await speedtest_tracker.received.wait()
    freezer.tick(timedelta(seconds=121))
    async_fire_time_changed(hass)
    result = await configure
    assert result["errors"] == {"base": "cannot_connect"}
    speedtest_tracker.hang = False

    async def broken(self: SpeedtestSubentryFlow, _input: dict[str, Any]) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(SpeedtestSubentryFlow, "_async_test", broken)
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    assert result["errors"] == {"base": "unknown"}
    monkeypatch.undo()

    # A source type that cannot tell its unique id before testing still refuses a duplicate.
    await _add_speedtest(hass, loaded_demo, speedtest_tracker)
    monkeypatch.setattr(SpeedtestSubentryFlow, "_unique_id", SourceSubentryFlow._unique_id)

    result = await _subentry_flow(hass, loaded_demo, SUBENTRY_SPEEDTEST, user_input)
    assert result.get("errors") is None
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
