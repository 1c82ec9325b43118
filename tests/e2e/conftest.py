"""Browser fixtures: the demo app served by a real WSGI server on loopback,
driven by Debian's Chromium through Playwright.

One browser serves all the browser tests; each test gets a fresh context
(its own cookies) and a screenshot of where it ended, under ``screenshots/``.
The fixtures are package-scoped, not session-scoped: Playwright's sync API
runs an asyncio loop in the main thread for as long as it lives, and the
async-view tests that run after these need that thread free of it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from playwright.sync_api import Playwright
from playwright.sync_api import Request
from playwright.sync_api import Response
from playwright.sync_api import sync_playwright

from example_app import create_app
from example_app.breakit import EXTENSION_KEY
from example_app.dance import URL_PREFIX
from example_app.provider import DEFAULT_LIBRARY
from example_app.provider import DEFAULT_PROVIDER
from example_app.provider import FLASK_DANCE
from example_app.provider import LIBRARIES
from example_app.provider import PROVIDERS
from example_app.provider import EmbeddedProviders
from example_app.switches import SETUP_COOKIE
from flask_oauth_recover.providers import profile_named
from flask_oauth_recover.testing import ProviderEmulator

from ..support.wsgi import served

#: Debian's Chromium; Playwright cannot download a browser of its own here.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
#: The demo's token-request timeout here: short, so "GitHub hangs" is quick.
TIMEOUT = 1.0
#: Each library, with the id its tests carry.
LIBRARY_IDS = {DEFAULT_LIBRARY: "authlib", FLASK_DANCE: "flask-dance"}
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TRACEBACK = "Traceback (most recent call last)"
#: What the emulator's response_mode=form_post page runs on load.
_FORM_POST = "document.forms[0].submit()"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "locale(tag): the browser's language for this test (en-US)"
    )


@dataclass
class DemoServer:
    """The demo app, served on a loopback port.

    :param app: the Flask app.
    :param url: its base URL, on ``localhost`` (the emulator is on
        ``127.0.0.1``: another site, as github.com is).
    :param exceptions: exceptions the app did not handle, as they happen.
    """

    app: Flask
    url: str
    exceptions: list[BaseException] = field(default_factory=list)

    @property
    def embedded(self) -> EmbeddedProviders:
        """The demo's provider emulators."""
        embedded: EmbeddedProviders = self.app.extensions[EXTENSION_KEY].embedded
        return embedded

    def emulator(
        self, provider: str = DEFAULT_PROVIDER, library: str = DEFAULT_LIBRARY
    ) -> ProviderEmulator:
        """The emulator a provider and library sign in with."""
        embedded = self.embedded.get(provider, library)
        assert embedded is not None, "the demo should use the embedded emulator"
        assert embedded.started, "the demo starts its emulators on a first request"
        return embedded.emulator


@pytest.fixture(scope="package")
def chromium_path() -> str:
    """Debian's Chromium, or a failure that says how to install it."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"the browser tests need Chromium at {CHROMIUM}: install Debian's "
            "chromium: apt-get install chromium (or set CHROMIUM to its path)",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright, chromium_path: str) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=chromium_path, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def demo_server() -> Iterator[DemoServer]:
    app = create_app(
        {
            "SECRET_KEY": "e2e-secret-key-not-for-production",
            # The embedded emulator, whatever the environment says.
            "GITHUB_CLIENT_ID": None,
            "OAUTH_RECOVER_TIMEOUT": TIMEOUT,
        }
    )
    exceptions: list[BaseException] = []
    with served(app, "demo-app", exceptions) as url:
        demo = DemoServer(app, url, exceptions)
        yield demo
    demo.embedded.stop()


@pytest.fixture
def demo_provider() -> str:
    """The provider the test signs in with; override to change it."""
    return DEFAULT_PROVIDER


@pytest.fixture
def demo_library() -> str:
    """The library the test signs in through; override to change it."""
    return DEFAULT_LIBRARY


@pytest.fixture
def demo(demo_server: DemoServer) -> Iterator[DemoServer]:
    """The demo with a clean provider: no faults, no recorded requests."""
    demo_server.embedded.reset()
    demo_server.exceptions.clear()
    yield demo_server
    demo_server.embedded.reset()


@dataclass(frozen=True)
class _Seen:
    url: str
    status: int
    body: str
    headers: dict[str, str]


class Visit:
    """A browser tab on the demo, recording everything it loads.

    :param page: the Playwright page.
    :param demo: the served demo.
    :param name: names its screenshots.
    :param provider: the provider its logins use.
    :param library: the library they run through.
    """

    def __init__(
        self,
        page: Page,
        demo: DemoServer,
        name: str,
        provider: str = DEFAULT_PROVIDER,
        library: str = DEFAULT_LIBRARY,
    ) -> None:
        self.page = page
        self.demo = demo
        self.name = name
        self.provider = provider
        self.library = library
        self.requests: list[str] = []
        self.responses: list[_Seen] = []
        self._reading = 0
        #: How many times the provider's authorization page asked.
        self.consent_pages = 0
        page.on("request", self._on_request)
        page.on("response", self._on_response)

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _on_response(self, response: Response) -> None:
        # Read the body now: once another page replaces this one, it is gone.
        self._reading += 1
        try:
            body = ""
            if response.status not in _REDIRECTS:
                try:
                    body = response.text()
                except PlaywrightError:
                    body = ""  # the navigation was replaced before it loaded
            self.responses.append(
                _Seen(response.url, response.status, body, response.headers)
            )
        finally:
            self._reading -= 1

    def settle(self) -> None:
        """Let the response handlers still reading a body finish."""
        for _ in range(250):
            if not self._reading:
                return
            self.page.wait_for_timeout(20)
        raise AssertionError("response bodies did not arrive within 5 s")

    # -- where things are ---------------------------------------------------

    @property
    def provider_title(self) -> str:
        """The provider's name, as pages show it."""
        return PROVIDERS[self.provider].title

    @property
    def display_name(self) -> str:
        """The provider's name, as the extension's pages show it."""
        return profile_named(self.provider).display_name

    @property
    def emulator(self) -> ProviderEmulator:
        """The emulator this tab's logins talk to."""
        return self.demo.emulator(self.provider, self.library)

    @property
    def callback_path(self) -> str:
        """The path of the callback the provider sends the browser to."""
        if self.library == FLASK_DANCE:
            return f"{URL_PREFIX}/{PROVIDERS[self.provider].dance_name}/authorized"
        if self.provider == "github":
            return "/callback"
        return f"/callback/{self.provider}"

    def screenshot(self, label: str = "") -> Path:
        """Save the page as ``screenshots/e2e-<test>[-<label>].png``."""
        SCREENSHOTS.mkdir(exist_ok=True)
        stem = "-".join(part for part in ("e2e", self.name, label) if part)
        path = SCREENSHOTS / f"{stem}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    # -- acting like a person -------------------------------------------

    def open(self, path: str = "/") -> None:
        """Load a page of the demo."""
        self.page.goto(self.demo.url + path)

    def choose(self, provider: str | None = None, library: str | None = None) -> None:
        """Press the home page's switches, as a person would."""
        self.open()
        switches = self.page.locator(".switches")
        if provider is not None:
            title = PROVIDERS[provider].title
            switches.get_by_role("button", name=title, exact=True).click()
            self.page.wait_for_load_state()
            self.provider = provider
        if library is not None:
            title = LIBRARIES[library]
            switches.get_by_role("button", name=title, exact=True).click()
            self.page.wait_for_load_state()
            self.library = library

    def break_it(self, fault: str) -> None:
        """Press a "Break it" button on the home page."""
        self.open()
        card = self.page.locator(f'article.fault[data-fault="{fault}"]')
        card.get_by_role("button", name="Break it").click()
        self.page.wait_for_load_state()

    def sign_in(self, decision: str = "authorize", shoot: bool = False) -> None:
        """Press "Sign in with <provider>"; on the provider's authorization
        page, if it asks, press Authorize (``decision="authorize"``) or
        Cancel (``"cancel"``); wait for wherever the browser lands.

        :param shoot: keep a screenshot of the authorization page.
        """
        sign_in = self.page.locator("a[data-sign-in]").first
        assert sign_in.inner_text() == f"Sign in with {self.provider_title}"
        sign_in.click()
        self._authorize(decision, shoot)

    def click(
        self, name: str, decision: str = "authorize", shoot: bool = False
    ) -> None:
        """Follow a link by its visible name; on the provider's authorization
        page, if it asks, press ``decision``."""
        self.page.get_by_role("link", name=name).first.click()
        self._authorize(decision, shoot)

    def _authorize(self, decision: str, shoot: bool) -> None:
        self.page.wait_for_load_state()
        self._through_form_post()
        if urlsplit(self.page.url).hostname != "127.0.0.1":
            return
        consent = self.page.locator("form[data-consent]")
        if not consent.count():
            return  # the provider's own error page
        self.consent_pages += 1
        if shoot:
            self.screenshot(f"{self.provider}-authorize")
        with self.page.expect_navigation():
            consent.locator(f'button[value="{decision}"]').click()
        self.page.wait_for_load_state()
        self._through_form_post()

    def _through_form_post(self) -> None:
        """Wait while the provider's form_post page (Apple's) posts the
        answer to the app, as its script does on load; a restart of the
        login passes through it again, with no consent page."""
        for _ in range(6):
            if urlsplit(self.page.url).hostname != "127.0.0.1":
                return
            self.settle()
            provider_pages = [
                seen
                for seen in self.responses
                if urlsplit(seen.url).hostname == "127.0.0.1"
            ]
            if not provider_pages or _FORM_POST not in provider_pages[-1].body:
                return
            self.page.wait_for_url(lambda url: urlsplit(url).hostname != "127.0.0.1")
            self.page.wait_for_load_state()

    # -- what a person sees ---------------------------------------------

    @property
    def path(self) -> str:
        """The path of the page on screen."""
        return urlsplit(self.page.url).path

    def headline(self) -> str:
        """The page's ``<h1>``."""
        return self.page.locator("h1").inner_text().strip()

    def lang(self) -> str | None:
        """The ``lang`` of the page's ``<html>``."""
        return self.page.locator("html").get_attribute("lang")

    def facts(self) -> dict[str, str]:
        """The "What the app saw" list of an error page."""
        terms = self.page.locator("dl.facts dt").all_inner_texts()
        values = self.page.locator("dl.facts dd").all_inner_texts()
        return dict(zip(terms, values, strict=True))

    def diagnoses(self) -> dict[str, str]:
        """The diagnosis ids on an error page, with each one's text."""
        findings = self.page.locator("[data-diagnosis]")
        return {
            str(findings.nth(i).get_attribute("data-diagnosis")): findings.nth(
                i
            ).inner_text()
            for i in range(findings.count())
        }

    def statuses(self, path: str) -> list[int]:
        """HTTP statuses of the responses for ``path`` on the demo."""
        self.settle()
        return [
            seen.status
            for seen in self.responses
            if seen.url.startswith(self.demo.url) and urlsplit(seen.url).path == path
        ]

    def assert_clean(self) -> None:
        """No response showed a traceback or a server's bare error page, the
        app raised nothing it did not handle, and the browser never left
        loopback (the demo works offline)."""
        self.settle()
        assert self.responses, "the browser loaded nothing"
        for seen in self.responses:
            assert _TRACEBACK not in seen.body, f"{seen.url} showed a traceback"
            if seen.status >= 500:
                # The extension's pages say their language; a server's bare
                # "500 Internal Server Error" page does not.
                assert "content-language" in seen.headers, (
                    f"{seen.url} answered {seen.status} with a bare error page"
                )
        assert not self.demo.exceptions, f"unhandled: {self.demo.exceptions!r}"
        for url in self.requests:
            host = urlsplit(url).hostname
            assert host in LOOPBACK_HOSTS, f"the page reached out to {url}"


@pytest.fixture
def visit(
    browser: Browser,
    demo: DemoServer,
    request: pytest.FixtureRequest,
    demo_provider: str,
    demo_library: str,
) -> Iterator[Visit]:
    """A fresh browser context on the demo, switched to ``demo_provider``
    and ``demo_library``; a screenshot of the last page."""
    marker = request.node.get_closest_marker("locale")
    locale = marker.args[0] if marker else "en-US"
    context = browser.new_context(
        locale=locale, viewport={"width": 1100, "height": 800}
    )
    context.set_default_timeout(15_000)
    # The switches' own cookie, as if pressed (test_providers presses them).
    setup: Any = {
        "name": SETUP_COOKIE,
        "value": f"{demo_provider}.{demo_library}",
        "url": demo.url,
    }
    if PROVIDERS[demo_provider].form_post:
        # As the demo writes it: the provider's posted callback needs it.
        # (With a "url", Playwright would take Secure from its http scheme.)
        del setup["url"]
        setup.update(domain="localhost", path="/", sameSite="None", secure=True)
    context.add_cookies([setup])
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    tab = Visit(
        context.new_page(),
        demo,
        name.removeprefix("test_"),
        demo_provider,
        demo_library,
    )
    yield tab
    tab.screenshot()
    context.close()
