"""Command line on the library: poll a modem, analyse a saved reading, seed demo history.

Runs without Home Assistant:
``python -m custom_components.docsight.docsis poll --modem demo --json``.
Every registered driver is available here through ``--modem``.
``seed-demo --db PATH --days N`` fills a history database with the demo
modem's history ending now (see :mod:`.demo_history`).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime, tzinfo
import json
import os
from pathlib import Path
import sys
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp

from .analyzer import Analysis, analyze
from .demo_history import DEFAULT_DAYS, SeedReport, seed_demo_history
from .drivers import MODEM_TYPES, DriverConfig, ModemError, create_driver
from .serialize import analysis_to_json, reading_from_json
from .storage import HistoryStore, StoreError

if TYPE_CHECKING:
    from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m custom_components.docsight.docsis",
        description="Poll a cable modem, analyse a saved reading or seed demo history.",
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
    seed = commands.add_parser(
        "seed-demo", help="fill a history database with the demo modem's history ending now"
    )
    seed.add_argument("--db", required=True, type=Path, help="history database (created if new)")
    seed.add_argument(
        "--days", type=_positive, default=DEFAULT_DAYS, help=f"days of history ({DEFAULT_DAYS})"
    )
    seed.add_argument("--seed", type=int, default=0, help="seed of the demo data (0)")
    seed.add_argument(
        "--time-zone", help="IANA time zone of the demo line (default: this machine's)"
    )
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


LOCALTIME = Path("/etc/localtime")


def _local_zone(name: str | None) -> tzinfo:
    """Return the named zone, else this machine's (a real zone where it can be found).

    A fixed offset from ``datetime.now().astimezone()`` would put every
    snapshot on the other side of a daylight-saving change an hour off, so
    ``TZ`` and ``/etc/localtime`` are tried first.
    """
    if name:
        return ZoneInfo(name)
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        try:
            return ZoneInfo(env)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    localtime = LOCALTIME
    name = str(localtime.resolve()).partition("zoneinfo/")[2]
    try:
        if name:
            return ZoneInfo(name)
        with localtime.open("rb") as file:
            return ZoneInfo.from_file(file, key="localtime")
    except (OSError, ValueError, ZoneInfoNotFoundError):
        pass
    return datetime.now().astimezone().tzinfo or ZoneInfo("UTC")


def _seed(args: argparse.Namespace) -> tuple[SeedReport, int, tzinfo]:
    """Seed the database; return the report, the file size and the zone used."""
    zone = _local_zone(args.time_zone)
    store = HistoryStore.open(args.db)
    try:
        report = seed_demo_history(
            store, days=args.days, end=datetime.now(zone), time_zone=zone, seed=args.seed
        )
    finally:
        store.close()  # checkpoints the WAL, so the file size is the real one
    return report, args.db.stat().st_size, zone


def _seed_text(report: SeedReport, size: int, path: Path, zone: tzinfo) -> str:
    lines = [f"seeded {path} ({zone}) in {report.seconds:.2f} s"]
    lines += [f"  {table}: {count}" for table, count in report.counts.items()]
    per_snapshot = f", {size / report.snapshots:.0f} bytes per snapshot" if report.snapshots else ""
    lines.append(f"  on disk: {size} bytes{per_snapshot}")
    return "\n".join(lines)


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
        if args.command == "seed-demo":
            report, size, zone = _seed(args)
            print(_seed_text(report, size, args.db, zone))
            return 0
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
    except (OSError, ValueError, KeyError, TypeError, StoreError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(data, indent=2) if args.json else _summary_text(data))
    return 0
