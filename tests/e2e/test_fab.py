"""A Flask-AppBuilder app with the one line, in a real browser: FAB's own
login page and OAuth views, ``OAuthRecover(app)`` after FAB is set up (where
Superset's ``FLASK_APP_MUTATOR`` runs it), served by a real WSGI server on
loopback, signing in with GitHub on the provider emulator.

Without the extension, FAB answers every failed sign-in with its login page
and one flash, "The request to sign in was denied." Here a wrong client
secret lands on the extension's "Sign-in is not set up correctly" page,
with the details a developer needs, and a refused code restarts through
FAB's login and ends signed in on the page the user asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import Response

from flask_oauth_recover.i18n import Translator
from flask_oauth_recover.outcome import OutcomeKind
from flask_oauth_recover.pages import TITLES
from flask_oauth_recover.testing import ProviderEmulator

from ..apps import fab_app
from ..support.wsgi import served
from .conftest import LOOPBACK_HOSTS
from .conftest import SCREENSHOTS

pytestmark = [
    pytest.mark.e2e,
    # FAB signs its state with a 30-character key; PyJWT warns about it.
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]

CALLBACK = "/oauth-authorized/github"
PROFILE = "/profile/"
#: Where the details say the secret is set, in FAB's terms.
SECRET_SETTING = (
    'the OAUTH_PROVIDERS entry named "github": ["remote_app"]["client_secret"]'
)
DENIED = "The request to sign in was denied."


@dataclass
class FabServer:
    """The FAB app, served on a loopback port.

    :param app: the Flask app.
    :param url: its base URL, on ``localhost`` (the emulator is on
        ``127.0.0.1``: another site, as github.com is).
    :param exceptions: exceptions the app did not handle, as they happen.
    """

    app: Flask
    url: str
    exceptions: list[BaseException] = field(default_factory=list)


@pytest.fixture(scope="module")
def github() -> Iterator[ProviderEmulator]:
    with ProviderEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def fab_server(
    github: ProviderEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FabServer]:
    database = tmp_path_factory.mktemp("fab") / "app.db"
    app = fab_app.create_app(
        github,
        recover="after",
        OAUTH_RECOVER_SHOW_DETAILS=True,
        # A file: the server's threads each get a connection of their own.
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
    )
    exceptions: list[BaseException] = []
    with served(app, "fab-app", exceptions) as url:
        yield FabServer(app, url, exceptions)


@pytest.fixture
def provider(
    github: ProviderEmulator, fab_server: FabServer
) -> Iterator[ProviderEmulator]:
    """The emulator with no faults and the secret the app was given."""
    secret = github.client_secret
    github.reset()
    fab_server.exceptions.clear()
    yield github
    github.client_secret = secret
    github.reset()


class Tab:
    """A browser tab on the FAB app, recording every response it gets.

    :param page: the Playwright page.
    :param server: the served app.
    :param name: names its screenshot.
    """

    def __init__(self, page: Page, server: FabServer, name: str) -> None:
        self.page = page
        self.server = server
        self.name = name
        self.responses: list[tuple[str, int]] = []
        page.on("response", self._on_response)

    def _on_response(self, response: Response) -> None:
        self.responses.append((response.url, response.status))

    def sign_in(self) -> None:
        """Ask for the profile page and press FAB's "Sign In with github"
        button; wait for wherever the browser lands."""
        self.page.goto(self.server.url + PROFILE)
        assert self.path == "/login/"
        with self.page.expect_navigation(
            url=re.compile(r"/(oauth-authorized|profile)/")
        ):
            self.page.locator("#btn-signin-github").click()
        self.page.wait_for_load_state()

    @property
    def path(self) -> str:
        """The path of the page on screen."""
        return urlsplit(self.page.url).path

    def statuses(self, path: str) -> list[int]:
        """Statuses of the app's responses for ``path``."""
        return [
            status
            for url, status in self.responses
            if url.startswith(self.server.url) and urlsplit(url).path == path
        ]

    def assert_clean(self) -> None:
        """The browser stayed on loopback, and the app raised nothing it
        did not handle."""
        for url, _ in self.responses:
            assert urlsplit(url).hostname in LOOPBACK_HOSTS, f"left loopback: {url}"
        assert not self.server.exceptions, f"unhandled: {self.server.exceptions!r}"

    def screenshot(self) -> Path:
        """Save the page as ``screenshots/e2e-<test>.png``."""
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"e2e-{self.name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def tab(
    browser: Browser, fab_server: FabServer, request: pytest.FixtureRequest
) -> Iterator[Tab]:
    """A fresh browser context on the FAB app; a screenshot of the last
    page."""
    context = browser.new_context(
        locale="en-US", viewport={"width": 1100, "height": 800}
    )
    context.set_default_timeout(15_000)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    opened = Tab(context.new_page(), fab_server, name.removeprefix("test_"))
    yield opened
    opened.screenshot()
    context.close()


def test_fab_with_a_wrong_client_secret_shows_the_config_page(
    tab: Tab, provider: ProviderEmulator
) -> None:
    provider.client_secret = "f" * 40  # the app still sends the old one

    tab.sign_in()

    page = tab.page
    assert tab.path == CALLBACK  # not FAB's login page
    assert tab.statuses(CALLBACK) == [500]
    headline = Translator("en")(TITLES[OutcomeKind.CONFIG_ERROR], provider="GitHub")
    assert page.locator("h1").inner_text().strip() == headline
    details = page.locator("section.details")
    assert details.is_visible()
    # The fix names the setting where FAB's users set the secret.
    finding = page.locator('[data-diagnosis="credentials.rejected"]')
    assert SECRET_SETTING in finding.inner_text()
    assert "oauth.register(" not in details.inner_text()
    assert DENIED not in page.content()
    assert page.locator(".alert").count() == 0  # no flash of FAB's
    tab.screenshot()
    assert tab.statuses("/login/github") == [302]  # one login, no restart
    assert len(provider.token_requests) == 1
    tab.assert_clean()


def test_fab_after_a_refused_code_ends_signed_in_on_the_profile_page(
    tab: Tab, provider: ProviderEmulator
) -> None:
    provider.reject_next_codes(1)  # bad_verification_code, once

    tab.sign_in()

    assert tab.path == PROFILE
    assert tab.page.locator("body").inner_text().strip() == (
        "Signed in as github_octocat"
    )
    # The refused code's callback sent the browser through FAB's login again.
    assert tab.statuses(CALLBACK) == [302, 302]
    assert tab.statuses("/login/github") == [302, 302]
    assert len(provider.token_requests) == 2
    tab.assert_clean()
