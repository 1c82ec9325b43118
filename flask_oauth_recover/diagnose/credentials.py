"""Why a provider rejected the client_id or client_secret."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app

from ..clients import EXTENSION_KEY
from ..clients import endpoint_of
from ..i18n import N_
from ..providers.profile import APP_NOT_IN_DIRECTORY
from ..providers.profile import CREDENTIALS
from ..providers.profile import SECRET_EXPIRED
from ..providers.profile import CredentialShapes
from ..providers.profile import Profile
from .evidence import Evidence
from .evidence import Finding
from .evidence import FrameworkSettings
from .evidence import Rule
from .secret_jwt import check_secret_jwt
from .shapes import is_secret_shaped
from .shapes import shown_in_full

QUOTES = "\"'"


@dataclass(frozen=True)
class CredentialSource:
    """Where Authlib read a credential from."""

    #: The app config key Authlib reads the value from, e.g. GITHUB_CLIENT_ID.
    key: str
    #: Code naming where the value came from.
    where: str
    #: "config", "register", "blueprint" (an argument of a Flask-Dance
    #: blueprint that names no config key for it) or "nowhere".
    origin: str
    #: The config key holds a value that an empty ``oauth.register()``
    #: argument hides.
    shadowed: bool = False


def credential_source(
    client_name: str,
    name: str,
    client: Any = None,
    framework: FrameworkSettings | None = None,
) -> CredentialSource:
    """Where Authlib took ``name`` (client_id or client_secret) from; in
    the words of the library that owns the login (``framework``), where it
    says where its users set it.

    Authlib's Flask integration reads ``{NAME}_{PARAM}`` from the app config
    and uses it only when ``oauth.register()`` was not given the parameter,
    or was given ``overwrite=True`` and the config value is not empty. A
    client that names its own config keys (a Flask-Dance blueprint's
    ``credential_keys``) is read from those.
    """
    source = _authlib_source(client_name, name, client)
    said = None
    if framework is not None and framework.credentials is not None:
        said = framework.credentials(client_name, name)
    return dataclasses.replace(source, where=said) if said else source


def _authlib_source(client_name: str, name: str, client: Any) -> CredentialSource:
    own_keys = getattr(client, "credential_keys", None)
    if isinstance(own_keys, dict):
        return _own_key_source(client_name, name, own_keys.get(name))
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


def _own_key_source(client_name: str, name: str, key: str | None) -> CredentialSource:
    if key is None:
        # Given to the blueprint itself, not read from the config.
        where = f'the "{client_name}" blueprint\'s {name}=... argument'
        return CredentialSource(f"{client_name}_{name}".upper(), where, "blueprint")
    origin = "config" if current_app.config.get(key) is not None else "nowhere"
    return CredentialSource(key, f'app.config["{key}"]', origin)


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
    if source.origin == "blueprint":
        return f'OAuth2ConsumerBlueprint("{client_name}", __name__, {name}={read}, ...)'
    return f'app.config["{source.key}"] = {read}'


def _missing(evidence: Evidence, name: str) -> Finding:
    source = credential_source(
        evidence.client_name, name, evidence.client, evidence.framework
    )
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
    elif source.origin == "blueprint":
        cause = N_("The %(name)s passed to %(source)s is empty.")
        fix = N_("Pass the OAuth app's %(name)s to %(source)s.")
    else:
        cause = N_(
            "No %(name)s is set: Authlib looked for %(key)s in the app config "
            "and oauth.register() was not given one."
        )
        fix = N_("Set %(key)s to the OAuth app's %(name)s.")
    return Finding("credentials.missing", cause, fix, params, snippet)


def _padding(evidence: Evidence, name: str, value: str) -> Finding | None:
    source = credential_source(
        evidence.client_name, name, evidence.client, evidence.framework
    )
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
    """The credential rules: missing, padded, swapped or misshapen values,
    each provider's by its profile's shapes, and a client secret JWT that
    has expired or lacks the claims its provider requires."""
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
    shapes = evidence.profile.credentials
    if len(values) == 2 and shapes is not None:
        yield from _shapes(
            evidence, shapes, values["client_id"], values["client_secret"]
        )
    rule = evidence.profile.secret_jwt
    if len(values) == 2 and rule is not None:
        source = credential_source(
            evidence.client_name, "client_secret", client, evidence.framework
        )
        findings = check_secret_jwt(
            evidence, rule, values["client_id"], values["client_secret"], source.where
        )
        console = _console(evidence, _client_public_id(evidence))
        for finding in findings:
            yield dataclasses.replace(finding, console=console)


#: Where a new secret comes from, per :attr:`CredentialShapes.key`.
NEW_SECRET_FIXES = {
    "github": N_(
        "Copy the client secret from the OAuth app's settings: choose "
        '"Generate a new client secret" and use the 40-character value it '
        "shows once."
    ),
    "google": N_(
        "Copy the client secret from the OAuth client's page in the console "
        '(Clients), or choose "Add secret" there and copy the new one.'
    ),
    "microsoft": N_(
        'Under "Certificates & secrets" in the app registration, choose "New '
        'client secret" and copy its Value, which is shown only once (not its '
        "Secret ID)."
    ),
    "gitlab": N_(
        'On the application\'s page, choose "Renew secret" and copy the secret '
        "it shows once."
    ),
    "apple": N_(
        "Make the client secret a JWT signed with ES256 by the private key you "
        "created for %(provider)s (the .p8 file), with iss your Team ID, sub "
        "the client ID, aud the address %(provider)s requires and exp at most "
        "six months ahead, and put the JWT, not the key, into the app's "
        "settings."
    ),
    "slack": N_(
        'Copy the Client Secret under "App Credentials" on the app\'s Basic '
        "Information page (not the Signing Secret or the Verification Token "
        "beside it)."
    ),
    "facebook": N_(
        "Copy the App Secret from Settings, then Basic, in the App Dashboard "
        "(not the Client Token)."
    ),
    "okta": N_(
        "Copy the client secret from the Client Credentials section on the app "
        "integration's General tab in the Admin Console."
    ),
}
#: What a value pasted as the secret is, per ``foreign_prefix`` kind.
FOREIGN_CAUSES = {
    "token": N_(
        "The client_secret starts with %(prefix)s, the prefix of a "
        "%(provider)s token such as a personal access token, not of an OAuth "
        "app's client secret."
    ),
    "api_key": N_(
        "The client_secret starts with %(prefix)s, the prefix of a "
        "%(provider)s API key, not of an OAuth client's secret."
    ),
    "private_key": N_(
        "The client_secret is a private key (it starts with %(prefix)s): "
        "%(provider)s wants a client secret signed with that key, not the key "
        "itself."
    ),
}


def _public_id(client_id: str, secret: str) -> str | None:
    """The client ID when it may appear in a URL or a text, else ``None``."""
    return client_id if shown_in_full(client_id, secret) else None


def _console(
    evidence: Evidence, client_id: str | None, fix: str = CREDENTIALS
) -> str | None:
    endpoint = endpoint_of(evidence.client, fix)
    return evidence.profile.console_url(fix, endpoint, client_id)


def _shapes(
    evidence: Evidence, shapes: CredentialShapes, client_id: str, secret: str
) -> Iterator[Finding]:
    provider = evidence.provider
    public_id = _public_id(client_id, secret)
    console = _console(evidence, public_id)
    if (
        shapes.is_secret(client_id)
        and not shapes.is_client_id(client_id)
        and shapes.is_client_id(secret)
    ):
        yield Finding(
            "credentials.swapped",
            N_(
                "The client_id has the shape of a %(provider)s client secret and "
                "the client_secret has the shape of a client ID: the two values "
                "look swapped."
            ),
            N_("Swap the values of %(id_source)s and %(secret_source)s."),
            {
                "provider": provider,
                "id_source": credential_source(
                    evidence.client_name,
                    "client_id",
                    evidence.client,
                    evidence.framework,
                ).where,
                "secret_source": credential_source(
                    evidence.client_name,
                    "client_secret",
                    evidence.client,
                    evidence.framework,
                ).where,
            },
            console=console,
        )
        return
    new_secret = NEW_SECRET_FIXES[shapes.key]
    foreign = shapes.foreign_prefix(secret)
    if secret == client_id:
        yield Finding(
            "credentials.shape",
            N_("The client_secret is the same value as the client_id."),
            new_secret,
            {"provider": provider},
            console=console,
        )
    elif shapes.secret_id is not None and shapes.secret_id.fullmatch(secret):
        yield Finding(
            "credentials.secret_id",
            N_(
                "The client_secret is a GUID: that is the Secret ID of a "
                "%(provider)s client secret, not its Value, which is about 40 "
                "characters long."
            ),
            N_(
                'Under "Certificates & secrets" in the app registration, copy '
                "the secret's Value into %(secret_source)s. The Value is shown "
                "only right after the secret is created: if it is hidden, "
                'choose "New client secret" and copy the new one.'
            ),
            {
                "provider": provider,
                "secret_source": credential_source(
                    evidence.client_name,
                    "client_secret",
                    evidence.client,
                    evidence.framework,
                ).where,
            },
            console=console,
        )
    elif foreign is not None:
        prefix, kind = foreign
        yield Finding(
            "credentials.shape",
            FOREIGN_CAUSES[kind],
            new_secret,
            {"prefix": prefix, "provider": provider},
            console=console,
        )
    elif shapes.firm_secret and not shapes.is_secret(secret):
        yield Finding(
            "credentials.shape",
            N_(
                "The client_secret is %(length)s characters long and does not "
                "have the shape of a %(provider)s client secret, %(shape)s."
            ),
            new_secret,
            {
                "length": str(len(secret)),
                "provider": provider,
                "shape": shapes.secret_notation,
            },
            console=console,
        )
    if shapes.app_id is not None and shapes.app_id.fullmatch(client_id):
        yield Finding(
            "credentials.shape",
            N_(
                "The client_id %(client_id)s is a number: that is a %(provider)s "
                "App's App ID, but OAuth needs its Client ID, which starts with Iv."
            ),
            N_("Copy the Client ID from the %(provider)s App's settings page."),
            {"client_id": client_id, "provider": provider},
            console=_console(evidence, None, "app"),
        )
    elif (
        shapes.firm_client_id
        and not shapes.is_client_id(client_id)
        and not is_secret_shaped(client_id)
    ):
        yield Finding(
            "credentials.shape",
            N_(
                "The client_id does not have the shape of a %(provider)s client "
                "ID, %(shape)s."
            ),
            N_("Copy the client ID from the OAuth app's page at %(provider)s."),
            {"provider": provider, "shape": shapes.client_id_notation},
            console=console,
        )


def _expired(evidence: Evidence) -> Iterator[Finding]:
    if evidence.reason != SECRET_EXPIRED:
        return
    yield Finding(
        "credentials.expired",
        N_("%(provider)s says the client secret has expired (%(code)s)."),
        N_(
            "Create a new client secret in the app registration, put its value "
            "into %(secret_source)s, and renew it before its expiry date next "
            "time."
        ),
        {
            "provider": evidence.provider,
            "code": _code(evidence),
            "secret_source": credential_source(
                evidence.client_name,
                "client_secret",
                evidence.client,
                evidence.framework,
            ).where,
        },
        console=_console(evidence, _client_public_id(evidence)),
    )


def _wrong_directory(evidence: Evidence) -> Iterator[Finding]:
    if evidence.reason != APP_NOT_IN_DIRECTORY:
        return
    endpoint = endpoint_of(evidence.client, CREDENTIALS)
    directory = evidence.profile.directory_of(endpoint) or "?"
    public_id = _client_public_id(evidence)
    yield Finding(
        "credentials.wrong_tenant",
        N_(
            "%(provider)s found no application with this client_id in the "
            "directory %(tenant)s, which the token endpoint %(url)s names "
            "(%(code)s)."
        ),
        N_(
            "Put the Directory (tenant) ID from the app registration's Overview "
            "page in place of %(tenant)s in the authorization and token endpoint "
            "URLs, or, if users from other directories sign in, make the app "
            'multitenant and use "organizations".'
        ),
        {
            "provider": evidence.provider,
            "tenant": directory,
            "url": endpoint or "?",
            "code": _code(evidence),
        },
        console=_console(evidence, public_id),
    )


def _client_public_id(evidence: Evidence) -> str | None:
    client_id = getattr(evidence.client, "client_id", None)
    secret = getattr(evidence.client, "client_secret", None)
    if not isinstance(client_id, str):
        return None
    other = strip_padding(secret) if isinstance(secret, str) else None
    return _public_id(strip_padding(client_id), other or "") or None


def _code(evidence: Evidence) -> str:
    failure = evidence.failure
    if failure is None:
        return "?"
    return failure.provider_code or failure.error


#: Why %(provider)s refused, when the configuration shows nothing wrong.
REJECTED_CAUSE = N_(
    "%(provider)s refused the client credentials the token request sent "
    "(%(code)s), and nothing in them looks wrong here: the client_id is not "
    "one %(provider)s knows, or the client_secret is not this client's (an "
    "old one after a rotation, another app's, another environment's)."
)
#: The same for a client secret the app signs itself: the provider gives
#: one answer for every cause.
REJECTED_JWT_CAUSE = N_(
    "%(provider)s refused the client credentials with %(code)s, the answer it "
    "gives without a reason for any of these: a client secret JWT signed by "
    "another key or with a kid that is not that key's ID, an iss that is not "
    "the key's team, a client_id it does not know, or a redirect URI not "
    "registered for that client. The claims that can be read here are in "
    "order."
)
REJECTED_JWT_FIX = N_(
    "Check that the client secret JWT is signed with the private key whose ID "
    "is in its kid header and that its iss is the ID of the team that key "
    "belongs to; then check the client_id and the redirect URIs registered "
    "for it at %(provider)s."
)
#: The fix when the credentials are refused: copy them again.
REJECTED_FIX = N_(
    "Copy the client ID and a newly generated client secret from the OAuth "
    "app's settings into %(id_source)s and %(secret_source)s."
)


def probe_rejected(
    client: Any,
    client_name: str,
    profile: Profile,
    url: str,
    error: str,
    framework: FrameworkSettings | None = None,
) -> Finding:
    """The finding for a token endpoint that refused the credentials when
    probed with a throwaway code (``flask oauth-recover check --probe``).

    :param client: the Authlib client.
    :param client_name: its registered name.
    :param profile: its provider profile.
    :param url: the token endpoint.
    :param error: the error code it answered.
    :param framework: where the library that owns the login, if one does,
        has its users set the credentials.
    """
    evidence = Evidence(client, client_name, None, None, profile=profile)
    return Finding(
        "credentials.rejected",
        N_(
            "The token endpoint %(url)s answered %(error)s to a throwaway code, "
            "so it does not accept this client_id and client_secret."
        ),
        REJECTED_FIX,
        {
            "url": url,
            "error": error,
            "id_source": credential_source(
                client_name, "client_id", client, framework
            ).where,
            "secret_source": credential_source(
                client_name, "client_secret", client, framework
            ).where,
        },
        console=_console(evidence, _client_public_id(evidence)),
    )


#: The rules that may say why the credentials were refused, most specific
#: first.
SPECIFIC_RULES: list[Rule] = [_expired, _wrong_directory, check_credentials]


def _refused(evidence: Evidence) -> Iterator[Finding]:
    """The specific rules, and ``credentials.rejected`` when the token
    endpoint refused the credentials and none of them says why."""
    found = [finding for rule in SPECIFIC_RULES for finding in rule(evidence)]
    yield from found
    failure = evidence.failure
    if found or failure is None or failure.source != "token":
        return
    client, name, framework = evidence.client, evidence.client_name, evidence.framework
    params = {
        "provider": evidence.provider,
        "code": _code(evidence),
        "id_source": credential_source(name, "client_id", client, framework).where,
        "secret_source": credential_source(
            name, "client_secret", client, framework
        ).where,
    }
    if evidence.profile.secret_jwt is not None:
        cause, fix = REJECTED_JWT_CAUSE, REJECTED_JWT_FIX
    else:
        cause, fix = REJECTED_CAUSE, REJECTED_FIX
    yield Finding(
        "credentials.rejected",
        cause,
        fix,
        params,
        console=_console(evidence, _client_public_id(evidence)),
    )


#: The credential rules.
RULES: list[Rule] = [_refused]
