"""Why a provider rejected the client_id or client_secret."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app

from ..clients import EXTENSION_KEY
from ..i18n import N_
from .addresses import github_shaped
from .addresses import on_github_com
from .evidence import Evidence
from .evidence import Finding
from .evidence import Rule
from .shapes import GITHUB_CLIENT_ID_SHAPE
from .shapes import GITHUB_SECRET_SHAPE
from .shapes import GITHUB_TOKEN_PREFIXES

QUOTES = "\"'"


@dataclass(frozen=True)
class CredentialSource:
    """Where Authlib read a credential from."""

    #: The app config key Authlib reads the value from, e.g. GITHUB_CLIENT_ID.
    key: str
    #: Code naming where the value came from.
    where: str
    #: "config", "register" or "nowhere".
    origin: str
    #: The config key holds a value that an empty ``oauth.register()``
    #: argument hides.
    shadowed: bool = False


def credential_source(client_name: str, name: str) -> CredentialSource:
    """Where Authlib took ``name`` (client_id or client_secret) from.

    Authlib's Flask integration reads ``{NAME}_{PARAM}`` from the app config
    and uses it only when ``oauth.register()`` was not given the parameter,
    or was given ``overwrite=True`` and the config value is not empty.
    """
    key = f"{client_name}_{name}".upper()
    config_value = current_app.config.get(key)
    in_config = f'app.config["{key}"]'
    in_register = f'oauth.register("{client_name}", {name}=...)'
    registration = _registration(client_name)
    if registration is None:
        if key in current_app.config:
            return CredentialSource(key, in_config, "config")
        return CredentialSource(key, in_register, "register")
    overwrite, kwargs = registration
    given = name in kwargs
    if config_value is not None and (not given or (overwrite and config_value)):
        return CredentialSource(key, in_config, "config")
    if given:
        return CredentialSource(
            key, in_register, "register", shadowed=bool(config_value)
        )
    return CredentialSource(key, in_config, "nowhere")


def _registration(client_name: str) -> tuple[bool, dict[str, Any]] | None:
    state = current_app.extensions.get(EXTENSION_KEY)
    registry = getattr(state, "registry", None)
    oauth = registry.oauth() if registry is not None else None
    entry = getattr(oauth, "_registry", {}).get(client_name)
    if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], dict):
        return bool(entry[0]), entry[1]
    return None


def strip_padding(value: str) -> str:
    """``value`` without surrounding whitespace and quotes."""
    return value.strip().strip(QUOTES).strip()


def _env_snippet(source: CredentialSource, client_name: str, name: str) -> str:
    read = f'os.environ["{source.key}"].strip()'
    if source.origin == "register":
        return f'oauth.register("{client_name}", {name}={read}, ...)'
    return f'app.config["{source.key}"] = {read}'


def _missing(evidence: Evidence, name: str) -> Finding:
    source = credential_source(evidence.client_name, name)
    params = {"name": name, "source": source.where, "key": source.key}
    snippet = _env_snippet(source, evidence.client_name, name)
    if source.origin == "config":
        cause = N_("The %(name)s is empty: Authlib read it from %(source)s.")
        fix = N_("Set %(key)s to the OAuth app's %(name)s.")
    elif source.shadowed:
        cause = N_(
            "The %(name)s passed to %(source)s is empty, and because it is "
            "passed, Authlib ignores the value of %(key)s in the app config."
        )
        fix = N_(
            "Remove %(name)s from the oauth.register() call so that Authlib "
            "reads %(key)s, or pass the value itself."
        )
        snippet = f'oauth.register("{evidence.client_name}", ...)  # no {name}='
    elif source.origin == "register":
        cause = N_("The %(name)s passed to %(source)s is empty.")
        fix = N_("Pass the OAuth app's %(name)s to oauth.register().")
    else:
        cause = N_(
            "No %(name)s is set: Authlib looked for %(key)s in the app config "
            "and oauth.register() was not given one."
        )
        fix = N_("Set %(key)s to the OAuth app's %(name)s.")
    return Finding("credentials.missing", cause, fix, params, snippet)


def _padding(evidence: Evidence, name: str, value: str) -> Finding | None:
    source = credential_source(evidence.client_name, name)
    params = {"name": name, "source": source.where}
    trimmed = value.strip()
    if trimmed != value:
        leading = value[: len(value) - len(value.lstrip())]
        trailing = value[len(value.rstrip()) :]
        params.update(leading=repr(leading), trailing=repr(trailing))
        cause = N_(
            "The %(name)s read from %(source)s has whitespace around it "
            "(leading %(leading)s, trailing %(trailing)s), and the provider "
            "compares it byte for byte."
        )
        fix = N_(
            "Strip the value where it is read, or remove the whitespace where "
            "it is stored."
        )
        snippet = _env_snippet(source, evidence.client_name, name)
    elif len(trimmed) >= 2 and trimmed[0] == trimmed[-1] and trimmed[0] in QUOTES:
        cause = N_(
            "The %(name)s read from %(source)s is wrapped in quotes, which are "
            "sent to the provider as part of the value."
        )
        fix = N_(
            "Remove the quotes where the value is defined (a .env file or a "
            "deployment setting keeps them literally), or strip them when "
            "reading it."
        )
        snippet = _env_snippet(source, evidence.client_name, name).replace(
            ".strip()", '.strip().strip("\\"\'")'
        )
    else:
        return None
    return Finding("credentials.whitespace", cause, fix, params, snippet)


def check_credentials(evidence: Evidence) -> Iterator[Finding]:
    """The credential rules: missing, padded, swapped or misshapen values."""
    client = evidence.client
    values: dict[str, str] = {}
    for name in ("client_id", "client_secret"):
        value = getattr(client, name, None)
        if not isinstance(value, str) or not value.strip():
            yield _missing(evidence, name)
            continue
        padding = _padding(evidence, name, value)
        if padding is not None:
            yield padding
        values[name] = strip_padding(value)
    if len(values) == 2 and github_shaped(client):
        yield from _github_shapes(
            evidence, values["client_id"], values["client_secret"]
        )


def _github_shapes(
    evidence: Evidence, client_id: str, secret: str
) -> Iterator[Finding]:
    if GITHUB_SECRET_SHAPE.fullmatch(client_id) and GITHUB_CLIENT_ID_SHAPE.fullmatch(
        secret
    ):
        yield Finding(
            "credentials.swapped",
            N_(
                "The client_id has the shape of a GitHub client secret (40 "
                "hexadecimal characters) and the client_secret has the shape of "
                "a client ID: the two values look swapped."
            ),
            N_("Swap the values of %(id_source)s and %(secret_source)s."),
            {
                "id_source": credential_source(evidence.client_name, "client_id").where,
                "secret_source": credential_source(
                    evidence.client_name, "client_secret"
                ).where,
            },
        )
        return
    settings = (
        "https://github.com/settings/developers"
        if on_github_com(evidence.client)
        else None
    )
    new_secret = N_(
        "Copy the client secret from the OAuth app's settings: choose "
        '"Generate a new client secret" and use the 40-character value it '
        "shows once."
    )
    if secret == client_id:
        yield Finding(
            "credentials.shape",
            N_("The client_secret is the same value as the client_id."),
            new_secret,
            snippet=settings,
        )
    elif secret.startswith(GITHUB_TOKEN_PREFIXES):
        prefix = next(p for p in GITHUB_TOKEN_PREFIXES if secret.startswith(p))
        yield Finding(
            "credentials.shape",
            N_(
                "The client_secret starts with %(prefix)s, the prefix of a "
                "GitHub token such as a personal access token, not of an OAuth "
                "app's client secret."
            ),
            new_secret,
            {"prefix": prefix},
            settings,
        )
    elif not GITHUB_SECRET_SHAPE.fullmatch(secret):
        yield Finding(
            "credentials.shape",
            N_(
                "The client_secret is %(length)s characters long, but a GitHub "
                "client secret is 40 hexadecimal characters."
            ),
            new_secret,
            {"length": str(len(secret))},
            settings,
        )
    if client_id.isdigit():
        yield Finding(
            "credentials.shape",
            N_(
                "The client_id %(client_id)s is a number: that is a GitHub App's "
                "App ID, but OAuth needs its Client ID, which starts with Iv."
            ),
            N_("Copy the Client ID from the GitHub App's settings page."),
            {"client_id": client_id},
            "https://github.com/settings/apps" if settings else None,
        )


def probe_rejected(client_name: str, url: str, error: str) -> Finding:
    """The finding for a token endpoint that refused the credentials when
    probed with a throwaway code (``flask oauth-recover check --probe``)."""
    return Finding(
        "credentials.rejected",
        N_(
            "The token endpoint %(url)s answered %(error)s to a throwaway code, "
            "so it does not accept this client_id and client_secret."
        ),
        N_(
            "Copy the client ID and a newly generated client secret from the "
            "OAuth app's settings into %(id_source)s and %(secret_source)s."
        ),
        {
            "url": url,
            "error": error,
            "id_source": credential_source(client_name, "client_id").where,
            "secret_source": credential_source(client_name, "client_secret").where,
        },
    )


#: The credential rules.
RULES: list[Rule] = [check_credentials]
