"""What every simulator shares: an aiohttp application on a free port of 127.0.0.1.

A simulator subclasses :class:`LoopbackServer`, builds its application in
``__init__`` and hands it to :meth:`LoopbackServer.serve`; starting, stopping
and the address come from here.  Modems that force HTTPS get ``tls = True``
and a fresh self-signed certificate, as the real ones present.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import socket
import ssl
import tempfile

from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"


def unused_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on (for "cannot connect")."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def self_signed_context() -> ssl.SSLContext:
    """Return a server TLS context with a fresh self-signed certificate (names no host)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "modem.invalid")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.NamedTemporaryFile("wb", suffix=".pem") as pem:
        pem.write(cert.public_bytes(serialization.Encoding.PEM))
        pem.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        pem.flush()
        context.load_cert_chain(pem.name)
    return context


class LoopbackServer:
    """Serves one aiohttp application on 127.0.0.1 (HTTPS when ``tls``)."""

    tls: bool = False
    _server: TestServer

    def serve(self, app: web.Application) -> None:
        """Take the application to serve; nothing listens before :meth:`start`."""
        self._server = TestServer(app, host=HOST)

    @property
    def url(self) -> str:
        """Return the base address, without a trailing slash (what a user would enter)."""
        return str(self._server.make_url("/")).rstrip("/")

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        await self._server.start_server(ssl=self_signed_context() if self.tls else None)

    async def close(self) -> None:
        """Stop listening and drop open connections."""
        await self._server.close()
