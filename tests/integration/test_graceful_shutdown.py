"""SIGTERM on a real `event-service serve` process: the upload in flight finishes, new connections are refused."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx

from tests.integration.helpers import SEED_CSV, eventually, free_port, sample

GRACE_SECONDS = 20
BOUNDARY = "event-service-test-boundary"


def multipart_upload(port: int, content: bytes) -> tuple[bytes, bytes]:
    """The bytes of a POST /uploads request: its head, and its body."""
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="e.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    head = (
        f"POST /uploads HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head, body


async def connection_refused(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        return True
    writer.close()
    await writer.wait_closed()
    return False


async def test_sigterm_lets_an_upload_in_flight_finish_and_refuses_new_connections(
    redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"MONGODB_URL"}}
    env.update(
        {
            "REDIS_URL": redis_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "ADMIN_TOKEN": "test-admin-token",
            "SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
            "LOG_FORMAT": "json",
        }
    )
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "event_service.entrypoints.cli",
            "serve",
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=log,
        )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

            async def get(path: str) -> httpx.Response | None:
                try:
                    return await http.get(path)
                except httpx.TransportError:
                    return None

            await eventually(lambda: get("/-/live"), lambda r: r is not None and r.status_code == 200, within=90)

            # Half an upload: the request is in the app, waiting for the rest of its body.
            head, body = multipart_upload(port, SEED_CSV)
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head + body[: len(body) // 2])
            await writer.drain()
            upload = {"method": "POST", "path": "/uploads"}
            await eventually(
                lambda: get("/-/metrics"),
                lambda r: r is not None and sample(r.text, "event_service_http_requests_in_progress", **upload) == 1,
            )

        server.send_signal(signal.SIGTERM)
        assert await eventually(lambda: connection_refused(port), bool)

        writer.write(body[len(body) // 2 :])
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), GRACE_SECONDS)
        writer.close()
        status_line, _, rest = response.partition(b"\r\n")
        assert status_line == b"HTTP/1.1 201 Created", response
        assert b'"rows_accepted":150' in rest

        assert await asyncio.wait_for(server.wait(), GRACE_SECONDS) == 0
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
    output = log_path.read_text()
    assert "Killing worker" not in output, output
