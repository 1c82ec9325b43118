"""Tests for :mod:`flask_oauth_recover.i18n`: the catalogs are complete and
compiled, the locale is negotiated as documented, and every page speaks every
language through the real login flow against the provider emulator."""

from __future__ import annotations

import ast
import re
import sys
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import flask_babel
import pytest
from babel.messages.catalog import Catalog
from babel.messages.catalog import Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.test import TestResponse

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover import Outcome
from flask_oauth_recover.i18n import DEFAULT_LOCALE
from flask_oauth_recover.i18n import DOMAIN
from flask_oauth_recover.i18n import SUPPORTED
from flask_oauth_recover.i18n import TRANSLATIONS_DIR
from flask_oauth_recover.i18n import Translator
from flask_oauth_recover.i18n import select_locale
from flask_oauth_recover.outcome import STATUS
from flask_oauth_recover.outcome import OutcomeKind
from flask_oauth_recover.pages import DESCRIPTIONS
from flask_oauth_recover.pages import TITLES
from flask_oauth_recover.testing import ProviderEmulator

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "flask_oauth_recover"
TRANSLATIONS = Path(TRANSLATIONS_DIR)
UPDATE_SCRIPT = ROOT / "scripts" / "update-translations"
LANGUAGES = [tag for tag in SUPPORTED if tag != DEFAULT_LOCALE]
PROVIDER = "GitHub"

#: What a browser set to each language sends.
ACCEPT_LANGUAGE = {
    "en": "en-US,en;q=0.9",
    "es": "es-MX,es;q=0.9,en;q=0.5",
    "ja": "ja-JP,ja;q=0.9,en-US;q=0.8",
    "zh-Hans": "zh-CN,zh;q=0.9,en;q=0.6",
    "pt-BR": "pt-BR,pt;q=0.9,en;q=0.7",
    "ko": "ko-KR,ko;q=0.9",
    "fr": "fr-FR,fr;q=0.9,en;q=0.5",
    "de": "de-DE,de;q=0.9,en;q=0.8",
}
#: The "cancelled" headline, written out here so that a catalog that lost
#: its translations cannot pass by agreeing with itself.
CANCELLED_HEADLINE = {
    "en": "Sign-in cancelled",
    "es": "Inicio de sesión cancelado",
    "ja": "サインインがキャンセルされました",
    "zh-Hans": "已取消登录",
    "pt-BR": "Login cancelado",
    "ko": "로그인이 취소되었습니다",
    "fr": "Connexion annulée",
    "de": "Anmeldung abgebrochen",
}
#: Messages whose translation may be spelled exactly like the English.
SAME_AS_ENGLISH: frozenset[tuple[str, str]] = frozenset()

_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_TECHNICAL = re.compile(
    r"https?://[^\s\"'<>)]+"  # URLs
    r"|\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b"  # client_secret, SESSION_...
    r"|\"[^\"\s]+\""  # quoted values: "Lax"
    r"|`[^`]+`"  # inline code
)


def catalog_file(locale: str, extension: str) -> Path:
    """Where the catalog of ``locale`` (a BCP 47 tag) lives."""
    folder = TRANSLATIONS / locale.replace("-", "_") / "LC_MESSAGES"
    return folder / f"{DOMAIN}.{extension}"


def load_po(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def text_id(message: Message) -> str:
    assert isinstance(message.id, str), f"plural messages are not used: {message.id}"
    return message.id


def text_string(message: Message) -> str:
    assert isinstance(message.string, str), message.id
    return message.string


def messages(catalog: Catalog) -> dict[str, Message]:
    return {text_id(message): message for message in catalog if message.id}


# -- catalogs -----------------------------------------------------------------


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Message]:
    """Every message in the source as it is now, extracted the way
    ``scripts/update-translations`` extracts it."""
    pot = tmp_path_factory.mktemp("extract") / f"{DOMAIN}.pot"
    CommandLineInterface().run(  # type: ignore[no-untyped-call]
        [
            "pybabel",
            "--quiet",
            "extract",
            "--mapping-file",
            str(ROOT / "babel.cfg"),
            "--keyword",
            "N_",
            "--output-file",
            str(pot),
            str(ROOT),
        ]
    )
    extracted = messages(load_po(pot))
    assert len(extracted) >= len(TITLES) + len(DESCRIPTIONS)
    return extracted


def test_update_script_covers_every_supported_language() -> None:
    script = UPDATE_SCRIPT.read_text(encoding="utf-8")
    listed = re.search(r'^languages="([^"]*)"$', script, re.MULTILINE)
    assert listed is not None
    expected = {tag.replace("-", "_") for tag in LANGUAGES}
    assert set(listed.group(1).split()) == expected
    shipped = {path.parent.name for path in TRANSLATIONS.glob("*/LC_MESSAGES")}
    assert shipped == expected
    assert "-k N_" in script


def test_template_lists_the_current_messages(
    source_messages: dict[str, Message],
) -> None:
    template = messages(load_po(TRANSLATIONS / f"{DOMAIN}.pot"))
    missing = sorted(set(source_messages) - set(template))
    stale = sorted(set(template) - set(source_messages))
    assert not missing and not stale, (
        "run ./scripts/update-translations: "
        f"missing from the .pot {missing}, no longer in the source {stale}"
    )


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_message_is_translated(
    locale: str, source_messages: dict[str, Message]
) -> None:
    catalog = messages(load_po(catalog_file(locale, "po")))
    problems = []
    for msgid in source_messages:
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
        elif not entry.string:
            problems.append(f"empty: {msgid!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif Counter(_PLACEHOLDER.findall(msgid)) != Counter(
            _PLACEHOLDER.findall(text_string(entry))
        ):
            problems.append(f"placeholders differ: {msgid!r} -> {entry.string!r}")
        elif msgid == entry.string and (locale, msgid) not in SAME_AS_ENGLISH:
            problems.append(f"left in English: {msgid!r}")
    assert not problems, (
        f"{catalog_file(locale, 'po')} needs work "
        "(./scripts/update-translations, translate, run it again):\n"
        + "\n".join(problems)
    )


@pytest.mark.parametrize("locale", LANGUAGES)
def test_translations_format_with_their_placeholders(locale: str) -> None:
    for msgid, entry in messages(load_po(catalog_file(locale, "po"))).items():
        names = _PLACEHOLDER.findall(msgid)
        if names and entry.string:
            params = {name: f"<{name}>" for name in names}
            formatted = text_string(entry) % params
            assert all(value in formatted for value in params.values()), msgid


@pytest.mark.parametrize("locale", LANGUAGES)
def test_technical_terms_stay_verbatim(locale: str) -> None:
    problems = []
    for msgid, entry in messages(load_po(catalog_file(locale, "po"))).items():
        for term in _TECHNICAL.findall(msgid):
            if entry.string and term not in text_string(entry):
                problems.append(f"{term} dropped from {entry.string!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", LANGUAGES)
def test_compiled_catalog_matches_po(locale: str) -> None:
    with catalog_file(locale, "mo").open("rb") as file:
        compiled = messages(read_mo(file))
    source = messages(load_po(catalog_file(locale, "po")))
    expected = {
        msgid: entry.string
        for msgid, entry in source.items()
        if entry.string and not entry.fuzzy
    }
    actual = {msgid: entry.string for msgid, entry in compiled.items()}
    assert actual == expected, "run ./scripts/update-translations to compile"


def test_finding_texts_are_marked_for_translation() -> None:
    """A finding's cause and fix reach the page through the catalog, so a
    literal that is not wrapped in ``N_()`` would stay English everywhere."""
    unmarked = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and _called_name(call) == "Finding"):
                continue
            texts = list(call.args[1:3]) + [
                keyword.value
                for keyword in call.keywords
                if keyword.arg in ("cause", "fix")
            ]
            unmarked += [
                f"{path.relative_to(PACKAGE)}:{text.lineno}"
                for text in texts
                if isinstance(text, ast.Constant | ast.JoinedStr)
            ]
    assert not unmarked, f"wrap these finding texts in N_(): {unmarked}"


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


# -- choosing the locale ------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("zh-CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh-Hans", "zh-Hans"),
        ("zh-Hans-CN", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("zh-TW", "en"),
        ("zh-Hant", "en"),
        ("zh-HK", "en"),
        ("zh-TW, ja;q=0.5", "ja"),
        ("pt", "pt-BR"),
        ("pt-PT", "pt-BR"),
        ("pt-BR", "pt-BR"),
        ("es", "es"),
        ("es-419", "es"),
        ("es-MX", "es"),
        ("ja-JP", "ja"),
        ("ko-KR", "ko"),
        ("fr-CA", "fr"),
        ("de-AT", "de"),
        ("EN-gb", "en"),
        ("fr;q=0.3, de;q=0.9", "de"),
        ("en-US, ja;q=0.9", "en"),
        ("tlh, ko;q=0.2", "ko"),
        ("ja;q=0, fr;q=0.1", "fr"),
        ("ja;q=0", "en"),
        ("tlh", "en"),
        ("*", "en"),
        ("", "en"),
    ],
)
def test_accept_language_negotiation(accept_language: str, expected: str) -> None:
    app = Flask(__name__)
    with app.test_request_context(headers={"Accept-Language": accept_language}):
        assert select_locale() == expected


def test_no_accept_language_means_english() -> None:
    with Flask(__name__).test_request_context():
        assert select_locale() == "en"


# -- every page in every language --------------------------------------------


def browser(app: Flask, locale: str, accept: str = "text/html") -> FlaskClient:
    """A test client that asks for ``locale`` on every request."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ACCEPT_LANGUAGE[locale]
    client.environ_base["HTTP_ACCEPT"] = accept
    return client


def sign_in(client: FlaskClient, provider: ProviderEmulator) -> TestResponse:
    response, _visited = provider.follow(client, client.get("/login"))
    return response


AppFactory = Callable[..., Flask]
Scenario = Callable[[AppFactory, ProviderEmulator, str, str], TestResponse]


def config_error(
    make_app: AppFactory, provider: ProviderEmulator, locale: str, accept: str
) -> TestResponse:
    app = make_app(client_overrides={"client_secret": "x" * 40})
    return sign_in(browser(app, locale, accept), provider)


def cancelled(
    make_app: AppFactory, provider: ProviderEmulator, locale: str, accept: str
) -> TestResponse:
    provider.deny_next_authorizations("access_denied")
    return sign_in(browser(make_app(), locale, accept), provider)


def gave_up(
    make_app: AppFactory, provider: ProviderEmulator, locale: str, accept: str
) -> TestResponse:
    app = make_app()
    provider.reject_next_codes(app.config["OAUTH_RECOVER_MAX_RESTARTS"] + 1)
    return sign_in(browser(app, locale, accept), provider)


def unavailable(
    make_app: AppFactory, provider: ProviderEmulator, locale: str, accept: str
) -> TestResponse:
    provider.fail_next_token_requests(503, "<html>down</html>")
    return sign_in(browser(make_app(), locale, accept), provider)


def invalid_callback(
    make_app: AppFactory, provider: ProviderEmulator, locale: str, accept: str
) -> TestResponse:
    return browser(make_app(), locale, accept).get("/callback?code=a&code=b")


PAGES: dict[OutcomeKind, Scenario] = {
    OutcomeKind.CONFIG_ERROR: config_error,
    OutcomeKind.CANCELLED: cancelled,
    OutcomeKind.GAVE_UP: gave_up,
    OutcomeKind.UNAVAILABLE: unavailable,
    OutcomeKind.INVALID_CALLBACK: invalid_callback,
}


def html_text(text: str) -> str:
    """``text`` as the autoescaping template writes it."""
    return str(escape(text))


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("kind", list(PAGES), ids=lambda kind: kind.value)
def test_each_page_in_each_language(
    kind: OutcomeKind,
    locale: str,
    make_app: AppFactory,
    provider: ProviderEmulator,
) -> None:
    response = PAGES[kind](make_app, provider, locale, "text/html")

    assert response.status_code == STATUS[kind]
    assert response.headers["Content-Language"] == locale
    assert "Accept-Language" in response.headers["Vary"]
    page = response.get_data(as_text=True)
    assert f'<html lang="{locale}">' in page
    _ = Translator(locale)
    title = _(TITLES[kind], provider=PROVIDER)
    description = _(DESCRIPTIONS[kind], provider=PROVIDER)
    assert f"<h1>{html_text(title)}</h1>" in page
    assert html_text(description) in page
    if locale != "en":
        assert title != TITLES[kind] % {"provider": PROVIDER}
        assert html_text(_("Back to the home page")) in page
        assert "Back to the home page" not in page
    if kind is OutcomeKind.CANCELLED:
        assert CANCELLED_HEADLINE[locale] in page


@pytest.mark.parametrize("locale", SUPPORTED)
def test_json_description_is_localized_and_error_is_not(
    locale: str, make_app: AppFactory, provider: ProviderEmulator
) -> None:
    response = cancelled(make_app, provider, locale, "application/json")

    assert response.status_code == STATUS[OutcomeKind.CANCELLED]
    assert response.headers["Content-Language"] == locale
    body = response.get_json()
    assert body["error"] == "access_denied"
    assert body["action"] == "sign_in_again"
    english = DESCRIPTIONS[OutcomeKind.CANCELLED] % {"provider": PROVIDER}
    expected = Translator(locale)(
        DESCRIPTIONS[OutcomeKind.CANCELLED], provider=PROVIDER
    )
    assert body["description"] == expected
    assert (body["description"] == english) is (locale == "en")


@pytest.mark.parametrize("locale", LANGUAGES)
def test_developer_details_are_translated(
    locale: str, make_app: AppFactory, provider: ProviderEmulator
) -> None:
    app = make_app(
        client_overrides={"client_secret": "x" * 40}, OAUTH_RECOVER_SHOW_DETAILS=True
    )
    page = sign_in(browser(app, locale), provider).get_data(as_text=True)

    _ = Translator(locale)
    for heading in ("For the site's developers", "What the app saw"):
        assert html_text(_(heading)) in page
        assert html_text(heading) not in page
    assert "OAUTH_RECOVER_SHOW_DETAILS" in page
    assert "incorrect_client_credentials" in page


def cookie_never_returns(
    make_app: AppFactory, provider: ProviderEmulator, recover: OAuthRecover
) -> tuple[Flask, str]:
    # A session cookie scoped to /login never comes back on /callback, the
    # way a SameSite or Secure cookie fails in a real browser.
    app = make_app(recover=recover, SESSION_COOKIE_PATH="/login")
    return app, "/login"


def wrong_secret(
    make_app: AppFactory, provider: ProviderEmulator, recover: OAuthRecover
) -> tuple[Flask, str]:
    app = make_app(recover=recover, client_overrides={"client_secret": " x" * 20})
    return app, "/login"


def unregistered_redirect_uri(
    make_app: AppFactory, provider: ProviderEmulator, recover: OAuthRecover
) -> tuple[Flask, str]:
    provider.callback_url = "http://localhost/callback"
    app = make_app(recover=recover)
    return app, "/login?redirect_uri=http://localhost/callback-elsewhere"


DIAGNOSED = {
    "session": cookie_never_returns,
    "credentials": wrong_secret,
    "redirect_uri": unregistered_redirect_uri,
}


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("failure", list(DIAGNOSED))
def test_diagnosis_is_translated_but_its_snippet_is_not(
    failure: str, locale: str, make_app: AppFactory, provider: ProviderEmulator
) -> None:
    recover = OAuthRecover()
    outcomes: list[Outcome] = []

    @recover.error_page_handler
    def keep_built_in_page(outcome: Outcome) -> None:
        outcomes.append(outcome)

    app, login = DIAGNOSED[failure](make_app, provider, recover)
    app.config["OAUTH_RECOVER_SHOW_DETAILS"] = True
    client = browser(app, locale, "application/json")
    response, _visited = provider.follow(client, client.get(login))

    findings = outcomes[-1].findings
    shown = response.get_json()["diagnosis"]
    assert [finding.id for finding in findings] == [item["id"] for item in shown]
    assert any(finding.id.startswith(f"{failure}.") for finding in findings)
    _ = Translator(locale)
    for finding, item in zip(findings, shown, strict=True):
        for text, rendered in (
            (finding.cause, item["cause"]),
            (finding.fix, item["fix"]),
        ):
            assert rendered == _(text, **finding.params)
            assert rendered != text % finding.params
        assert item.get("snippet") == finding.snippet


# -- Flask-Babel ----------------------------------------------------------------


@pytest.fixture
def app_translations(tmp_path: Path) -> Path:
    """The app's own catalogs, in Flask-Babel's default ``messages`` domain,
    translating some of our English strings their own way."""
    catalog = Catalog(locale="ja")
    catalog.add("Sign-in cancelled", "APP-OWNED HEADLINE")
    catalog.add("Back to the home page", "APP-OWNED LINK")
    folder = tmp_path / "translations" / "ja" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as file:
        write_mo(file, catalog)
    return tmp_path / "translations"


def babel_app(
    make_app: AppFactory,
    selected: str | None,
    translations: Path | None = None,
) -> Flask:
    """An app whose Flask-Babel locale selector answers ``selected``."""
    config = {}
    if translations is not None:
        config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    app = make_app(**config)
    flask_babel.Babel(app, locale_selector=lambda: selected)
    return app


def test_flask_babel_locale_wins_over_accept_language(
    make_app: AppFactory, provider: ProviderEmulator
) -> None:
    app = babel_app(make_app, "ja")
    provider.deny_next_authorizations("access_denied")
    response = sign_in(browser(app, "de"), provider)

    assert response.headers["Content-Language"] == "ja"
    page = response.get_data(as_text=True)
    assert '<html lang="ja">' in page
    assert CANCELLED_HEADLINE["ja"] in page


def test_our_catalog_and_the_apps_do_not_collide(
    make_app: AppFactory, provider: ProviderEmulator, app_translations: Path
) -> None:
    app = babel_app(make_app, "ja", app_translations)
    provider.deny_next_authorizations("access_denied")
    page = sign_in(browser(app, "ja"), provider).get_data(as_text=True)

    assert CANCELLED_HEADLINE["ja"] in page
    assert Translator("ja")("Back to the home page") in page
    assert "APP-OWNED" not in page
    with app.test_request_context():
        assert flask_babel.gettext("Sign-in cancelled") == "APP-OWNED HEADLINE"


@pytest.mark.parametrize(
    ("selected", "expected"),
    [("zh_Hans_CN", "zh-Hans"), ("zh_CN", "zh-Hans"), ("pt", "pt-BR"), ("ko", "ko")],
)
def test_flask_babel_locales_map_to_ours(
    selected: str, expected: str, make_app: AppFactory
) -> None:
    app = babel_app(make_app, selected)
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert select_locale() == expected


def test_flask_babel_locale_we_lack_falls_back_to_accept_language(
    make_app: AppFactory,
) -> None:
    app = babel_app(make_app, "it")
    with app.test_request_context(headers={"Accept-Language": "it, fr;q=0.8"}):
        assert select_locale() == "fr"


def test_flask_babel_default_locale_is_followed(make_app: AppFactory) -> None:
    # The selector has no opinion, so the app renders its default, English:
    # our page matches the rest of the app rather than the browser.
    app = babel_app(make_app, None)
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        assert select_locale() == "en"


@pytest.fixture
def without_flask_babel(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Flask-Babel not installed: importing it fails."""
    monkeypatch.setitem(sys.modules, "flask_babel", None)
    yield


@pytest.mark.usefixtures("without_flask_babel")
def test_without_flask_babel_accept_language_decides(
    make_app: AppFactory, provider: ProviderEmulator
) -> None:
    provider.deny_next_authorizations("access_denied")
    response = sign_in(browser(make_app(), "ko"), provider)

    assert response.headers["Content-Language"] == "ko"
    assert CANCELLED_HEADLINE["ko"] in response.get_data(as_text=True)
