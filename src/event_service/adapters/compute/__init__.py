"""Where CSV chunks are parsed: inline in the event loop's thread pool, or in a process pool."""

from event_service.adapters.compute.inline import InlinePool
from event_service.adapters.compute.process_pool import ProcessPool


def build_pool(workers: int, *, start_method: str = "forkserver") -> InlinePool | ProcessPool:
    """``workers`` parser processes, or parsing inline when it is 0."""
    return ProcessPool(workers, start_method=start_method) if workers > 0 else InlinePool()


__all__ = ["InlinePool", "ProcessPool", "build_pool"]
