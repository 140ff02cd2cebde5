"""Every real driver works through the library's command line, against its simulator."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import sys

from tests.sim.arris_cm3500 import (
    PASSWORD as ARRIS_PASSWORD,
    USERNAME as ARRIS_USERNAME,
    ArrisCM3500Simulator,
)
from tests.sim.arris_cm8200 import PASSWORD as CM8200_PASSWORD, ArrisCM8200Simulator
from tests.sim.arris_surfboard import PASSWORD as SURFBOARD_PASSWORD, ArrisSurfboardSimulator
from tests.sim.compal import PASSWORD, CompalSimulator, compal_modem_fixture  # noqa: F401
from tests.sim.fritzbox import PASSWORD as FRITZ_PASSWORD, FritzBoxSimulator, fritzbox_sim_fixture  # noqa: F401
from tests.sim.netgear_cm3000 import (
    PASSWORD as NETGEAR_PASSWORD,
    USERNAME as NETGEAR_USERNAME,
    CM3000Simulator,
)
from tests.sim.snmpagent import SnmpAgent
from tests.sim.tc4400 import tc4400_agent_fixture  # noqa: F401 - the tc4400_agent fixture
from tests.sim.ultrahub7 import PASSWORD as HUB_PASSWORD, UltraHub7Simulator
from tests.sim.vodafone_station import (  # noqa: F401
    PASSWORD as STATION_PASSWORD,
    VodafoneStationSimulator,
    cga_station_fixture,
    tg_station_fixture,
)

ROOT = Path(__file__).resolve().parents[2]


async def _poll(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "custom_components.docsight.docsis",
        "poll",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, stdout.decode(), stderr.decode()


async def test_compal_through_the_command_line(compal_modem: CompalSimulator) -> None:
    code, out, err = await _poll(
        "--modem", "ch7465", "--url", compal_modem.url, "--password", PASSWORD, "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["modem"] == "ch7465"
    assert data["downstream"]
    assert data["summary"]["health"] in {"good", "tolerated", "marginal", "critical"}

    code, _out, err = await _poll(
        "--modem", "ch7465", "--url", compal_modem.url, "--password", "wrong"
    )
    assert code == 2
    assert "ModemAuthError" in err


async def test_fritzbox_through_the_command_line(fritzbox_sim: FritzBoxSimulator) -> None:
    code, out, err = await _poll(
        "--modem", "fritzbox", "--url", fritzbox_sim.url, "--password", FRITZ_PASSWORD, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["downstream"]


async def test_vodafone_station_through_the_command_line(
    cga_station: VodafoneStationSimulator, tg_station: VodafoneStationSimulator
) -> None:
    for station in (cga_station, tg_station):
        code, out, err = await _poll(
            "--modem", "vodafone_station", "--url", station.url, "--password", STATION_PASSWORD
        )
        assert code == 0, err
        assert "downstream:" in out


async def test_ultrahub7_through_the_command_line(socket_enabled: None) -> None:
    station = UltraHub7Simulator()
    await station.start()
    try:
        code, out, err = await _poll(
            "--modem", "ultrahub7", "--url", station.url, "--password", HUB_PASSWORD, "--json"
        )
    finally:
        await station.close()
    assert code == 0, err
    assert json.loads(out)["upstream"]


async def test_arris_cm3500_through_the_command_line(socket_enabled: None) -> None:
    modem = ArrisCM3500Simulator()
    await modem.start()
    try:
        code, out, err = await _poll(
            "--modem", "cm3500", "--url", modem.url,
            "--username", ARRIS_USERNAME, "--password", ARRIS_PASSWORD, "--json",
        )  # fmt: skip
    finally:
        await modem.close()
    assert code == 0, err
    assert len(json.loads(out)["downstream"]) > 20


async def test_netgear_cm3000_through_the_command_line(socket_enabled: None) -> None:
    modem = CM3000Simulator()
    await modem.start()
    try:
        code, out, err = await _poll(
            "--modem", "cm3000", "--url", modem.url,
            "--username", NETGEAR_USERNAME, "--password", NETGEAR_PASSWORD, "--json",
        )  # fmt: skip
    finally:
        await modem.close()
    assert code == 0, err
    assert len(json.loads(out)["downstream"]) == 34


async def test_arris_surfboard_and_cm8200_through_the_command_line(socket_enabled: None) -> None:
    for modem, password, key in (
        (ArrisSurfboardSimulator(), SURFBOARD_PASSWORD, "surfboard"),
        (ArrisCM8200Simulator(tls=True), CM8200_PASSWORD, "cm8200"),
    ):
        await modem.start()
        try:
            code, out, err = await _poll(
                "--modem", key, "--url", modem.url, "--password", password, "--json"
            )
        finally:
            await modem.close()
        assert code == 0, err
        data = json.loads(out)
        assert data["modem"] == key
        assert data["downstream"]
        assert data["upstream"]


async def test_tc4400_over_snmp_through_the_command_line(
    tc4400_agent: SnmpAgent, socket_enabled: None
) -> None:
    code, out, err = await _poll("--modem", "tc4400", "--url", tc4400_agent.url, "--json")

    assert code == 0, err
    data = json.loads(out)
    assert data["modem"] == "tc4400"
    assert data["summary"]["errors_supported"] is True
