"""The pages a person opens, without a browser: Swagger UI loads nothing from another host, and the dashboard's
address without its trailing slash leads to the one its client-side router knows."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from litestar.testing import AsyncTestClient

from tests.integration.conftest import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

SWAGGER_ASSETS = {
    "/docs/assets/swagger-ui-bundle.js": "javascript",
    "/docs/assets/swagger-ui-standalone-preset.js": "javascript",
    "/docs/assets/swagger-ui.css": "text/css",
    "/docs/assets/favicon-32x32.png": "image/png",
}


class _AssetLinks(HTMLParser):
    """Every address a page makes the browser load on its own: script sources and linked files."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        self.urls += [value for name, value in attrs if name == wanted and value]


def _asset_links(html: str) -> list[str]:
    parser = _AssetLinks()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("path", ["/docs", "/schema", "/schema/swagger"])
async def test_swagger_pages_load_their_assets_from_the_service(client: AsyncTestClient, path: str) -> None:
    page = await client.get(path)
    assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert sorted(_asset_links(page.text)) == sorted(SWAGGER_ASSETS)
    assert "://" not in page.text.split("<body>")[0], "the page's head names another host"


@pytest.mark.parametrize(("path", "content_type"), SWAGGER_ASSETS.items())
async def test_each_swagger_asset_is_served(client: AsyncTestClient, path: str, content_type: str) -> None:
    asset = await client.get(path)
    assert asset.status_code == 200
    assert content_type in asset.headers["content-type"]
    assert len(asset.content) > 500


async def test_the_bundle_is_swagger_ui_5_which_renders_openapi_3_1(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    bundle = (await client.get("/docs/assets/swagger-ui-bundle.js")).text
    assert schema["openapi"].startswith("3.1")
    assert 'PACKAGE_VERSION:"5.' in bundle


@pytest.mark.parametrize("explorer", ["redoc", "elements", "rapidoc", "scalar"])
async def test_no_other_explorer_is_served(client: AsyncTestClient, explorer: str) -> None:
    assert (await client.get(f"/schema/{explorer}")).status_code == 404


async def test_the_dashboard_address_without_its_slash_leads_to_the_dashboard(client: AsyncTestClient) -> None:
    moved = await client.get("/saq", headers=AUTH, follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (301, "/saq/")
    dashboard = await client.get("/saq/", headers=AUTH, follow_redirects=False)
    assert (dashboard.status_code, dashboard.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert '<script>const root_path = "/saq";</script>' in dashboard.text
    # The dashboard's deeper addresses are its own and stay where they are.
    queue = await client.get("/saq/queues/metrics-processor", headers=AUTH, follow_redirects=False)
    assert queue.status_code == 200


@pytest.mark.parametrize("path", ["/saq", "/saq/"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}], ids=["no token", "wrong token"])
async def test_the_dashboard_and_its_redirect_need_the_admin_token(
    client: AsyncTestClient, path: str, headers: dict[str, str]
) -> None:
    refused = await client.get(path, headers=headers, follow_redirects=False)
    assert (refused.status_code, refused.headers["www-authenticate"]) == (401, "Bearer")
    assert "location" not in refused.headers
