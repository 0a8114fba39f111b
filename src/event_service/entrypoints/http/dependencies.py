"""Handlers get the composition root's container through dependency injection."""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import SkipValidation

from event_service.entrypoints.bootstrap import Container

ContainerDependency = NamedDependency[SkipValidation[Container]]
"""The container is wiring, not input: Litestar must not try to validate it as a data type."""


def provide_container(state: State) -> Container:
    return state.container
