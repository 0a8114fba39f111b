"""The API explorer at /docs: Swagger UI served from the swagger-ui-py package, so the page works with no internet.

Litestar's Swagger plugin loads its scripts, stylesheet and favicon from a public CDN unless told otherwise; behind
a firewall that leaves a blank page. Here every asset comes from this service, under ``/docs/assets/``.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from litestar import MediaType, Request, Router, get
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

SWAGGER_ASSETS = "/docs/assets"


def _swagger_ui_dist() -> Path:
    """The Swagger UI distribution inside swagger-ui-py, found without importing its framework adapters."""
    spec = find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing: it ships the Swagger UI that /docs serves")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


SWAGGER = SwaggerRenderPlugin(
    path="/swagger",
    js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
    css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
    standalone_preset_js_url=f"{SWAGGER_ASSETS}/swagger-ui-standalone-preset.js",
    favicon=f"<link rel='icon' type='image/png' href='{SWAGGER_ASSETS}/favicon-32x32.png'>",
)


@get("/docs", include_in_schema=False, media_type=MediaType.HTML)
async def docs(request: Request) -> bytes:
    """Swagger UI at the short address; the schema stays at /schema/openapi.json."""
    return SWAGGER.render(request, request.app.openapi_schema.to_schema())


def swagger_assets() -> Router:
    """The scripts, stylesheet and favicon that the Swagger page loads."""
    return create_static_files_router(
        path=SWAGGER_ASSETS, directories=[_swagger_ui_dist()], name="swagger-ui", include_in_schema=False
    )
