"""The web UI, served by the API's own app under /ui/: an HTML shell, vanilla JS modules and CSS shipped in the
package (no build step, nothing from another host), and the browser's admin sign-in."""

from __future__ import annotations

from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from event_service.entrypoints.http.ui.pages import STATIC, errors_csv, page, root
from event_service.entrypoints.http.ui.session import SessionController


def ui_handlers() -> list[ControllerRouterHandler]:
    """Every route of the UI, to register on the app."""
    return [
        root,
        page,
        errors_csv,
        SessionController,
        create_static_files_router("/ui/static", directories=[STATIC], name="ui-static"),
    ]


__all__ = ["ui_handlers"]
