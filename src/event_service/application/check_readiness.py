"""Whether every backing service answers now, each within a time limit: what a load balancer asks before routing."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import msgspec

from event_service.application.ports import HealthCheck

OK = "ok"


class Readiness(msgspec.Struct, frozen=True):
    checks: dict[str, str]
    """Each dependency's name, with ``ok`` or what went wrong."""

    @property
    def ready(self) -> bool:
        return all(result == OK for result in self.checks.values())

    @property
    def failed(self) -> list[str]:
        return [name for name, result in self.checks.items() if result != OK]


class CheckReadiness:
    def __init__(self, dependencies: Mapping[str, HealthCheck], timeout: float) -> None:
        self._dependencies = dependencies
        self._timeout = timeout

    async def __call__(self) -> Readiness:
        # Concurrently: a dependency that hangs costs the whole check one timeout, not one per dependency.
        results = await asyncio.gather(*(self._check(check) for check in self._dependencies.values()))
        return Readiness(dict(zip(self._dependencies, results, strict=True)))

    async def _check(self, check: HealthCheck) -> str:
        try:
            await asyncio.wait_for(check.ping(), self._timeout)
        except TimeoutError:
            return f"no answer within {self._timeout:g} s"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return OK
