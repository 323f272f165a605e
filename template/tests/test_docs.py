"""/docs and /redoc load their JavaScript, CSS and icon from the app, not from a CDN:
they work on a machine without internet access, and under a strict CSP."""

import re

import pytest
from httpx import AsyncClient

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_their_assets_from_the_app(page: str, client: AsyncClient) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert any(url.endswith(".js") for url in assets), assets
    for url in assets:
        assert url.startswith("/"), f"{page} loads {url} from another site"
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
