"""Command line on the library: poll a modem or analyse a saved reading.

Runs without Home Assistant:
``python -m custom_components.docsight.docsis poll --modem demo --json``.
Every registered driver is available here through ``--modem``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import sys
from typing import TYPE_CHECKING, Any

import aiohttp

from .analyzer import Analysis, analyze
from .drivers import MODEM_TYPES, DriverConfig, ModemError, create_driver
from .serialize import analysis_to_json, reading_from_json

if TYPE_CHECKING:
    from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m custom_components.docsight.docsis",
        description="Poll a cable modem or analyse a saved reading.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    poll = commands.add_parser("poll", help="poll a modem once and print its analysis")
    poll.add_argument("--modem", required=True, choices=sorted(MODEM_TYPES), help="modem type")
    poll.add_argument("--url", help="modem address, for example http://192.168.100.1")
    poll.add_argument("--username")
    poll.add_argument("--password")
    poll.add_argument("--seed", type=int, help="seed for the demo modem")
    poll.add_argument("--json", action="store_true", help="print JSON (the default is a summary)")
    poll.add_argument("--output", type=Path, help="also write the JSON to this file")
    analyze_cmd = commands.add_parser("analyze", help="analyse a reading saved as JSON")
    analyze_cmd.add_argument("file", type=Path, help="a reading in the JSON form 'poll' prints")
    analyze_cmd.add_argument("--json", action="store_true", help="print JSON")
    return parser


async def _poll(args: argparse.Namespace) -> Analysis:
    modem = MODEM_TYPES[args.modem]
    url = args.url or modem.default_url
    if modem.needs_url and not url:
        raise SystemExit(f"error: --url is required for modem type {args.modem}")
    async with aiohttp.ClientSession() as session:
        driver = create_driver(
            args.modem,
            DriverConfig(
                url=url,
                username=args.username,
                password=args.password,
                session=session,
                seed=args.seed,
            ),
        )
        try:
            reading = await driver.async_fetch()
        finally:
            await driver.async_close()
    return analyze(reading)


def _summary_text(data: dict[str, Any]) -> str:
    summary = data["summary"]
    lines = [
        f"{data['device'].get('manufacturer') or ''} {data['device'].get('model') or ''}".strip(),
        f"health: {summary['health']}"
        + (f" ({', '.join(summary['issues'])})" if summary["issues"] else ""),
        (
            f"downstream: {summary['ds_total']} channels, power {summary['ds_power_min']}"
            f"..{summary['ds_power_max']} dBmV, SNR min {summary['ds_snr_min']} dB"
        ),
        (
            f"upstream: {summary['us_total']} channels, power {summary['us_power_min']}"
            f"..{summary['us_power_max']} dBmV"
        ),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "poll":
            data = analysis_to_json(asyncio.run(_poll(args)), modem=args.modem)
            if args.output:
                args.output.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        else:
            raw = json.loads(args.file.read_text(encoding="utf-8"))
            data = analysis_to_json(analyze(reading_from_json(raw)), modem=raw.get("modem"))
    except ModemError as err:
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(data, indent=2) if args.json else _summary_text(data))
    return 0
