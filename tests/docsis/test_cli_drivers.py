"""Every real driver works through the library's command line, against its simulator."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import sys

from tests.sim.compal import PASSWORD, CompalSimulator, compal_modem_fixture  # noqa: F401

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
