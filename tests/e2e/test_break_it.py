"""Each "Break it" button of the demo's GitHub login, pressed in a real
browser, through Authlib and through Flask-Dance.

A test arms one failure, signs in, and checks what a person sees: where they
land, the headline of an error page and the fix it names, the page's
language, and that nothing on the way showed a traceback.
"""

from __future__ import annotations

import pytest

from flask_oauth_recover.diagnose import fingerprint
from flask_oauth_recover.i18n import Translator
from flask_oauth_recover.outcome import OutcomeKind
from flask_oauth_recover.pages import TITLES
from flask_oauth_recover.testing import DEFAULT_CLIENT_SECRET

from .conftest import LIBRARY_IDS
from .conftest import TIMEOUT
from .conftest import Visit

pytestmark = pytest.mark.e2e


@pytest.fixture(params=list(LIBRARY_IDS), ids=list(LIBRARY_IDS.values()))
def demo_library(request: pytest.FixtureRequest) -> str:
    """Every test here runs through each library."""
    library: str = request.param
    return library


def title(kind: OutcomeKind, locale: str = "en") -> str:
    """An error page's headline, as the extension words it in ``locale``."""
    return Translator(locale)(TITLES[kind], provider="GitHub")


def assert_on_account_page(
    visit: Visit, restarts: list[str], login: str = "octocat"
) -> None:
    """Signed in, on the page the login link asked for, after ``restarts``,
    through the provider and library the visit chose."""
    page = visit.page
    assert visit.path == "/account"
    assert page.locator("[data-login]").inner_text() == login
    library = {"authlib": "Authlib", "flask-dance": "Flask-Dance"}[visit.library]
    signed_in_with = page.locator("[data-signed-in-with]")
    assert signed_in_with.get_attribute("data-signed-in-with") == (
        f"{visit.provider_title} / {library}"
    )
    landed = page.locator("[data-next]").inner_text()
    assert landed.startswith("/account")
    assert "you are on it" in landed
    shown = page.locator("[data-restarts]")
    assert shown.get_attribute("data-restarts") == str(len(restarts))
    for error in restarts:
        assert error in shown.inner_text()


def test_sign_in_then_sign_out(visit: Visit) -> None:
    visit.open()
    assert visit.headline() == "Sign in, then break it"
    assert visit.page.locator("article.fault").count() == 9

    visit.sign_in(shoot=True)

    assert visit.consent_pages == 1
    assert_on_account_page(visit, restarts=[])
    visit.page.get_by_role("button", name="Sign out").click()
    visit.page.wait_for_load_state()
    assert visit.path == "/"
    assert visit.headline() == "Sign in, then break it"
    visit.assert_clean()


def test_a_second_sign_in_skips_the_authorization_page(visit: Visit) -> None:
    visit.open()
    visit.sign_in()
    visit.page.get_by_role("button", name="Sign out").click()
    visit.page.wait_for_load_state()

    visit.sign_in()

    assert visit.consent_pages == 1
    assert_on_account_page(visit, restarts=[])
    visit.assert_clean()


def test_the_demo_moves_from_127_0_0_1_to_localhost(visit: Visit) -> None:
    # The provider is on 127.0.0.1; the app must be another site, as it is
    # from github.com, for browsers to apply SameSite as in production.
    visit.page.goto(visit.demo.url.replace("localhost", "127.0.0.1") + "/")
    assert visit.page.url == visit.demo.url + "/"
    visit.assert_clean()


def test_expired_code_restarts_silently(visit: Visit) -> None:
    visit.break_it("expired_code")
    armed = visit.page.locator("[data-armed]").inner_text()
    assert "Armed: Expired code, once." in armed
    assert "one silent restart" in armed
    visit.screenshot("armed")

    visit.sign_in()

    assert_on_account_page(visit, restarts=["bad_verification_code"])
    assert visit.page.locator('[data-finished="expired_code"]').count() == 1
    assert visit.statuses(visit.callback_path) == [302, 302]
    assert len(visit.emulator.token_requests) == 2
    visit.assert_clean()


def test_code_used_twice_restarts_silently(visit: Visit) -> None:
    visit.break_it("code_used_twice")

    visit.sign_in()

    assert_on_account_page(visit, restarts=["bad_verification_code"])
    # The first use, the refused second one, then the restart's fresh code.
    token_requests = visit.emulator.token_requests
    assert len(token_requests) == 3
    assert token_requests[0]["code"] == token_requests[1]["code"]
    assert token_requests[2]["code"] != token_requests[1]["code"]
    visit.assert_clean()


def test_wrong_client_secret_shows_what_was_sent(visit: Visit) -> None:
    visit.break_it("wrong_secret")
    right = fingerprint(DEFAULT_CLIENT_SECRET)
    card = visit.page.locator('article[data-fault="wrong_secret"]')
    assert right in card.inner_text()

    visit.sign_in()

    assert visit.path == visit.callback_path
    assert visit.statuses(visit.callback_path) == [500]
    assert visit.lang() == "en"
    assert visit.headline() == title(OutcomeKind.CONFIG_ERROR)
    details = visit.page.locator("section.details").inner_text()
    assert "incorrect_client_credentials" in details
    facts = visit.facts()
    # Same length as the right secret, another fingerprint: a stale value.
    assert facts["client_secret length"] == str(len(DEFAULT_CLIENT_SECRET))
    assert facts["client_secret SHA-256"] != right
    assert DEFAULT_CLIENT_SECRET not in visit.page.content()
    # A configuration error is never retried on its own.
    assert len(visit.emulator.token_requests) == 1
    visit.assert_clean()


def test_secret_with_trailing_newline_names_the_strip(visit: Visit) -> None:
    visit.break_it("secret_newline")

    visit.sign_in()

    assert visit.statuses(visit.callback_path) == [500]
    assert visit.headline() == title(OutcomeKind.CONFIG_ERROR)
    diagnoses = visit.diagnoses()
    assert "credentials.whitespace" in diagnoses, diagnoses
    assert ".strip()" in diagnoses["credentials.whitespace"]
    facts = visit.facts()
    assert facts["client_secret length"] == str(len(DEFAULT_CLIENT_SECRET) + 1)
    assert facts["client_secret SHA-256"] == fingerprint(DEFAULT_CLIENT_SECRET + "\n")
    assert len(visit.emulator.token_requests) == 1
    visit.assert_clean()


def test_wrong_redirect_uri_names_the_uri_to_register(
    visit: Visit, request: pytest.FixtureRequest
) -> None:
    visit.break_it("wrong_redirect_uri")

    visit.sign_in()

    sent = visit.demo.url + "/oauth/callback"
    assert [step["redirect_uri"] for step in visit.emulator.authorize_requests] == [
        sent
    ]
    assert visit.path == visit.callback_path
    assert visit.statuses(visit.callback_path) == [500]
    assert visit.headline() == title(OutcomeKind.CONFIG_ERROR)
    # GitHub refuses at the authorization step: no code, no token request.
    assert visit.emulator.token_requests == []
    visit.assert_clean()
    diagnoses = visit.diagnoses()
    named = [ids for ids, text in diagnoses.items() if sent in text]
    assert any(ids.startswith("redirect_uri.") for ids in named), diagnoses
    facts = visit.facts()
    assert facts["redirect_uri sent"] == sent
    assert facts["callback URL received"] == visit.demo.url + visit.callback_path


@pytest.mark.locale("es-ES")
def test_user_cancels_then_signs_in_again(visit: Visit) -> None:
    visit.break_it("user_cancels")

    visit.sign_in(decision="cancel", shoot=True)

    assert visit.consent_pages == 1
    assert visit.statuses(visit.callback_path) == [403]
    assert visit.lang() == "es"
    assert visit.headline() == title(OutcomeKind.CANCELLED, "es")
    assert visit.headline() != title(OutcomeKind.CANCELLED)
    assert visit.emulator.token_requests == []
    visit.screenshot("cancelled")

    visit.click(Translator("es")("Sign in again"))

    assert visit.consent_pages == 2  # nothing was authorized the first time
    assert_on_account_page(visit, restarts=[])
    visit.assert_clean()


@pytest.mark.locale("ja-JP")
def test_provider_down_then_try_again(visit: Visit) -> None:
    visit.break_it("provider_down")

    visit.sign_in()

    assert visit.statuses(visit.callback_path) == [503]
    assert visit.lang() == "ja"
    assert visit.headline() == title(OutcomeKind.UNAVAILABLE, "ja")
    assert "HTTP 502" in visit.facts()["token endpoint"]
    visit.screenshot("unavailable")

    visit.click(Translator("ja")("Try again"))

    assert_on_account_page(visit, restarts=[])
    visit.assert_clean()


@pytest.mark.locale("zh-CN")
def test_provider_hangs_until_the_timeout(visit: Visit) -> None:
    visit.break_it("provider_hangs")
    card = visit.page.locator('article[data-fault="provider_hangs"]')
    assert f"After {TIMEOUT:g} s" in card.inner_text()

    visit.sign_in()

    assert visit.statuses(visit.callback_path) == [503]
    assert visit.lang() == "zh-Hans"
    assert visit.headline() == title(OutcomeKind.UNAVAILABLE, "zh-Hans")
    assert visit.facts()["error code"] == "provider_timeout"
    visit.assert_clean()


def test_session_cookie_dropped_trips_the_loop_guard(visit: Visit) -> None:
    visit.break_it("session_cookie_dropped")

    visit.sign_in(shoot=True)

    assert visit.consent_pages == 1
    assert visit.path == visit.callback_path
    # Two silent restarts (OAUTH_RECOVER_MAX_RESTARTS), then the page.
    assert visit.statuses(visit.callback_path) == [302, 302, 500]
    assert len(visit.emulator.authorize_requests) == 3
    assert visit.headline() == title(OutcomeKind.GAVE_UP)
    diagnoses = visit.diagnoses()
    assert "session.samesite_strict" in diagnoses, diagnoses
    assert '"Lax"' in diagnoses["session.samesite_strict"]
    assert visit.facts()["session cookie"] == "missing"
    visit.assert_clean()
