"""What the extension leaves outside the login: no hook on the app's other
requests, nothing in the session after a login, no Babel until a page is
rendered. (The figures, in time and bytes, come from ``benchmarks/``.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from collections.abc import Iterable
from urllib.parse import parse_qs
from urllib.parse import urlsplit

from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import session
from flask import url_for
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.callback_cookie import COOKIE_NAME
from flask_oauth_recover.state import read_state
from flask_oauth_recover.testing import ProviderEmulator

from .conftest import SECRET_KEY


def our_keys(keys: Iterable[object]) -> list[str]:
    return [str(key) for key in keys if str(key).startswith("_oauth_recover")]


def hooks(app: Flask) -> list[object]:
    found: list[object] = list(app.before_request_funcs.get(None, []))
    found += app.after_request_funcs.get(None, [])
    found += app.teardown_request_funcs.get(None, [])
    return found


def test_the_extension_adds_no_hook_to_the_app_s_requests(
    make_app: Callable[..., Flask],
) -> None:
    bare = Flask(__name__)
    OAuth(bare)
    app = make_app()

    # Views decorated after init_app are seen at the first request.
    app.test_client().get("/")

    assert hooks(app) == hooks(bare) == []


def test_an_app_set_up_before_the_extension_gets_no_hook_at_all(
    provider: ProviderEmulator,
) -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET_KEY)
    oauth = OAuth(app)
    provider.register(oauth, "github")
    recover = OAuthRecover()

    @app.route("/callback")
    @recover.callback("github")
    def callback() -> str:
        return "signed in"

    recover.init_app(app)

    assert hooks(app) == []


def test_a_registry_created_after_the_extension_is_found_by_a_hook_that_leaves(
    provider: ProviderEmulator,
) -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET_KEY)
    OAuthRecover(app)
    oauth = OAuth(app)  # after the extension, as some apps do
    provider.register(oauth, "github")

    @app.route("/login")
    def login() -> Response:
        uri = url_for("login", _external=True)
        return oauth.github.authorize_redirect(uri)  # type: ignore[no-any-return]

    assert len(hooks(app)) == 1
    first = app.test_client().get("/login")
    second = app.test_client().get("/login")

    assert hooks(app) == []
    for response in (first, second):
        state = parse_qs(urlsplit(response.location).query)["state"][0]
        with app.app_context():
            assert read_state(state, 600, "github") is not None


def test_a_client_created_late_outside_a_request_sends_a_minted_state(
    provider: ProviderEmulator,
) -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET_KEY)
    oauth = OAuth(app)
    OAuthRecover(app)
    app.test_client().get("/")  # the app has served requests already

    provider.register(oauth, "late")  # no app context here
    client = oauth.create_client("late")

    with app.test_request_context("/"):
        response = client.authorize_redirect("http://localhost/callback")
    state = parse_qs(urlsplit(response.location).query)["state"][0]
    with app.app_context():
        assert read_state(state, 600, "late") is not None


def test_a_login_leaves_nothing_of_ours_in_the_session(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app()
    client = app.test_client()

    with client:
        response, _ = provider.follow(client, client.get("/login"))
        keys = list(session)

    assert response.text.startswith("signed in as octocat")
    assert our_keys(keys) == []
    assert sorted(keys) == ["cart", "user"]


def test_a_login_that_needed_restarts_leaves_no_more_than_a_plain_one(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    plain, restarted = make_app().test_client(), make_app().test_client()
    provider.follow(plain, plain.get("/login"))
    provider.reject_next_codes(2)

    provider.follow(restarted, restarted.get("/login"))

    with plain.session_transaction() as one, restarted.session_transaction() as two:
        assert sorted(one) == sorted(two) == ["cart", "user"]
    cookie = restarted.get_cookie(COOKIE_NAME, path="/callback")
    assert cookie is not None  # the back button's record: the callback's only
    assert restarted.get_cookie(COOKIE_NAME, path="/") is None


def test_a_failed_login_leaves_nothing_of_ours_in_the_session(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    client = make_app(OAUTH_RECOVER_MAX_RESTARTS=0).test_client()
    provider.reject_next_codes(1)

    page, _ = provider.follow(client, client.get("/login"))

    assert page.status_code == 500
    with client.session_transaction() as stored:
        assert our_keys(stored) == []


def test_babel_is_loaded_only_to_render_a_page() -> None:
    script = textwrap.dedent(
        """
        import sys
        from flask import Flask
        from flask_oauth_recover import OAuthRecover

        app = Flask("footprint")
        app.config["SECRET_KEY"] = "k"
        recover = OAuthRecover(app)

        @app.route("/callback")
        @recover.callback(lambda: None)
        def callback():
            return "untouched"

        @app.route("/")
        def home():
            return "home"

        client = app.test_client()
        client.get("/")
        client.get("/callback")
        print(any(name.startswith("babel") for name in sys.modules))
        from flask_oauth_recover.pages import render_outcome
        from flask_oauth_recover.outcome import Outcome, OutcomeKind

        with app.test_request_context("/callback"):
            outcome = Outcome(OutcomeKind.INVALID_CALLBACK, "github", None, 0, "ref")
            render_outcome(outcome, show_details=False)
        print(any(name.startswith("babel") for name in sys.modules))
        """
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()

    assert output == ["False", "True"]
