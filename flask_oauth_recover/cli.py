"""``flask oauth-recover``: check an app's OAuth setup without signing in.

``flask oauth-recover check [NAME]`` finds every view wrapped with
``@recover.callback``, prints the redirect URI it makes the app send, and
runs the credential and session cookie rules of
:mod:`flask_oauth_recover.diagnose`. With ``--probe`` it also sends each
client's token endpoint an authorization code that cannot be valid, through
Authlib's own client so that the same authentication method and headers are
used: GitHub checks the credentials before the code, so
``bad_verification_code`` means it accepted them and
``incorrect_client_credentials`` that it did not.

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

from .classify import TOKEN_ERRORS
from .classify import FailureKind
from .clients import NAME_ARGUMENTS
from .clients import current_registry
from .clients import resolve
from .diagnose import Finding
from .diagnose import configuration_findings
from .diagnose import credential_findings
from .diagnose import fingerprint
from .diagnose import probe_rejected
from .diagnose import public_client_id
from .token_response import ProviderResponseError
from .token_response import install

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
#: Start of the made-up authorization code ``--probe`` sends.
PROBE_CODE_PREFIX = "oauth-recover-probe-"

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
    """

    endpoint: str
    client_name: str
    redirect_uri: str | None
    note: str
    client: Any


@dataclass
class ClientReport:
    """One Authlib client and what the rules and the probe found.

    :param name: the client's registered name.
    :param client: the Authlib client.
    :param findings: the credential rules' findings.
    :param probe: the probe's result, when ``--probe`` was given.
    """

    name: str
    client: Any
    findings: list[Finding] = field(default_factory=list)
    probe: dict[str, str] | None = None


@oauth_recover.command("check")
@click.argument("name", required=False)
@click.option(
    "--probe",
    is_flag=True,
    help="Ask each token endpoint, with a throwaway code, whether it accepts "
    "the client's credentials.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def check(name: str | None, probe: bool, as_json: bool) -> None:
    """Check the OAuth callbacks wrapped with @recover.callback, or only
    those of the Authlib client NAME."""
    # A blank request, for apps whose client or session settings are proxies
    # that read the request; URLs still come from SERVER_NAME, not from it.
    with current_app.test_request_context():
        status = _check(name, probe, as_json)
    click.get_current_context().exit(status)


def _check(name: str | None, probe: bool, as_json: bool) -> int:
    callbacks = find_callbacks()
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
        if report.client_name not in clients:
            client_report = ClientReport(
                report.client_name,
                report.client,
                credential_findings(report.client, report.client_name),
            )
            if probe:
                _run_probe(client_report)
            clients[report.client_name] = client_report
    app_findings = _unique(
        finding
        for report in callbacks
        for finding in configuration_findings(report.redirect_uri)
    )

    found = app_findings or any(report.findings for report in clients.values())
    if _probe_failed(clients):
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


def find_callbacks() -> list[CallbackReport]:
    """The current app's views wrapped with ``@recover.callback``, one
    report per client each can serve (several behind ``/auth/<name>``)."""
    found = []
    for endpoint, view in sorted(current_app.view_functions.items()):
        if getattr(view, "_oauth_recover", None) is None:
            continue
        ref = getattr(view, "_oauth_recover_client", None)
        for client_name, client, view_args in _reachable_clients(endpoint, ref):
            redirect_uri, note = callback_redirect_uri(endpoint, view_args)
            found.append(
                CallbackReport(endpoint, client_name, redirect_uri, note, client)
            )
    return found


def _reachable_clients(
    endpoint: str, ref: Any
) -> Iterator[tuple[str, Any, dict[str, str]]]:
    registry = current_registry()
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
    endpoint: str, view_args: dict[str, str] | None = None
) -> tuple[str | None, str]:
    """The redirect URI ``url_for(endpoint, _external=True)`` gives, with a
    note on how it is built; ``None`` when it depends on the request."""
    rules = [rule.rule for rule in current_app.url_map.iter_rules(endpoint)]
    path = rules[0] if rules else endpoint
    try:
        relative = url_for(endpoint, **dict[str, Any](view_args or {}))
    except (BuildError, ValueError):
        return None, (
            f"the route {path} takes URL arguments, so the redirect URI depends "
            "on the login's url_for() call"
        )
    if not current_app.config.get("SERVER_NAME"):
        return None, (
            "depends on each login request: SERVER_NAME is not set, so "
            "url_for(..., _external=True) takes the scheme and host from the "
            f"request; the path is {relative}"
        )
    arguments: dict[str, Any] = {**(view_args or {}), "_external": True}
    url = url_for(endpoint, **arguments)
    return url, (
        "host from SERVER_NAME; scheme and root from PREFERRED_URL_SCHEME and "
        "APPLICATION_ROOT here, from the request inside a login request"
    )


def probe_client(client: Any) -> dict[str, str]:
    """Send the client's token endpoint a made-up code and read the answer.

    :return: ``result`` (``accepted``, ``rejected`` or ``error``), the
        endpoint ``url``, and the provider's ``answer`` or a ``detail``.
    """
    install(client, current_app.config.get("OAUTH_RECOVER_TIMEOUT", 10.0))
    url = client.access_token_url or client.server_metadata.get("token_endpoint")
    url = str(url or "(from the server metadata)")
    try:
        client.fetch_access_token(code=PROBE_CODE_PREFIX + secrets.token_urlsafe(12))
    except AuthlibBaseError as exc:
        answer = str(exc.error or "")
    except (ProviderResponseError, requests.RequestException) as exc:
        # The exception's text may quote the request; its type and the
        # endpoint say enough.
        return {
            "result": "error",
            "url": url,
            "detail": f"{type(exc).__name__}: the token endpoint could not be "
            "reached or did not answer in OAuth's format",
        }
    else:
        return {
            "result": "error",
            "url": url,
            "detail": "the token endpoint issued a token for a made-up code",
        }
    kind = TOKEN_ERRORS.get(answer)
    if kind is FailureKind.TRANSIENT:
        return {"result": "accepted", "url": url, "answer": answer}
    if kind is FailureKind.CREDENTIALS:
        return {"result": "rejected", "url": url, "answer": answer}
    return {
        "result": "error",
        "url": url,
        "answer": answer,
        "detail": f"the answer {answer!r} does not tell whether the credentials "
        "are right",
    }


def _run_probe(report: ClientReport) -> None:
    report.probe = probe_client(report.client)
    if report.probe["result"] == "rejected":
        report.findings.append(
            probe_rejected(report.name, report.probe["url"], report.probe["answer"])
        )


def _probe_failed(clients: dict[str, ClientReport]) -> bool:
    return any(
        report.probe is not None and report.probe["result"] == "error"
        for report in clients.values()
    )


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
    return rendered


def _secret_summary(secret: object) -> dict[str, Any]:
    if not isinstance(secret, str) or not secret:
        return {"length": 0, "sha256": None}
    return {"length": len(secret), "sha256": fingerprint(secret)}


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
                "redirect_uri": report.redirect_uri,
                "note": report.note,
            }
            for report in callbacks
        ],
        "clients": [
            {
                "name": report.name,
                "client_id": public_client_id(
                    report.client.client_id, report.client.client_secret
                ),
                "client_secret": _secret_summary(report.client.client_secret),
                "token_endpoint": report.client.access_token_url,
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
        uri = report.redirect_uri or "(depends on the request)"
        click.echo(f"  redirect URI    {uri}")
        click.echo(f"                  {report.note}")
    for client_report in clients.values():
        client = client_report.client
        secret = _secret_summary(client.client_secret)
        click.echo(f"Client {client_report.name!r}")
        click.echo(
            "  client_id       "
            + public_client_id(client.client_id, client.client_secret)
        )
        if secret["length"]:
            click.echo(
                f"  client_secret   {secret['length']} characters, "
                f"SHA-256 {secret['sha256']}"
            )
        else:
            click.echo("  client_secret   (empty)")
        click.echo(f"  token endpoint  {client.access_token_url}")
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
    count = len(findings)
    summary = (
        f"{count} finding{'s' if count != 1 else ''}." if count else "No findings."
    )
    if _probe_failed(clients):
        summary += " A probe did not finish, so the check is incomplete."
    click.echo(summary)
