"""Where CSV chunks are parsed: inline in the event loop's thread pool, or in a process pool."""

from event_service.adapters.compute.inline import InlinePool
from event_service.adapters.compute.process_pool import ProcessPool

__all__ = ["InlinePool", "ProcessPool"]
