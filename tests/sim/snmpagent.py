"""A real SNMP agent on 127.0.0.1 for tests: snmpsim serving a recorded walk.

:class:`SnmpAgent` writes ``<community>.snmprec`` files (``OID|type|value``
lines, sorted by OID) into a folder, starts ``snmpsim-command-responder`` as
a subprocess on a free UDP port of 127.0.0.1 and waits until it answers a
real SNMP GET; :meth:`SnmpAgent.stop` kills it.  snmpsim answers only the
communities it has a file for, and stays silent otherwise, like a modem.

snmpsim refuses to run as root unless told to drop privileges, and a
dropped process could not read the interpreter (under /root) or the test's
folder; ``SNMPSIM_ALLOW_ROOT=true`` is snmpsim's own switch for that.

Fixture: ``snmp_agent_factory`` (sync; it needs no event loop) returns a
function ``start(records, community="public") -> SnmpAgent``; every agent it
started is stopped after the test.  :func:`start_agent` does the same for
fixtures of a wider scope (an agent takes a few seconds to start).  ``records`` maps numeric OIDs ("1.3.6..."
strings) to ``(type, value)`` with the snmprec type tags below.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
import contextlib
import os
from pathlib import Path
import socket
import subprocess
import sys
import time

import pytest

HOST = "127.0.0.1"
# snmprec type tags
INTEGER = "2"
OCTETS = "4"
HEX_OCTETS = "4x"
OBJECT_ID = "6"
COUNTER32 = "65"
GAUGE32 = "66"
TIMETICKS = "67"
COUNTER64 = "70"
START_TIMEOUT = 20.0

type Records = Mapping[str, tuple[str, str | int]]


def _oid_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def snmprec(records: Records) -> str:
    """Return an .snmprec text: one ``OID|type|value`` line per record, sorted by OID."""
    lines = []
    for name in sorted(records, key=_oid_key):
        tag, value = records[name]
        lines.append(f"{name}|{tag}|{value}")
    return "\n".join(lines) + "\n"


_FREE_PORT = (
    "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
    f"s.bind(('{HOST}', 0)); print(s.getsockname()[1])"
)


def free_udp_port() -> int:
    """Return a UDP port of 127.0.0.1 that nothing listens on right now.

    Where the test plugin blocks sockets (a module-scoped fixture is set up
    before ``socket_enabled``), a child interpreter asks the kernel instead.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((HOST, 0))
            port: int = probe.getsockname()[1]
            return port
    except RuntimeError:  # pytest_socket's SocketBlockedError
        found = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", _FREE_PORT], capture_output=True, check=True, text=True
        )
        return int(found.stdout)


# --- a minimal SNMPv2c GET, to see that the agent answers ------------------------


def tlv(tag: int, payload: bytes) -> bytes:
    size = len(payload)
    if size < 0x80:
        return bytes([tag, size]) + payload
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + payload


def encode_oid(parts: tuple[int, ...]) -> bytes:
    """Return the BER content octets of an OID."""
    body = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        rest = part >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        body.extend(reversed(chunk))
    return bytes(body)


def get_request(community: str, name: str, request_id: int = 1) -> bytes:
    """Return an SNMPv2c GetRequest for one OID, BER-encoded."""
    var_bind = tlv(0x30, tlv(0x06, encode_oid(_oid_key(name))) + b"\x05\x00")
    pdu = tlv(
        0xA0,
        tlv(0x02, request_id.to_bytes(2, "big"))
        + tlv(0x02, b"\x00")
        + tlv(0x02, b"\x00")
        + tlv(0x30, var_bind),
    )
    return tlv(0x30, tlv(0x02, b"\x01") + tlv(0x04, community.encode()) + pdu)


def answers(port: int, community: str, name: str = "1.3.6.1.2.1.1.1.0") -> bool:
    """Return whether an agent on 127.0.0.1:port answers a GET within 0.3 s."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(0.3)
        client.sendto(get_request(community, name), (HOST, port))
        try:
            reply = client.recv(65535)
        except OSError:  # timeout, or "connection refused" from the ICMP reply
            return False
    return reply[:1] == b"\x30"


class SnmpAgent:
    """One snmpsim process serving one data folder."""

    def __init__(self, folder: Path, records: Records, community: str = "public") -> None:
        """Write the data file; :meth:`start` starts the process."""
        self.folder = folder
        self.community = community
        self.data_dir = folder / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / f"{community}.snmprec").write_text(snmprec(records), encoding="utf-8")
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the snmp:// URL a TC4400 entry would use for this agent."""
        return f"snmp://{self.community}@{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        """Return whether the process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start snmpsim on a free port and wait until it answers (or fail the test)."""
        for _attempt in range(3):
            self.port = free_udp_port()
            log = (self.folder / "snmpsim.log").open("ab")
            with log:
                self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                    [
                        sys.executable,
                        "-c",
                        "from snmpsim.commands.responder import main; raise SystemExit(main())",
                        f"--data-dir={self.data_dir}",
                        f"--cache-dir={self.folder / 'cache'}",
                        f"--agent-udpv4-endpoint={HOST}:{self.port}",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"},
                )
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.running:
                if self._ready():
                    return
                time.sleep(0.1)
            self.stop()  # pragma: no cover - the port was taken meanwhile: again
        log_text = (self.folder / "snmpsim.log").read_text(errors="replace")[
            -2000:
        ]  # pragma: no cover
        pytest.fail(f"snmpsim did not start:\n{log_text}")  # pragma: no cover

    def _ready(self) -> bool:
        """Return whether the agent listens, and answers where this test may use sockets."""
        log = (self.folder / "snmpsim.log").read_text(errors="replace")
        if f"Listening at UDP/IPv4 endpoint {HOST}:{self.port}" not in log:
            return False
        try:
            return answers(self.port, self.community)
        except RuntimeError:  # sockets blocked (a module-scoped fixture): the log must do
            return True

    def stop(self) -> None:
        """Kill the process (if running) and wait for it."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - snmpsim exits on SIGTERM
                process.kill()
                process.wait(timeout=5)


def start_agent(folder: Path, records: Records, community: str = "public") -> SnmpAgent:
    """Start an agent serving records from folder (stop it with :meth:`SnmpAgent.stop`)."""
    agent = SnmpAgent(folder, records, community)
    agent.start()
    return agent


@pytest.fixture(name="snmp_agent_factory")
def snmp_agent_factory_fixture(
    tmp_path: Path,
) -> Generator[Callable[..., SnmpAgent]]:
    """Start snmpsim agents serving the given records; all are stopped after the test."""
    agents: list[SnmpAgent] = []

    def start(records: Records, community: str = "public") -> SnmpAgent:
        agent = start_agent(tmp_path / f"snmpsim{len(agents)}", records, community)
        agents.append(agent)
        return agent

    yield start
    for agent in agents:
        with contextlib.suppress(Exception):
            agent.stop()
