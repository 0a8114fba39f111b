"""Handlers get the composition root's use cases through dependency injection."""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import SkipValidation

from event_service.entrypoints.bootstrap import UseCases

UseCasesDependency = NamedDependency[SkipValidation[UseCases]]
"""The use cases are wiring, not input: Litestar must not try to validate them as a data type."""


def provide_use_cases(state: State) -> UseCases:
    return state.use_cases
