"""Handlers get the composition root's container through dependency injection."""

from __future__ import annotations

from typing import Annotated

from litestar.datastructures import State
from litestar.params import Dependency

from event_service.entrypoints.bootstrap import Container

ContainerDependency = Annotated[Container, Dependency(skip_validation=True)]
"""The container is wiring, not input: Litestar must not try to validate it as a data type."""


def provide_container(state: State) -> Container:
    return state.container
