"""The demo's provider switch in a real browser: Google, Microsoft Entra ID
and GitLab, each emulated, through Authlib and Flask-Dance, and Apple, Slack,
Facebook, Okta, Discord and Auth0 through Authlib, with each provider's
classic mistakes from the break-it panel. Apple's callback is a cross-site
form POST, so here the browser's own SameSite rules decide whether the
session comes back.

Every config-fix page leaves a screenshot named after its provider and
library, ``screenshots/e2e-config_page_names_the_fix-<library>-<provider>-
<fault>.png``.
"""

from __future__ import annotations

import pytest

from example_app.provider import DEFAULT_LIBRARY
from example_app.provider import FLASK_DANCE
from flask_oauth_recover.i18n import Translator
from flask_oauth_recover.outcome import OutcomeKind
from flask_oauth_recover.pages import TITLES

from .conftest import LIBRARY_IDS
from .conftest import Visit

pytestmark = pytest.mark.e2e

#: The login the account page shows, per provider: its login field.
LOGINS = {
    "github": "octocat",
    "google": "octocat@example.com",
    "microsoft": "octocat@example.com",
    "gitlab": "octocat",
}
LIBRARIES = pytest.mark.parametrize(
    "demo_library", list(LIBRARY_IDS), ids=list(LIBRARY_IDS.values())
)


def title(visit: Visit, kind: OutcomeKind) -> str:
    """An error page's headline, naming the visit's provider."""
    return Translator("en")(TITLES[kind], provider=visit.display_name)


def assert_signed_in(visit: Visit, restarts: list[str]) -> None:
    """On the account page, signed in through the visit's provider and
    library, after ``restarts``."""
    page = visit.page
    assert visit.path == "/account"
    assert page.locator("[data-login]").inner_text() == LOGINS[visit.provider]
    library = "Flask-Dance" if visit.library == FLASK_DANCE else "Authlib"
    assert page.locator("[data-signed-in-with]").get_attribute(
        "data-signed-in-with"
    ) == (f"{visit.provider_title} / {library}")
    shown = page.locator("[data-restarts]")
    assert shown.get_attribute("data-restarts") == str(len(restarts))
    for error in restarts:
        assert error in shown.inner_text()


@pytest.mark.parametrize("demo_provider", list(LOGINS))
@LIBRARIES
def test_each_provider_signs_in(visit: Visit) -> None:
    visit.open()
    header = visit.page.locator("[data-selection]")
    assert header.get_attribute("data-selection") == (
        f"{visit.provider}.{visit.library}"
    )
    assert visit.provider_title in visit.page.locator("#breakit-title").inner_text()

    visit.sign_in(shoot=visit.library == DEFAULT_LIBRARY)

    assert visit.consent_pages == 1
    assert_signed_in(visit, restarts=[])
    assert len(visit.emulator.token_requests) == 1
    visit.assert_clean()


def test_switching_provider_signs_out_and_disarms(visit: Visit) -> None:
    visit.open()
    visit.sign_in()
    visit.break_it("user_cancels")
    assert visit.page.locator("[data-armed]").count() == 1

    visit.choose(provider="gitlab", library=FLASK_DANCE)

    assert visit.page.locator("[data-armed]").count() == 0
    assert visit.headline() == "Sign in, then break it"
    pressed = visit.page.locator('.switches button[aria-pressed="true"]')
    assert pressed.all_inner_texts() == ["GitLab", "Flask-Dance"]
    assert "GitLab through Flask-Dance" in visit.page.locator(".lead").inner_text()
    visit.assert_clean()


@pytest.mark.parametrize(
    ("demo_provider", "fault", "diagnosis", "shown"),
    [
        pytest.param(*case, id=f"{case[0]}-{case[1]}")
        for case in [
            ("github", "wrong_secret", None, "incorrect_client_credentials"),
            ("google", "wrong_secret", None, "invalid_client"),
            ("microsoft", "secret_id", "credentials.secret_id", "AADSTS7000215"),
            ("microsoft", "expired_secret", "credentials.expired", "AADSTS7000222"),
            ("gitlab", "token_as_secret", "credentials.shape", "glpat-"),
        ]
    ],
)
@LIBRARIES
def test_config_page_names_the_fix(
    visit: Visit, fault: str, diagnosis: str | None, shown: str
) -> None:
    visit.break_it(fault)
    expect = visit.page.locator("[data-armed]").inner_text()
    assert "Sign-in is not set up correctly" in expect

    visit.sign_in()

    assert visit.path == visit.callback_path
    assert visit.statuses(visit.callback_path) == [500]
    assert visit.headline() == title(visit, OutcomeKind.CONFIG_ERROR)
    assert shown in visit.page.locator("main").inner_text()
    if diagnosis is not None:
        diagnoses = visit.diagnoses()
        assert diagnosis in diagnoses, diagnoses
    # A configuration error is never retried on its own.
    assert len(visit.emulator.token_requests) == 1
    visit.assert_clean()


@pytest.mark.parametrize(
    ("demo_provider", "marker"),
    [
        pytest.param("google", "Error 400: redirect_uri_mismatch", id="google"),
        pytest.param("microsoft", "AADSTS50011", id="microsoft"),
        pytest.param("gitlab", "The redirect URI included is not valid.", id="gitlab"),
    ],
)
@LIBRARIES
def test_unregistered_redirect_uri_stops_on_the_providers_page(
    visit: Visit, marker: str
) -> None:
    visit.break_it("unregistered_redirect_uri")
    hint = visit.page.locator("[data-armed] [data-check-hint]").inner_text()
    assert "Only flask --app example_app oauth-recover check --probe finds it" in hint
    visit.screenshot("armed")

    visit.sign_in()

    # The provider's own page: the app never hears of it.
    assert visit.page.url.startswith("http://127.0.0.1:")
    assert marker in visit.page.locator("body").inner_text()
    assert visit.consent_pages == 0
    assert visit.statuses(visit.callback_path) == []
    assert visit.emulator.token_requests == []
    visit.assert_clean()


@pytest.mark.parametrize("demo_provider", ["google", "microsoft", "gitlab"])
@LIBRARIES
def test_check_probe_finds_the_unregistered_redirect_uri(visit: Visit) -> None:
    visit.break_it("unregistered_redirect_uri")

    visit.page.get_by_role("button", name="Run check --probe").click()
    visit.page.wait_for_load_state()

    output = visit.page.locator("[data-check-output]").inner_text()
    callback = visit.demo.url + visit.callback_path
    assert callback in output
    assert "authorize probe unregistered" in output, output
    assert "redirect_uri.unregistered" in output, output
    assert visit.page.locator("[data-exit-code]").get_attribute("data-exit-code") == (
        "1"
    )
    visit.assert_clean()


@pytest.mark.parametrize("demo_provider", ["gitlab"])
@LIBRARIES
def test_gitlab_invalid_grant_restarts_once_then_explains(visit: Visit) -> None:
    visit.break_it("redirect_differs")

    visit.sign_in()

    # One restart (a used code would heal), then the page: GitLab's one
    # invalid_grant also stands for a redirect URI that differs.
    assert visit.statuses(visit.callback_path) == [302, 500]
    assert len(visit.emulator.token_requests) == 2
    assert visit.headline() == title(visit, OutcomeKind.GAVE_UP)
    diagnoses = visit.diagnoses()
    assert "token.invalid_grant_repeated" in diagnoses, diagnoses
    text = diagnoses["token.invalid_grant_repeated"]
    callback = visit.demo.url + visit.callback_path
    assert callback in text
    assert callback.replace("localhost", "127.0.0.1") in text
    visit.screenshot("gave-up")
    visit.assert_clean()


@pytest.mark.parametrize(
    ("demo_provider", "fault"),
    [
        (provider, fault)
        for fault in ("expired_code", "code_used_twice")
        for provider in ("google", "microsoft", "gitlab")
    ],
)
@LIBRARIES
def test_refused_code_restarts_silently(visit: Visit, fault: str) -> None:
    visit.break_it(fault)

    visit.sign_in()

    assert_signed_in(visit, restarts=["invalid_grant"])
    assert visit.statuses(visit.callback_path) == [302, 302]
    visit.assert_clean()


#: The rest of the panel, the same on every provider: what the page says
#: (its kind, the callback's statuses) and a diagnosis it must name.
SHARED_BUTTONS = {
    "secret_newline": (OutcomeKind.CONFIG_ERROR, [500], "credentials.whitespace"),
    "user_cancels": (OutcomeKind.CANCELLED, [403], None),
    "provider_down": (OutcomeKind.UNAVAILABLE, [503], None),
    "provider_hangs": (OutcomeKind.UNAVAILABLE, [503], None),
    "session_cookie_dropped": (
        OutcomeKind.GAVE_UP,
        [302, 302, 500],
        "session.samesite_strict",
    ),
}


@pytest.mark.parametrize("fault", list(SHARED_BUTTONS))
@pytest.mark.parametrize("demo_provider", ["google", "microsoft", "gitlab"])
@LIBRARIES
def test_shared_buttons_on_every_provider(visit: Visit, fault: str) -> None:
    kind, statuses, diagnosis = SHARED_BUTTONS[fault]
    visit.break_it(fault)

    visit.sign_in(decision="cancel" if fault == "user_cancels" else "authorize")

    assert visit.path == visit.callback_path
    assert visit.statuses(visit.callback_path) == statuses
    assert visit.headline() == title(visit, kind)
    if diagnosis is not None:
        diagnoses = visit.diagnoses()
        assert diagnosis in diagnoses, diagnoses
    if fault == "provider_hangs":
        assert visit.facts()["error code"] == "provider_timeout"
    if fault in ("user_cancels", "session_cookie_dropped"):
        assert visit.consent_pages == 1
    visit.assert_clean()
    if kind is OutcomeKind.UNAVAILABLE:
        visit.click("Try again")
        assert_signed_in(visit, restarts=[])


# -- the second wave: Apple, Slack, Facebook, Okta, Discord, Auth0 (Authlib) ---------

WAVE_2 = ["apple", "slack", "facebook", "okta", "discord", "auth0"]
#: The login the account page shows, per provider of the second wave.
LOGINS_2 = {
    "apple": "octocat@example.com",
    "slack": "octocat@example.com",
    "facebook": "octocat@example.com",
    "okta": "octocat@example.com",
    "discord": "octocat",
    "auth0": "octocat@example.com",
}


@pytest.mark.parametrize("demo_provider", WAVE_2)
def test_each_second_wave_provider_signs_in(visit: Visit) -> None:
    visit.open()
    dance = visit.page.locator('.switches button[value="flask-dance"]')
    # Through Authlib only: the Flask-Dance switch says so.
    assert dance.is_disabled()

    visit.sign_in(shoot=True)

    assert visit.consent_pages == 1
    assert visit.path == "/account"
    assert visit.page.locator("[data-login]").inner_text() == LOGINS_2[visit.provider]
    assert visit.page.locator("[data-restarts]").get_attribute("data-restarts") == "0"
    assert len(visit.emulator.token_requests) == 1
    if visit.provider == "apple":
        # Apple posted the callback, and the SameSite=None cookie came with it.
        assert visit.statuses(visit.callback_path) == [302]
    visit.assert_clean()


@pytest.mark.parametrize("demo_provider", ["apple"])
def test_a_lax_cookie_stays_behind_when_apple_posts_the_callback(
    visit: Visit,
) -> None:
    visit.break_it("form_post_lax")

    visit.sign_in()

    # The real browser drops the Lax cookie on each cross-site POST: two
    # restarts, then the page that names the setting.
    assert visit.path == visit.callback_path
    assert visit.statuses(visit.callback_path) == [302, 302, 500]
    assert visit.headline() == title(visit, OutcomeKind.GAVE_UP)
    diagnoses = visit.diagnoses()
    assert list(diagnoses) == ["session.form_post_samesite"], diagnoses
    assert "SameSite=Lax" in diagnoses["session.form_post_samesite"]
    assert len(visit.emulator.authorize_requests) == 3
    visit.assert_clean()


@pytest.mark.parametrize("demo_provider", ["apple"])
def test_apples_expired_client_secret_is_named_with_its_date(visit: Visit) -> None:
    visit.break_it("apple_secret_expired")

    visit.sign_in()

    assert visit.statuses(visit.callback_path) == [500]
    assert visit.headline() == title(visit, OutcomeKind.CONFIG_ERROR)
    diagnoses = visit.diagnoses()
    assert "credentials.expired" in diagnoses, diagnoses
    assert "expired on 20" in diagnoses["credentials.expired"]
    assert visit.facts()["error code"] == "invalid_client"
    visit.assert_clean()


@pytest.mark.parametrize("demo_provider", ["apple"])
def test_apples_posted_cancel_gets_the_cancelled_page(visit: Visit) -> None:
    visit.break_it("user_cancels")

    visit.sign_in(decision="cancel")

    assert visit.statuses(visit.callback_path) == [403]
    assert visit.headline() == title(visit, OutcomeKind.CANCELLED)
    visit.assert_clean()


@pytest.mark.parametrize(
    "demo_provider", ["slack", "facebook", "okta", "discord", "auth0"]
)
def test_a_wrong_secret_is_rejected_with_the_console_page(visit: Visit) -> None:
    visit.break_it("wrong_secret")

    visit.sign_in()

    assert visit.statuses(visit.callback_path) == [500]
    # Auth0's 401 access_denied too: a credentials page, never "cancelled".
    assert visit.headline() == title(visit, OutcomeKind.CONFIG_ERROR)
    diagnoses = visit.diagnoses()
    assert "credentials.rejected" in diagnoses, diagnoses
    # Okta's Admin Console lives beside its own *.okta.com host: on the
    # emulator's address the page names none rather than a wrong one.
    named = "Where to change it" in diagnoses["credentials.rejected"]
    assert named is (visit.provider != "okta")
    assert len(visit.emulator.token_requests) == 1
    visit.assert_clean()


@pytest.mark.parametrize(
    ("demo_provider", "marker"),
    [
        ("apple", "Invalid web redirect url."),
        ("slack", "redirect_uri did not match any configured URIs"),
        ("okta", "must be a Login redirect URI in the client app settings"),
        ("auth0", "Callback URL mismatch."),
    ],
)
def test_the_second_waves_own_pages_for_an_unregistered_redirect_uri(
    visit: Visit, marker: str
) -> None:
    visit.break_it("unregistered_redirect_uri")
    visit.page.get_by_role("button", name="Run check --probe").click()
    visit.page.wait_for_load_state()
    output = visit.page.locator("[data-check-output]").inner_text()
    visit.open()

    visit.sign_in()

    assert "authorize probe unregistered" in output, output
    assert "redirect_uri.unregistered" in output, output
    assert visit.page.url.startswith("http://127.0.0.1:")
    assert marker in visit.page.locator("body").inner_text()
    assert visit.statuses(visit.callback_path) == []
    visit.assert_clean()


@pytest.mark.parametrize(
    ("demo_provider", "error"),
    [
        ("slack", "invalid_code"),
        ("facebook", "OAuthException"),
        ("discord", "invalid_grant"),
    ],
)
def test_a_second_wave_expired_code_restarts_silently(visit: Visit, error: str) -> None:
    visit.break_it("expired_code")

    visit.sign_in()

    assert visit.path == "/account"
    shown = visit.page.locator("[data-restarts]")
    assert shown.get_attribute("data-restarts") == "1"
    assert error in shown.inner_text()
    assert visit.statuses(visit.callback_path) == [302, 302]
    visit.assert_clean()
