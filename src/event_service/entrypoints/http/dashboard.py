"""The SAQ dashboard's address: it lives at /saq/, and /saq leads there."""

from __future__ import annotations

from litestar import Request
from litestar.response import Redirect
from litestar.status_codes import HTTP_301_MOVED_PERMANENTLY

DASHBOARD_PATH = "/saq"


def redirect_to_dashboard_root(request: Request) -> Redirect | None:
    """Send ``/saq`` on to ``/saq/``, an app-wide ``before_request`` hook.

    Litestar routes both addresses to litestar-saq's page, but the page's client-side router only knows ``/saq/``
    and shows its own "404 not found" at ``/saq``. A hook rather than a handler, because a handler for ``/saq``
    would clash with litestar-saq's; hooks run after guards, so the redirect stays behind the admin guard. Litestar
    strips the trailing slash from the scope's ``path`` while routing, so the address as sent is read from
    ``raw_path`` (some servers and test clients leave the query string on it).
    """
    sent = request.scope.get("raw_path", b"").partition(b"?")[0]
    if sent == DASHBOARD_PATH.encode():
        return Redirect(f"{DASHBOARD_PATH}/", status_code=HTTP_301_MOVED_PERMANENTLY)
    return None
