"""``flask oauth-recover``: check an app's OAuth setup without signing in.

``flask oauth-recover check [NAME]`` finds every view wrapped with
``@recover.callback``, prints the redirect URI it makes the app send, and
runs the credential and session cookie rules of
:mod:`flask_oauth_recover.diagnose`, each provider's by its profile.

With ``--probe`` it also asks the provider two questions:

- the token endpoint gets an authorization code that cannot be valid,
  through Authlib's own client so that the same authentication method and
  headers are used. Providers check the credentials before the code: an
  answer that reads as a bad code in the provider's dialect
  (``bad_verification_code``, ``invalid_grant``) means they accepted them,
  one that reads as a credentials error (``invalid_client``,
  ``incorrect_client_credentials``, any 401) that they did not;
- the authorization endpoint gets the redirect URI each wrapped callback
  makes the app send (GET, no redirects followed, no cookies). Most
  providers answer an unregistered one with a page of their own that the app
  never sees, recognized by its words; GitHub sends the browser to the
  registered callback with ``error=redirect_uri_mismatch``. Either is
  reported as ``redirect_uri.unregistered``. Where the page is built by
  JavaScript (Discord) or shown only to a signed-in browser, in the
  viewer's language (Facebook), the probe says it cannot tell. The redirect
  URI is known when ``SERVER_NAME`` is set, or when ``--base-url`` says
  where the app is.

Exit status: 0 when nothing was found, 1 on a finding, 2 on a usage or
network error. An error wins over a finding, since the check did not finish.
The client secret is never printed, only its length and fingerprint.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import click
import requests
from authlib.common.errors import AuthlibBaseError
from flask import current_app
from flask import url_for
from flask.cli import AppGroup
from werkzeug.routing import BuildError

from .clients import EXTENSION_KEY
from .clients import NAME_ARGUMENTS
from .clients import Registry
from .clients import current_registry
from .clients import endpoint_of
from .clients import prepare
from .clients import provider_of
from .clients import resolve
from .diagnose import Finding
from .diagnose import configuration_findings
from .diagnose import credential_findings
from .diagnose import fingerprint
from .diagnose import posts_callback
from .diagnose import probe_rejected
from .diagnose import probe_unregistered
from .diagnose import public_client_id
from .diagnose.secret_jwt import expiry
from .diagnose.secret_jwt import utc_date
from .framework import Framework
from .providers import Match
from .providers import Profile
from .providers.profile import CREDENTIALS
from .providers.profile import NEEDS_JAVASCRIPT
from .providers.profile import PROBE_UNREGISTERED
from .providers.profile import TRANSIENT
from .token_response import REDIRECTED
from .token_response import ProviderResponseError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
#: Start of the made-up authorization code ``--probe`` sends.
PROBE_CODE_PREFIX = "oauth-recover-probe-"
#: How much of an authorization endpoint's page ``--probe`` reads.
PAGE_LIMIT = 256 * 1024

oauth_recover = AppGroup(
    "oauth-recover", help="Check the OAuth setup that flask-oauth-recover wraps."
)


class CheckError(click.ClickException):
    """The check could not run: nothing to check, or a bad NAME."""

    exit_code = EXIT_ERROR


@dataclass
class CallbackReport:
    """One wrapped callback view.

    :param endpoint: the view's endpoint.
    :param client_name: the Authlib client it wraps.
    :param redirect_uri: the redirect URI the app sends, when it does not
        depend on the request.
    :param note: how that URI is built, or why it is not known.
    :param client: the Authlib client.
    :param provider: the profile the decorator named, if any.
    :param framework: the library that owns the callback, if one does.
    :param authorize_probe: what the authorization endpoint said about
        the redirect URI, when ``--probe`` was given.
    """

    endpoint: str
    client_name: str
    redirect_uri: str | None
    note: str
    client: Any
    provider: str | None = None
    framework: Framework | None = None
    authorize_probe: dict[str, str] | None = None


@dataclass
class ClientReport:
    """One Authlib client and what the rules and the probe found.

    :param name: the client's registered name.
    :param client: the Authlib client.
    :param match: its provider profile and display name.
    :param findings: the credential rules' findings.
    :param probe: the token probe's result, when ``--probe`` was given.
    :param framework: the library that owns its login, if one does.
    """

    name: str
    client: Any
    match: Match
    findings: list[Finding] = field(default_factory=list)
    probe: dict[str, str] | None = None
    framework: Framework | None = None

    def credentials_set_in(self) -> dict[str, str]:
        """Where the library that owns the login has the credentials set."""
        said = self.framework.settings.credentials if self.framework else None
        if said is None:
            return {}
        found = {name: said(self.name, name) for name in ("client_id", "client_secret")}
        return {name: where for name, where in found.items() if where}


@oauth_recover.command("check")
@click.argument("name", required=False)
@click.option(
    "--probe",
    is_flag=True,
    help="Ask each token endpoint, with a throwaway code, whether it accepts "
    "the client's credentials, and each authorization endpoint whether the "
    "redirect URI is registered.",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Where users reach the app (https://app.example), to build the "
    "redirect URIs when SERVER_NAME is not set.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def check(name: str | None, probe: bool, base_url: str | None, as_json: bool) -> None:
    """Check the OAuth callbacks wrapped with @recover.callback, or only
    those of the Authlib client NAME."""
    state = current_app.extensions.get(EXTENSION_KEY)
    if state is not None and state.set_up is not None:
        # What the app's first request would do: find the callbacks of a
        # framework that registers them late (Airflow's).
        state.set_up()
    # A blank request, for apps whose client or session settings are proxies
    # that read the request; URLs come from SERVER_NAME, or from --base-url,
    # under the path a framework's own server mounts the app at.
    mount = next(
        (
            f.settings.mount
            for f in getattr(state, "frameworks", ())
            if f.settings.mount
        ),
        "",
    )
    root = (base_url or "http://localhost").rstrip("/")
    if mount and not root.endswith(mount):
        root += mount
    context = (
        current_app.test_request_context(base_url=root)
        if base_url or mount
        else current_app.test_request_context()
    )
    with context:
        status = _check(name, probe, as_json, bool(base_url))
    click.get_current_context().exit(status)


def _check(name: str | None, probe: bool, as_json: bool, base_url: bool) -> int:
    callbacks = find_callbacks(base_url)
    if not callbacks:
        raise CheckError("no view is wrapped with @recover.callback")
    if name is not None:
        known = sorted({report.client_name for report in callbacks})
        callbacks = [report for report in callbacks if report.client_name == name]
        if not callbacks:
            raise CheckError(
                f"no wrapped callback uses the client {name!r}; "
                f"wrapped clients: {', '.join(known)}"
            )
    clients: dict[str, ClientReport] = {}
    for report in callbacks:
        key = _client_key(report)
        if key not in clients:
            if probe:
                # Endpoints found through server metadata say which provider
                # this is only once the metadata is read.
                _load_metadata(report.client)
            try:
                match = provider_of(report.client, report.client_name, report.provider)
            except ValueError as exc:
                raise CheckError(f"client {report.client_name!r}: {exc}") from None
            client_report = ClientReport(
                report.client_name,
                report.client,
                match,
                credential_findings(
                    report.client,
                    report.client_name,
                    match.profile,
                    match.display_name,
                    report.framework.settings if report.framework else None,
                ),
                framework=report.framework,
            )
            if probe:
                _run_probe(client_report)
            clients[key] = client_report
        if probe:
            _run_authorize_probe(report, clients[key])
    app_findings = _unique(
        finding
        for report in callbacks
        for finding in configuration_findings(
            report.redirect_uri,
            form_post=posts_callback(
                report.client, clients[_client_key(report)].match.profile
            ),
        )
    )

    found = app_findings or any(report.findings for report in clients.values())
    if _probe_failed(clients, callbacks):
        status = EXIT_ERROR
    else:
        status = EXIT_FINDINGS if found else EXIT_OK
    if as_json:
        click.echo(
            json.dumps(_as_json(callbacks, clients, app_findings, status), indent=2)
        )
    else:
        _print_text(callbacks, clients, app_findings)
    return status


def _client_key(report: CallbackReport) -> str:
    # By object, not name: an Authlib client and a Flask-Dance blueprint
    # may both be called "github".
    return f"{report.client_name}@{id(report.client):x}"


def _load_metadata(client: Any) -> None:
    load = getattr(client, "load_server_metadata", None)
    if getattr(client, "_server_metadata_url", None) and callable(load):
        try:
            load()
        except (requests.RequestException, ValueError):
            pass  # the token probe says what is wrong with the endpoint


def find_callbacks(base_url: bool = False) -> list[CallbackReport]:
    """The current app's views wrapped with ``@recover.callback``, one
    report per client each can serve (several behind ``/auth/<name>``).

    :param base_url: the current request stands for where users reach the
        app (``--base-url``), so redirect URIs may be built from it.
    """
    found = []
    for endpoint, view in sorted(current_app.view_functions.items()):
        if getattr(view, "_oauth_recover", None) is None:
            continue
        ref = getattr(view, "_oauth_recover_client", None)
        named = getattr(view, "_oauth_recover_provider", None)
        framework = getattr(view, "_oauth_recover_framework", None)
        registry = framework.registry if framework else current_registry()
        for client_name, client, view_args in _reachable_clients(
            endpoint, ref, registry
        ):
            redirect_uri, note = callback_redirect_uri(endpoint, view_args, base_url)
            found.append(
                CallbackReport(
                    endpoint, client_name, redirect_uri, note, client, named, framework
                )
            )
    return found


def _reachable_clients(
    endpoint: str, ref: Any, registry: Registry
) -> Iterator[tuple[str, Any, dict[str, str]]]:
    arguments = {
        argument
        for rule in current_app.url_map.iter_rules(endpoint)
        for argument in rule.arguments
    }
    if ref is not None:
        try:
            resolved = resolve(registry, ref, {})
        except Exception:  # noqa: BLE001 - the app's callable needs a real request
            resolved = None
        if resolved is not None:
            yield (*resolved, {})
            return
        if not callable(ref):
            return
    naming = next((name for name in NAME_ARGUMENTS if name in arguments), None)
    if naming is None and len(arguments) == 1:
        naming = next(iter(arguments))
    if naming is None:
        resolved = resolve(registry, None, {})
        if resolved is not None:
            yield (*resolved, {})
        return
    for name in registry.oauth2_names():
        view_args = {naming: name}
        if ref is None:
            resolved = resolve(registry, None, view_args)
        else:
            # A callable that needs a real request: every OAuth 2 client the
            # route can name is reachable through it.
            client = registry.client(name)
            resolved = (name, client) if client is not None else None
        if resolved is not None:
            yield (*resolved, view_args)


def callback_redirect_uri(
    endpoint: str, view_args: dict[str, str] | None = None, base_url: bool = False
) -> tuple[str | None, str]:
    """The redirect URI ``url_for(endpoint, _external=True)`` gives, with a
    note on how it is built; ``None`` when it depends on the request.

    :param endpoint: the callback's endpoint.
    :param view_args: its URL arguments.
    :param base_url: the current request stands for where users reach the
        app (``--base-url``).
    """
    rules = [rule.rule for rule in current_app.url_map.iter_rules(endpoint)]
    path = rules[0] if rules else endpoint
    try:
        relative = url_for(endpoint, **dict[str, Any](view_args or {}))
    except (BuildError, ValueError):
        return None, (
            f"the route {path} takes URL arguments, so the redirect URI depends "
            "on the login's url_for() call"
        )
    arguments: dict[str, Any] = {**(view_args or {}), "_external": True}
    if base_url and not current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, **arguments), "built for --base-url"
    if not current_app.config.get("SERVER_NAME"):
        return None, (
            "depends on each login request: SERVER_NAME is not set, so "
            "url_for(..., _external=True) takes the scheme and host from the "
            f"request; the path is {relative}"
        )
    url = url_for(endpoint, **arguments)
    return url, (
        "host from SERVER_NAME; scheme and root from PREFERRED_URL_SCHEME and "
        "APPLICATION_ROOT here, from the request inside a login request"
    )


def probe_client(client: Any, profile: Profile | None = None) -> dict[str, str]:
    """Send the client's token endpoint a made-up code and read the answer
    in the provider's dialect.

    :param client: the Authlib client.
    :param profile: its provider profile; found from its endpoints when
        omitted.
    :return: ``result`` (``accepted``, ``rejected`` or ``error``), the
        endpoint ``url``, and the provider's ``answer`` or a ``detail``.
    """
    prepare(client)
    if profile is None:
        profile = provider_of(client, str(client.name)).profile
    url = endpoint_of(client, "credentials") or "(from the server metadata)"
    try:
        # No redirects: a 307 would have the secret posted again, elsewhere.
        client.fetch_access_token(
            code=PROBE_CODE_PREFIX + secrets.token_urlsafe(12), allow_redirects=False
        )
    except AuthlibBaseError as exc:
        answer = str(exc.error or "")
        status = getattr(exc, "status", None)
        reading = profile.read_token_error(
            answer, exc.description or None, status, getattr(exc, "error_codes", ())
        )
    except ProviderResponseError as exc:
        if exc.reason == REDIRECTED:
            return {
                "result": "error",
                "url": url,
                "detail": f"the token endpoint answered HTTP {exc.status}, a "
                "redirect; the probe does not follow it, which would send the "
                "client secret to another address: use the address it "
                "redirects to as the token endpoint, if it is the provider's",
            }
        return _unreachable(url, exc)
    except requests.RequestException as exc:
        return _unreachable(url, exc)
    else:
        return {
            "result": "error",
            "url": url,
            "detail": "the token endpoint issued a token for a made-up code",
        }
    if reading.code:
        answer = f"{answer} ({reading.code})"
    if reading.kind == CREDENTIALS or status == 401:
        return {"result": "rejected", "url": url, "answer": answer}
    if reading.kind == TRANSIENT:
        return {"result": "accepted", "url": url, "answer": answer}
    return {
        "result": "error",
        "url": url,
        "answer": answer,
        "detail": f"the answer {answer!r} does not tell whether the credentials "
        "are right",
    }


def _unreachable(url: str, exc: Exception) -> dict[str, str]:
    # The exception's text may quote the request; its type and the
    # endpoint say enough.
    return {
        "result": "error",
        "url": url,
        "detail": f"{type(exc).__name__}: the token endpoint could not be "
        "reached or did not answer in OAuth's format",
    }


def probe_authorize(client: Any, profile: Profile, redirect_uri: str) -> dict[str, str]:
    """Request the client's authorization endpoint with ``redirect_uri``, as
    a browser without cookies would, and read whether the provider accepts
    that redirect URI.

    :param client: the Authlib client.
    :param profile: its provider profile.
    :param redirect_uri: the redirect URI a wrapped callback makes the app
        send.
    :return: ``result`` (``registered``, ``unregistered``, ``unchecked``
        or ``error``), the endpoint ``url`` and the ``redirect_uri``, with
        the HTTP ``status`` or a ``detail``.
    """
    prepare(client)
    endpoint = endpoint_of(client, "redirect_uri") or "(from the server metadata)"
    report = {"url": endpoint, "redirect_uri": redirect_uri}
    timeout = float(current_app.config.get("OAUTH_RECOVER_TIMEOUT", 10.0))
    try:
        authorization = client.create_authorization_url(redirect_uri)
        url = str(authorization["url"])
    except Exception:  # noqa: BLE001 - a client that needs a real login request
        return {
            **report,
            "result": "skipped",
            "detail": "the authorization URL cannot be built outside a login request",
        }
    report["url"] = url.split("?")[0]
    try:
        with requests.get(
            url,
            allow_redirects=False,
            timeout=timeout,
            headers={"Accept": "text/html"},
            stream=True,
        ) as answer:
            body = answer.raw.read(PAGE_LIMIT, decode_content=True)
            status = answer.status_code
            location = answer.headers.get("Location")
            encoding = answer.encoding or "utf-8"
    except requests.RequestException as exc:
        return {
            **report,
            "result": "error",
            "detail": f"{type(exc).__name__}: the authorization endpoint could "
            "not be reached",
        }
    text = body.decode(encoding, "replace") if isinstance(body, bytes) else ""
    result = profile.read_authorize_probe(status, location, text, redirect_uri)
    report["status"] = str(status)
    if result == PROBE_UNREGISTERED:
        return {**report, "result": "unregistered"}
    if result == "accepted":
        return {**report, "result": "registered"}
    if profile.probe_blind is not None:
        needs = (
            "is built by JavaScript"
            if profile.probe_blind == NEEDS_JAVASCRIPT
            else "is shown only to a signed-in browser, in its language"
        )
        return {
            **report,
            "result": "unchecked",
            "detail": "cannot tell whether the redirect URI is registered: the "
            f"provider's page {needs}; sign in once through the app to see it",
        }
    return {
        **report,
        "result": "unchecked",
        "detail": f"HTTP {status}: the provider did not say whether the redirect "
        "URI is registered (it may ask the user to sign in first)",
    }


def _run_probe(report: ClientReport) -> None:
    report.probe = probe_client(report.client, report.match.profile)
    if report.probe["result"] == "rejected":
        report.findings.append(
            probe_rejected(
                report.client,
                report.name,
                report.match.profile,
                report.probe["url"],
                report.probe["answer"],
                report.framework.settings if report.framework else None,
            )
        )


def _run_authorize_probe(callback: CallbackReport, client: ClientReport) -> None:
    if callback.redirect_uri is None:
        callback.authorize_probe = {
            "result": "skipped",
            "detail": "the redirect URI depends on the request: set SERVER_NAME "
            "or pass --base-url",
        }
        return
    callback.authorize_probe = probe_authorize(
        callback.client, client.match.profile, callback.redirect_uri
    )
    if callback.authorize_probe["result"] == "unregistered":
        finding = probe_unregistered(
            callback.client,
            callback.client_name,
            client.match,
            callback.redirect_uri,
            callback.endpoint,
        )
        if finding not in client.findings:
            client.findings.append(finding)


def _probe_failed(
    clients: dict[str, ClientReport], callbacks: list[CallbackReport]
) -> bool:
    probes = [report.probe for report in clients.values()]
    probes += [report.authorize_probe for report in callbacks]
    return any(probe is not None and probe["result"] == "error" for probe in probes)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    seen: list[Finding] = []
    for finding in findings:
        if finding not in seen:
            seen.append(finding)
    return seen


def _english(finding: Finding) -> dict[str, str]:
    rendered = {
        "id": finding.id,
        "cause": finding.cause % finding.params,
        "fix": finding.fix % finding.params,
    }
    if finding.snippet is not None:
        rendered["snippet"] = finding.snippet
    if finding.console is not None:
        rendered["console"] = finding.console
    return rendered


def _secret_summary(secret: object, profile: Profile) -> dict[str, Any]:
    if not isinstance(secret, str) or not secret:
        return {"length": 0, "sha256": None}
    summary: dict[str, Any] = {"length": len(secret), "sha256": fingerprint(secret)}
    if profile.secret_jwt is not None:
        # A secret the app signs itself says when it stops working.
        expires = expiry(secret.strip())
        summary["expires"] = utc_date(expires) if expires is not None else None
    return summary


def _as_json(
    callbacks: list[CallbackReport],
    clients: dict[str, ClientReport],
    app_findings: list[Finding],
    status: int,
) -> dict[str, Any]:
    return {
        "ok": status == EXIT_OK,
        "callbacks": [
            {
                "endpoint": report.endpoint,
                "client": report.client_name,
                "framework": report.framework.name if report.framework else None,
                "redirect_uri": report.redirect_uri,
                "note": report.note,
                "authorize_probe": report.authorize_probe,
            }
            for report in callbacks
        ],
        "clients": [
            {
                "name": report.name,
                "provider": report.match.profile.name,
                "provider_name": report.match.display_name,
                "client_id": public_client_id(
                    report.client.client_id, report.client.client_secret
                ),
                "client_secret": _secret_summary(
                    report.client.client_secret, report.match.profile
                ),
                "token_endpoint": endpoint_of(report.client, "credentials"),
                "set_in": report.credentials_set_in(),
                "probe": report.probe,
                "diagnosis": [_english(finding) for finding in report.findings],
            }
            for report in clients.values()
        ],
        "diagnosis": [_english(finding) for finding in app_findings],
    }


def _print_text(
    callbacks: list[CallbackReport],
    clients: dict[str, ClientReport],
    app_findings: list[Finding],
) -> None:
    for report in callbacks:
        click.echo(f"Callback {report.endpoint!r} (client {report.client_name!r})")
        if report.framework is not None:
            click.echo(f"  owned by        {report.framework.name}")
        uri = report.redirect_uri or "(depends on the request)"
        click.echo(f"  redirect URI    {uri}")
        click.echo(f"                  {report.note}")
        probe = report.authorize_probe
        if probe is not None:
            status = f" (HTTP {probe['status']})" if "status" in probe else ""
            detail = f": {probe['detail']}" if "detail" in probe else ""
            click.echo(f"  authorize probe {probe['result']}{status}{detail}")
    for client_report in clients.values():
        client = client_report.client
        match = client_report.match
        secret = _secret_summary(client.client_secret, match.profile)
        click.echo(f"Client {client_report.name!r}")
        click.echo(f"  provider        {match.display_name} ({match.profile.name})")
        click.echo(
            "  client_id       "
            + public_client_id(client.client_id, client.client_secret)
        )
        if secret["length"]:
            expires = f", expires {secret['expires']}" if secret.get("expires") else ""
            click.echo(
                f"  client_secret   {secret['length']} characters, "
                f"SHA-256 {secret['sha256']}{expires}"
            )
        else:
            click.echo("  client_secret   (empty)")
        endpoint = endpoint_of(client, "credentials") or "(from the server metadata)"
        click.echo(f"  token endpoint  {endpoint}")
        for name, where in client_report.credentials_set_in().items():
            click.echo(f"  {name:<15} set in {where}")
        probe = client_report.probe
        if probe is not None:
            answer = f" (answered {probe['answer']!r})" if "answer" in probe else ""
            detail = f": {probe['detail']}" if "detail" in probe else ""
            click.echo(f"  probe           {probe['result']}{answer}{detail}")
    findings = [(None, finding) for finding in app_findings] + [
        (report.name, finding)
        for report in clients.values()
        for finding in report.findings
    ]
    if findings:
        click.echo("Findings")
    for client_name, finding in findings:
        rendered = _english(finding)
        where = f" (client {client_name!r})" if client_name else ""
        click.echo(f"  [{finding.id}]{where}")
        click.echo(f"    {rendered['cause']}")
        click.echo(f"    Fix: {rendered['fix']}")
        for line in (finding.snippet or "").splitlines():
            click.echo(f"      {line}")
        if finding.console:
            click.echo(f"    At: {finding.console}")
    count = len(findings)
    summary = (
        f"{count} finding{'s' if count != 1 else ''}." if count else "No findings."
    )
    if _probe_failed(clients, callbacks):
        summary += " A probe did not finish, so the check is incomplete."
    click.echo(summary)
