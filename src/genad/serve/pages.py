"""The app's pages: plain HTML files with JavaScript modules from ``static/app``.

``/`` is the index; ``/train`` and ``/live`` are served from ``static/app/<page>.html`` when the
page's file is in the package. Every script, stylesheet and chart library the pages load comes
from this app's ``/static`` mount, so the pages work with no network at all.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

APP_STATIC = Path(__file__).resolve().parent / "static" / "app"
#: page name -> the HTML file that renders it
PAGES = {"": "index.html", "train": "train.html", "live": "live.html"}

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    path = APP_STATIC / PAGES[name]
    if not path.is_file():
        from .api import APIError

        raise APIError(404, "not_found", f"page /{name} is not part of this build of genad")
    # pages are small and change with the package: always revalidate
    return FileResponse(path, media_type="text/html", headers={"Cache-Control": "no-cache"})


@router.get("/")
async def index():
    return _page("")


@router.get("/train")
async def train_page():
    return _page("train")


@router.get("/live")
async def live_page():
    return _page("live")
