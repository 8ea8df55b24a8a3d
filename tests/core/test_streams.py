"""Connections straight on asyncio (core.streams) behind the async client's lanes: plain and
TLS requests, kept-alive and re-opened connections, timeouts, errors, large bodies both ways."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpcore
import httpx
import pytest

from airflow_provider_tunedmodels.core.pool import LaneTransport
from airflow_provider_tunedmodels.core.streams import READ_LIMIT, AsyncioBackend

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """The head and the body (by ``content-length``) of one request."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head, await reader.readexactly(length)


def answer(body: bytes, *, close: bool = False) -> bytes:
    connection = b"connection: close\r\n" if close else b""
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), connection, body)


async def echo_sizes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer each request on the connection with the size of its body."""
    try:
        while True:
            _, body = await read_request(reader)
            writer.write(answer(json.dumps({"received": len(body)}).encode()))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def serve(handler: Handler, tls: ssl.SSLContext | None = None) -> asyncio.Server:
    return await asyncio.start_server(handler, "127.0.0.1", 0, ssl=tls)


def port_of(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


@pytest.fixture
async def lanes() -> AsyncIterator[LaneTransport]:
    transport = LaneTransport(2)
    yield transport
    await transport.aclose()


def test_the_lanes_connect_through_asyncio_streams() -> None:
    transport = LaneTransport(1)
    lane = asyncio.run(transport._borrow())
    pool = lane.transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool, httpcore.AsyncConnectionPool)
    assert isinstance(pool._network_backend, AsyncioBackend)


async def test_kept_alive_connection_serves_requests_with_bodies_both_ways(
    lanes: LaneTransport,
) -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await echo_sizes(reader, writer)

    server = await serve(handler)
    async with server, httpx.AsyncClient(transport=LanesOf(lanes)) as client:
        url = f"http://127.0.0.1:{port_of(server)}/echo"
        sizes = [0, 10, 200_000, 3 * 1024 * 1024]  # the last ones above the write hold limit
        for size in sizes:
            response = await client.post(url, content=b"x" * size)
            assert response.json() == {"received": size}
    assert connections == 1


async def test_a_large_answer_is_read_whole(lanes: LaneTransport) -> None:
    body = bytes(range(256)) * (4 * READ_LIMIT // 256)  # pauses and resumes reading

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(body))
        await writer.drain()
        writer.close()

    server = await serve(handler)
    async with server, httpx.AsyncClient(transport=LanesOf(lanes)) as client:
        async with client.stream("GET", f"http://127.0.0.1:{port_of(server)}/") as response:
            chunks = []
            async for chunk in response.aiter_raw():
                chunks.append(chunk)
                await asyncio.sleep(0)  # a slow reader
    assert b"".join(chunks) == body


async def test_a_connection_the_server_closed_while_idle_is_replaced(
    lanes: LaneTransport,
) -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await read_request(reader)
        writer.write(answer(b"{}"))
        await writer.drain()
        writer.close()  # without saying so: the client learns it when the socket is readable

    server = await serve(handler)
    async with server, httpx.AsyncClient(transport=LanesOf(lanes)) as client:
        url = f"http://127.0.0.1:{port_of(server)}/"
        assert (await client.get(url)).status_code == 200
        await asyncio.sleep(0.05)
        assert (await client.get(url)).status_code == 200
    assert connections == 2


async def test_a_slow_answer_is_a_read_timeout(lanes: LaneTransport) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(2)

    server = await serve(handler)
    async with server, httpx.AsyncClient(transport=LanesOf(lanes), timeout=0.1) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"http://127.0.0.1:{port_of(server)}/")


async def test_an_answer_cut_off_is_a_protocol_error(lanes: LaneTransport) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part")
        await writer.drain()
        writer.close()

    server = await serve(handler)
    async with server, httpx.AsyncClient(transport=LanesOf(lanes)) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"http://127.0.0.1:{port_of(server)}/")


async def test_nothing_listening_is_a_connect_error(lanes: LaneTransport) -> None:
    server = await serve(echo_sizes)
    port = port_of(server)
    server.close()
    await server.wait_closed()
    async with httpx.AsyncClient(transport=LanesOf(lanes)) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")


async def test_tls_with_a_trusted_certificate(tmp_path: Path) -> None:
    server_context, client_context = tls_contexts(tmp_path)
    server = await serve(echo_sizes, tls=server_context)
    transport = LaneTransport(1, verify=client_context)
    async with server, httpx.AsyncClient(transport=LanesOf(transport)) as client:
        url = f"https://localhost:{port_of(server)}/"
        for size in (5, 100_000):
            assert (await client.post(url, content=b"y" * size)).json() == {"received": size}
    await transport.aclose()


async def test_tls_with_an_untrusted_certificate_is_a_connect_error(tmp_path: Path) -> None:
    server_context, _ = tls_contexts(tmp_path)
    server = await serve(echo_sizes, tls=server_context)
    transport = LaneTransport(1, verify=ssl.create_default_context())
    async with server, httpx.AsyncClient(transport=LanesOf(transport)) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"https://localhost:{port_of(server)}/")
    await transport.aclose()


class LanesOf(httpx.AsyncBaseTransport):
    """Lends a ``LaneTransport`` to a client without letting the client close it."""

    def __init__(self, lanes: LaneTransport) -> None:
        self.lanes = lanes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.lanes.handle_async_request(request)


def tls_contexts(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a self-signed ``localhost`` certificate, and a client trusting it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def pause_reading(self) -> None:
        self.calls.append("pause")

    def resume_reading(self) -> None:
        self.calls.append("resume")

    def is_closing(self) -> bool:
        return False


async def test_reading_stops_while_more_than_the_limit_waits_unread() -> None:
    from airflow_provider_tunedmodels.core.streams import _Protocol, _Stream

    transport, protocol = RecordingTransport(), _Protocol()
    protocol.connection_made(transport)
    stream = _Stream(transport, protocol)
    protocol.data_received(b"a" * READ_LIMIT)
    assert transport.calls == []
    protocol.data_received(b"b")
    assert transport.calls == ["pause"]
    assert await stream.read(READ_LIMIT // 4) == b"a" * (READ_LIMIT // 4)
    assert transport.calls == ["pause"]  # still more than half the limit unread
    assert len(await stream.read(READ_LIMIT // 2)) == READ_LIMIT // 2
    assert transport.calls == ["pause", "resume"]


def test_clients_share_the_ssl_context_of_the_same_trust_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first, second = LaneTransport(1), LaneTransport(1)
    assert first._shared_ssl_context() is second._shared_ssl_context()
    _, client_context = tls_contexts(tmp_path)
    own = LaneTransport(1, verify=client_context)
    assert own._shared_ssl_context() is client_context
    # Certificate locations read from the environment make a context of their own.
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
    from_environment = LaneTransport(1)._shared_ssl_context()
    assert from_environment is not first._shared_ssl_context()
    assert LaneTransport(1, trust_env=False)._shared_ssl_context() is not from_environment


async def test_the_lanes_answer_is_the_transports_own_response(lanes: LaneTransport) -> None:
    server = await serve(echo_sizes)
    async with server:
        request = httpx.Request("POST", f"http://127.0.0.1:{port_of(server)}/", content=b"abc")
        response = await lanes.handle_async_request(request)
        assert response.status_code == 200
        assert response.headers["content-length"] == str(len(b'{"received": 3}'))
        assert await response.aread() == b'{"received": 3}'
        await response.aclose()
        assert len(lanes._free) == 1  # the lane is back
        assert lanes._slots._value == 2
