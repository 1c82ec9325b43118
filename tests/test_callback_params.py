"""Hostile callbacks get a 400 page, no token request, nothing echoed."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder

from flask_oauth_recover.callback_params import LIMITS
from flask_oauth_recover.callback_params import CallbackParams
from flask_oauth_recover.callback_params import InvalidCallback
from flask_oauth_recover.callback_params import read_callback_params
from flask_oauth_recover.testing import ProviderEmulator

from .conftest import SignalRecorder

REPEATED = "the parameter {!r} is repeated"
TOO_LONG = "the parameter {!r} is too long"
CONTROL = "the parameter {!r} contains control characters"
CODE_AND_ERROR = "the response carries both a code and an error"
BAD_ERROR_CODE = "the error code is not a valid OAuth error code"

#: Crafted callback queries around a genuine signed state (``{state}``),
#: and the reason each is refused for.
HOSTILE = [
    ("code=abc&state=" + "s" * 2049, TOO_LONG.format("state")),
    ("code=" + "c" * 513 + "&state={state}", TOO_LONG.format("code")),
    ("code=abc%00&state={state}", CONTROL.format("code")),
    ("code=abc&state={state}%0d%0aSet-Cookie:%20pwned=1", CONTROL.format("state")),
    ("code=abc&state={state}%7f", CONTROL.format("state")),
    ("code=abc&code=def&state={state}", REPEATED.format("code")),
    # A blank first value still makes the parameter repeated.
    ("code=&code=abc&state={state}", REPEATED.format("code")),
    ("code=abc&state={state}&state={state}", REPEATED.format("state")),
    ("error=access_denied&error=server_error&state={state}", REPEATED.format("error")),
    (
        "error=access_denied&error_description=a&error_description=b&state={state}",
        REPEATED.format("error_description"),
    ),
    (
        "error=access_denied&error_uri=https://a&error_uri=https://b&state={state}",
        REPEATED.format("error_uri"),
    ),
    ("code=abc&error=access_denied&state={state}", CODE_AND_ERROR),
    ('error=access"denied&state={state}', BAD_ERROR_CODE),
    ("error=access%5cdenied&state={state}", BAD_ERROR_CODE),
    ("error=acc%C3%A8s_denied&state={state}", BAD_ERROR_CODE),
    ("error=&state={state}", BAD_ERROR_CODE),
    (
        "error=access_denied&error_description=" + "d" * 1025 + "&state={state}",
        TOO_LONG.format("error_description"),
    ),
    (
        "error=access_denied&error_description=line%0abreak&state={state}",
        CONTROL.format("error_description"),
    ),
    (
        "error=access_denied&error_uri=https://x.example/"
        + "u" * 2031
        + "&state={state}",
        TOO_LONG.format("error_uri"),
    ),
    (
        "error=access_denied&error_uri=https://x.example/%09&state={state}",
        CONTROL.format("error_uri"),
    ),
    ("error=" + "e" * 65 + "&state={state}", TOO_LONG.format("error")),
]


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def genuine_state(app: Flask) -> str:
    """A state this app signed, from someone's own login: what an attacker
    can put on a crafted link."""
    return query(app.test_client().get("/login").location)["state"]


@pytest.mark.parametrize(
    ("crafted", "reason"), HOSTILE, ids=[reason for _, reason in HOSTILE]
)
def test_hostile_callback_is_refused_without_a_token_request(
    app: Flask,
    client: FlaskClient,
    provider: ProviderEmulator,
    signals: SignalRecorder,
    crafted: str,
    reason: str,
) -> None:
    client.get("/login")
    # Only the refusal stands between these links and a token request or a
    # restart: the state itself is one the app signed.
    state = genuine_state(app)

    response = client.get("/callback?" + crafted.replace("{state}", state))

    assert response.status_code == 400
    assert "<h1>This sign-in link is not valid</h1>" in response.text
    assert provider.token_requests == []
    assert provider.authorize_requests == []
    assert "pwned" not in str(response.headers)
    assert "Set-Cookie" not in response.text
    assert signals.names == ["invalid_callback"]
    assert signals.sent[0][1]["outcome"].reason == reason


def test_the_reason_is_shown_to_developers_never_the_input(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(OAUTH_RECOVER_SHOW_DETAILS=True).test_client()

    response = client.get("/callback?code=%3Cscript%3E&code=x")

    assert response.status_code == 400
    assert "the parameter &#39;code&#39; is repeated" in response.text
    assert "<script>" not in response.text


def test_hostile_callback_keeps_the_login_pending(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    login = client.get("/login")
    client.get("/callback?code=abc&code=def")

    response, _ = provider.follow(client, login)

    assert response.text.startswith("signed in as octocat")


def test_hostile_callback_as_json(client: FlaskClient) -> None:
    response = client.get(
        "/callback?code=a&code=b", headers={"Accept": "application/json"}
    )

    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"] == "invalid_callback"
    assert response.json["action"] == "start_over"


def test_a_plain_error_callback_passes_to_the_provider_s_answer(
    client: FlaskClient, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    state = query(client.get("/login").location)["state"]

    response = client.get(
        "/callback?"
        + urlencode(
            {
                "error": "access_denied",
                "error_description": "The user has denied your application access.",
                "error_uri": "https://docs.github.com/apps/troubleshooting",
                "state": state,
            }
        )
    )

    assert response.status_code == 403
    assert "Sign-in cancelled" in response.text
    assert signals.names == ["login_cancelled"]
    assert provider.token_requests == []


#: A provider's answer with one value exactly as long as its limit allows,
#: and what it gets: a refused code restarts, an unknown error code is the
#: provider's to explain, a cancel is a cancel. Never "not valid".
AT_THE_LIMIT = {
    "code": (
        {"code": "c" * LIMITS["code"]},
        (302, "authorization_restarted"),
    ),
    "error": (
        {"error": "e" * LIMITS["error"]},
        (500, "configuration_error"),
    ),
    "error_description": (
        {
            "error": "access_denied",
            "error_description": "d" * LIMITS["error_description"],
        },
        (403, "login_cancelled"),
    ),
    "error_uri": (
        {
            "error": "access_denied",
            "error_uri": "https://x.example/".ljust(LIMITS["error_uri"], "u"),
        },
        (403, "login_cancelled"),
    ),
}


@pytest.mark.parametrize("name", sorted(AT_THE_LIMIT))
def test_a_value_at_its_limit_is_read_as_the_provider_s_answer(
    client: FlaskClient, signals: SignalRecorder, name: str
) -> None:
    params, (status, signal) = AT_THE_LIMIT[name]
    state = query(client.get("/login").location)["state"]

    response = client.get("/callback?" + urlencode({**params, "state": state}))

    assert (response.status_code, signals.names) == (status, [signal])


def parse(query_string: str) -> MultiDict[str, str]:
    """The query as Werkzeug's ``request.args`` reads it."""
    args: MultiDict[str, str] = (
        EnvironBuilder(query_string=query_string).get_request().args
    )
    return args


def values(**params: str) -> MultiDict[str, str]:
    return parse(urlencode(params))


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_a_value_of_exactly_the_limit_is_read(name: str) -> None:
    value = "e" * LIMITS[name]

    params = read_callback_params(values(**{name: value}))

    assert getattr(params, name) == value


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_one_character_over_the_limit_is_refused(name: str) -> None:
    with pytest.raises(InvalidCallback) as info:
        read_callback_params(values(**{name: "e" * (LIMITS[name] + 1)}))

    assert info.value.reason == TOO_LONG.format(name)
    assert str(info.value) == info.value.reason


def test_the_limits_are_the_documented_ones() -> None:
    assert LIMITS == {
        "code": 512,
        "state": 2048,
        "error": 64,
        "error_description": 1024,
        "error_uri": 2048,
    }


def test_valid_parameters_are_read() -> None:
    params = read_callback_params(
        MultiDict({"code": "0123abcd", "state": "xyz", "unrelated": "kept"})
    )

    assert params == CallbackParams("0123abcd", "xyz", None, None, None)


def test_a_provider_s_error_is_read_whole() -> None:
    params = read_callback_params(
        values(
            error="access_denied",
            error_description="The user has denied your application access.",
            error_uri="https://docs.github.com/apps/troubleshooting",
            state="xyz",
        )
    )

    assert params == CallbackParams(
        None,
        "xyz",
        "access_denied",
        "The user has denied your application access.",
        "https://docs.github.com/apps/troubleshooting",
    )


@pytest.mark.parametrize(
    ("query_string", "expected"),
    [
        ("", CallbackParams(None, None, None, None, None)),
        ("code=abc", CallbackParams("abc", None, None, None, None)),
        (
            "state=xyz&oauth_recover=retry",
            CallbackParams(None, "xyz", None, None, None),
        ),
        (
            "error=access_denied",
            CallbackParams(None, None, "access_denied", None, None),
        ),
    ],
)
def test_a_callback_without_optional_parameters_reads_them_as_none(
    query_string: str, expected: CallbackParams
) -> None:
    assert read_callback_params(parse(query_string)) == expected


@pytest.mark.parametrize(
    "error",
    ["access_denied", "x", "e" * 64, "!#$%&'()*+,-./:;<=>?@[]^_`{|}~ "],
)
def test_every_printable_error_code_rfc_6749_allows_is_read(error: str) -> None:
    assert read_callback_params(values(error=error)).error == error


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"code": ["a", "b"]}, REPEATED.format("code")),
        ({"state": ["a", "b", "c"]}, REPEATED.format("state")),
        ({"code": ["a\r\nb"]}, CONTROL.format("code")),
        ({"code": ["abc"], "error": ["access_denied"]}, CODE_AND_ERROR),
        ({"error": ['access"denied']}, BAD_ERROR_CODE),
        ({"error": ["é"]}, BAD_ERROR_CODE),
    ],
)
def test_each_refusal_names_its_reason(
    params: dict[str, list[str]], reason: str
) -> None:
    with pytest.raises(InvalidCallback) as info:
        read_callback_params(MultiDict(params))

    assert info.value.reason == reason
    assert str(info.value) == reason


def test_reason_never_contains_the_input() -> None:
    with pytest.raises(InvalidCallback) as info:
        read_callback_params(MultiDict({"state": "<b>" * 1000}))

    assert "<b>" not in info.value.reason
