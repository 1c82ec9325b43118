"""One page per language in Chromium: the browser's language picks the
page's, and the screenshots show every script rendered."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from werkzeug.serving import make_server

from flask_oauth_recover.i18n import SUPPORTED
from flask_oauth_recover.i18n import Translator
from flask_oauth_recover.outcome import OutcomeKind
from flask_oauth_recover.pages import TITLES
from flask_oauth_recover.testing import ProviderEmulator

from ..conftest import create_app
from .conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e

#: A browser locale that should land on each of our languages.
BROWSER_LOCALE = {
    "en": "en-US",
    "es": "es-MX",
    "ja": "ja-JP",
    "zh-Hans": "zh-CN",
    "pt-BR": "pt-BR",
    "ko": "ko-KR",
    "fr": "fr-FR",
    "de": "de-DE",
}


@pytest.fixture
def base_url(provider: ProviderEmulator) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app(provider), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.mark.parametrize("locale", SUPPORTED)
def test_cancelled_page_in_the_browsers_language(
    locale: str, browser: Browser, provider: ProviderEmulator, base_url: str
) -> None:
    provider.deny_next_authorizations("access_denied")
    context = browser.new_context(locale=BROWSER_LOCALE[locale])
    page = context.new_page()

    response = page.goto(f"{base_url}/login")

    assert response is not None and response.status == 403
    assert page.get_attribute("html", "lang") == locale
    title = Translator(locale)(TITLES[OutcomeKind.CANCELLED], provider="GitHub")
    assert page.inner_text("h1") == title
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"i18n-cancelled-{locale}.png"))
    context.close()
