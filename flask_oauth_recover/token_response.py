"""Check the provider's token response inside Authlib's own token request.

Authlib lets a client register "compliance hooks" that see the raw token
response before it is parsed. We add one to every wrapped client so that:

- an error body keeps its ``error_uri`` (Authlib drops it), its HTTP
  status, Microsoft's ``error_codes`` and the ``WWW-Authenticate`` header,
  in a :class:`TokenError` that the provider profiles read;
- a form-encoded body (GitHub's answer without ``Accept: application/json``)
  is read as the JSON it stands for;
- an error object (``{"error": {"message", "type", "code",
  "error_subcode"}}``, as the Graph API answers) becomes a
  :class:`TokenError` whose ``error_codes`` are its subcode and code;
- a success that carries its access token elsewhere than at the top (a
  profile's ``token_locations``, e.g. a user token under a key of its own)
  passes as a success;
- a 5xx, a 429, an HTML page or a 200 without ``access_token`` raise a typed
  :class:`ProviderResponseError` instead of a ``ValueError`` that could not
  be told apart from a bug in the app.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

import requests
from authlib.integrations.base_client import OAuthError
from flask import current_app
from flask import g

from .providers import TOKEN_LOCATIONS

HOOK_MARK = "_oauth_recover_hook"
#: Seconds a token request may take when the app did not say.
DEFAULT_TIMEOUT = 10.0
#: The reason of a :class:`ProviderResponseError` for a redirect.
REDIRECTED = "the token endpoint answered with a redirect"
SENT_KEY = "_oauth_recover_token_request"


class TokenError(OAuthError):  # type: ignore[misc]
    """An OAuth error answer from the token endpoint, with what the provider
    profiles need beside the code.

    :param error: the ``error`` code.
    :param description: the ``error_description`` (untrusted).
    :param uri: the ``error_uri`` (untrusted).
    :param status: the HTTP status (GitHub answers 200; others 400 or 401).
    :param error_codes: the provider's numbered codes (Microsoft's
        ``error_codes``), if any.
    :param www_authenticate: the ``WWW-Authenticate`` header, if any.
    """

    def __init__(
        self,
        error: str,
        description: str | None = None,
        uri: str | None = None,
        *,
        status: int,
        error_codes: tuple[int, ...] = (),
        www_authenticate: str | None = None,
    ) -> None:
        super().__init__(error=error, description=description, uri=uri)
        self.status = status
        self.error_codes = error_codes
        self.www_authenticate = www_authenticate


class ProviderResponseError(Exception):
    """The token endpoint answered something that is not a token or an
    OAuth error.

    :param status: the HTTP status.
    :param reason: a short, fixed explanation (never the body itself).
    :param retry_after: seconds from a ``Retry-After`` header, if any.
    """

    def __init__(self, status: int, reason: str, retry_after: int | None) -> None:
        super().__init__(f"HTTP {status}: {reason}")
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


def install(client: Any) -> None:
    """Add the response check to an Authlib OAuth 2 client, once.

    Also gives each HTTP session the client opens a default timeout, the
    app's ``OAUTH_RECOVER_TIMEOUT``, when the app set none, so a hanging
    provider cannot hold a worker forever. Needs no app context: the
    timeout is read when a session opens.
    """
    current = client.compliance_fix
    if getattr(current, HOOK_MARK, False):
        return

    def compliance_fix(session: Any) -> Any:
        if current is not None:
            session = current(session) or session
        session.register_compliance_hook("access_token_response", check_response)
        if getattr(session, "default_timeout", 0) is None and current_app:
            session.default_timeout = current_app.config.get(
                "OAUTH_RECOVER_TIMEOUT", DEFAULT_TIMEOUT
            )
        return session

    setattr(compliance_fix, HOOK_MARK, True)
    client.compliance_fix = compliance_fix


def check_response(resp: requests.Response) -> requests.Response:
    """The compliance hook: validate ``resp`` and normalize it to JSON."""
    _remember_request(resp)
    status = resp.status_code
    if status >= 500 or status == 429:
        raise ProviderResponseError(
            status, "the provider reported an outage", _retry_after(resp)
        )
    if 300 <= status < 400:
        # Only where redirects are not followed (check --probe): following
        # one would send the client secret wherever it points.
        raise ProviderResponseError(status, REDIRECTED, _retry_after(resp))
    content_type = _content_type(resp)
    body = _parse_body(resp, content_type)
    if body is None:
        challenge = _challenge_error(resp)
        if challenge is not None:
            raise challenge
        raise ProviderResponseError(
            status, "the token response is not JSON", _retry_after(resp)
        )
    error = body.get("error")
    if isinstance(error, str) and error:
        raise TokenError(
            error,
            _text(body.get("error_description")),
            _text(body.get("error_uri")),
            status=status,
            error_codes=_error_codes(body.get("error_codes")),
            www_authenticate=resp.headers.get("WWW-Authenticate"),
        )
    if isinstance(error, dict):
        raise _error_object(error, resp)
    if not _carries_token(body):
        raise ProviderResponseError(
            status, "the token response has no access_token", _retry_after(resp)
        )
    if content_type != "application/json":
        resp._content = json.dumps(body).encode()
        resp.headers["Content-Type"] = "application/json"
    # Parsed once: Authlib reads the token with resp.json() next.
    resp.json = lambda **kwargs: body  # type: ignore[method-assign]
    return resp


def token_was_requested() -> bool:
    """Did the current request get an answer from the token endpoint?"""
    return SENT_KEY in g


def sent_token_request() -> dict[str, str]:
    """What the current request sent to the token endpoint (no secret)."""
    resp: requests.Response | None = g.get(SENT_KEY)
    if resp is None:
        return {}
    body = resp.request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    fields = dict(parse_qsl(body or ""))
    sent: dict[str, str] = {
        key: fields[key]
        for key in ("redirect_uri", "client_id", "grant_type")
        if key in fields
    }
    # Whether, never what: the verifier is a one-time secret.
    sent["code_verifier"] = "sent" if fields.get("code_verifier") else "not sent"
    sent["url"] = resp.request.url or ""
    sent["status"] = str(resp.status_code)
    return sent


def _content_type(resp: requests.Response) -> str:
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _parse_body(resp: requests.Response, content_type: str) -> dict[str, Any] | None:
    text = resp.text
    if content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text)) or None
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _remember_request(resp: requests.Response) -> None:
    # Parsed only if a failure needs it: the success path keeps a reference.
    setattr(g, SENT_KEY, resp)


def _retry_after(resp: requests.Response) -> int | None:
    value = resp.headers.get("Retry-After", "")
    return min(int(value), 3600) if value.isdigit() else None


def _error_codes(value: object) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        code for code in value if isinstance(code, int) and not isinstance(code, bool)
    )


def _carries_token(body: dict[str, Any]) -> bool:
    if body.get("access_token"):
        return True
    for path in TOKEN_LOCATIONS:
        value: object = body
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            return True
    return False


# A name for an error object's ``type``: letters, digits, ``_``, ``.``, ``-``.
_ERROR_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
#: The ``error`` of an error object whose ``type`` says nothing usable.
ERROR_OBJECT = "error_object"


def _error_object(error: dict[str, Any], resp: requests.Response) -> TokenError:
    """The :class:`TokenError` an error object stands for: its ``type`` as
    the code, its ``message`` as the description, its ``error_subcode``
    and ``code``, in that order, as the numbered codes."""
    kind = error.get("type")
    numbers = _error_codes([error.get("error_subcode"), error.get("code")])
    return TokenError(
        kind if isinstance(kind, str) and _ERROR_NAME.fullmatch(kind) else ERROR_OBJECT,
        _text(error.get("message")),
        status=resp.status_code,
        error_codes=numbers,
        www_authenticate=resp.headers.get("WWW-Authenticate"),
    )


# error="invalid_client" in a WWW-Authenticate challenge (RFC 6750 section 3).
_CHALLENGE_ERROR = re.compile(r'\berror="([A-Za-z0-9_.-]{1,64})"')


def _challenge_error(resp: requests.Response) -> TokenError | None:
    """The OAuth error a 400 or 401 without a readable body names in its
    ``WWW-Authenticate`` header, if it does."""
    challenge = resp.headers.get("WWW-Authenticate")
    if resp.status_code not in (400, 401) or not challenge:
        return None
    match = _CHALLENGE_ERROR.search(challenge)
    if match is None:
        return None
    return TokenError(
        match.group(1), status=resp.status_code, www_authenticate=challenge
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
