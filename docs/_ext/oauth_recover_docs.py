"""Directives that build parts of the documentation from the code, so that
the pages cannot drift from it.

``recipe``
    A file the test suite runs, shown as a user would have it in their own
    project: without its module docstring, its ``from __future__`` line and
    its ``# type: ignore[...]`` comments, with ``myapp`` for the test app's
    import path (``tests.apps.literal_urls`` becomes ``myapp``).

``provider-facts``
    What a provider profile (:mod:`flask_oauth_recover.providers`) knows:
    the hosts that name it, each error code it reads and what the user gets
    for it, the console pages the diagnoses link to, and its credential
    shapes.

``finding-index``
    Every id of :data:`flask_oauth_recover.diagnose.FINDING_IDS`, grouped
    and linked to its section (label ``finding-<id>``). An id without a
    section is an undefined label, which fails a build run with ``-W``.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from oauth_recover_recipes import as_users_have_it
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from flask_oauth_recover.diagnose import FINDING_IDS
from flask_oauth_recover.diagnose.redirect_uri import register_fix
from flask_oauth_recover.providers import PROFILES
from flask_oauth_recover.providers.profile import Profile
from flask_oauth_recover.providers.profile import Reading

ROOT = Path(__file__).resolve().parents[2]


class Recipe(SphinxDirective):
    """``.. recipe:: tests/test_users_example.py``"""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"caption": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        relative = self.arguments[0]
        path = ROOT / relative
        self.env.note_dependency(str(path))
        text = as_users_have_it(path.read_text(encoding="utf-8"))
        block = nodes.literal_block(text, text, language="python")
        block["classes"].append("recipe")
        block["source"] = relative
        caption = self.options.get("caption")
        if not caption:
            return [block]
        container = nodes.container("", literal_block=True)
        container += nodes.caption(caption, "", nodes.Text(caption))
        container += block
        return [container]


# -- provider-facts ----------------------------------------------------------

#: What the user gets for each kind of failure (the pages' English titles).
_ANSWERS = {
    "transient": "a silent restart",
    "credentials": "“Sign-in is not set up correctly”: the credentials",
    "redirect_uri": "“Sign-in is not set up correctly”: the redirect URI",
    "config": "“Sign-in is not set up correctly”",
    "cancelled": "“Sign-in cancelled”",
    "unavailable": "“{provider} is not responding”",
}

#: The diagnosis a finer cause leads to.
_REASON_FINDINGS = {
    "pkce_mismatch": "pkce.mismatch",
    "secret_expired": "credentials.expired",
    "secret_missing": "credentials.missing",
    "app_not_in_directory": "credentials.wrong_tenant",
}

_PROBE_BLIND = {
    "javascript": "its authorization page is built by JavaScript",
    "sign_in": "it shows its page only to a signed-in browser",
}


def _literal(text: str) -> nodes.literal:
    return nodes.literal(text, text)


def _finding_ref(finding_id: str) -> addnodes.pending_xref:
    ref = addnodes.pending_xref(
        "",
        _literal(finding_id),
        refdomain="std",
        reftype="ref",
        reftarget=f"finding-{finding_id}",
        refexplicit=True,
        refwarn=True,
    )
    return ref


def _answer(reading: Reading, profile: Profile) -> nodes.paragraph:
    text = _ANSWERS.get(reading.kind, reading.kind)
    paragraph = nodes.paragraph()
    paragraph += nodes.Text(text.format(provider=profile.display_name))
    if reading.ambiguous:
        paragraph += nodes.Text(
            ", once; the same answer after the restart ends on "
            "“We could not sign you in” with "
        )
        paragraph += _finding_ref("token.invalid_grant_repeated")
    elif reading.reason:
        finding = _REASON_FINDINGS.get(reading.reason)
        paragraph += nodes.Text(", naming ")
        paragraph += _finding_ref(finding) if finding else _literal(reading.reason)
    return paragraph


def _table(header: list[str], rows: Iterable[list[nodes.Element]]) -> nodes.table:
    table = nodes.table()
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    head += _row([nodes.paragraph(text=title) for title in header])
    body = nodes.tbody()
    group += body
    for cells in rows:
        body += _row(cells)
    return table


def _row(cells: list[nodes.Element]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        row += nodes.entry("", cell)
    return row


def _code_cell(*texts: str) -> nodes.paragraph:
    paragraph = nodes.paragraph()
    for index, text in enumerate(texts):
        if index:
            paragraph += nodes.Text(", ")
        paragraph += _literal(text)
    return paragraph


def _field_list(items: list[tuple[str, nodes.Element]]) -> nodes.field_list:
    fields = nodes.field_list()
    for name, body in items:
        fields += nodes.field(
            "", nodes.field_name(name, name), nodes.field_body("", body)
        )
    return fields


def _errors_rows(
    errors: Mapping[str, Reading], profile: Profile
) -> list[list[nodes.Element]]:
    return [
        [_code_cell(code), _answer(reading, profile)]
        for code, reading in sorted(errors.items())
    ]


class ProviderFacts(SphinxDirective):
    """``.. provider-facts:: github``"""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(
            str(ROOT / "flask_oauth_recover" / "providers" / "profile.py")
        )
        name = self.arguments[0]
        profile = PROFILES.get(name)
        if profile is None:
            raise self.error(f"no provider profile is named {name!r}")
        out: list[nodes.Node] = [self._summary(profile)]
        if any("{" in page.url for page in profile.console.values()):
            out.append(
                nodes.paragraph(
                    text="In the console addresses, {origin} is the origin of "
                    "the client's endpoints, {console} the portal of the cloud "
                    "they belong to, {tenant}, {realm} and {admin} come from "
                    "the endpoints too, and {client_id} is the client's ID "
                    "where it may be shown."
                )
            )
        intro = nodes.paragraph()
        intro += nodes.Text("How to register the callback URL, as ")
        intro += _finding_ref("redirect_uri.register")
        intro += nodes.Text(" says it:")
        out.append(intro)
        fix = register_fix(profile) % {
            "url": "the callback URL",
            "provider": profile.display_name,
        }
        out.append(nodes.block_quote("", nodes.paragraph(text=fix)))
        special = self._special_rows(profile)
        if special:
            out.append(
                nodes.paragraph(
                    text="Read before the error code, from the numbers or the "
                    "words of the answer:"
                )
            )
            out.append(_table(["the provider answers", "the user gets"], special))
        out.append(nodes.paragraph(text="Token endpoint errors, by code:"))
        out.append(
            _table(
                ["error", "the user gets"], _errors_rows(profile.token_errors, profile)
            )
        )
        out.append(nodes.paragraph(text="Errors sent back on the callback (?error=):"))
        out.append(
            _table(
                ["error", "the user gets"],
                _errors_rows(profile.authorize_errors, profile),
            )
        )
        out.append(
            nodes.paragraph(
                text="Any other code is a configuration page, never a restart "
                "(a 401 reads as refused credentials)."
            )
        )
        return out

    def _summary(self, profile: Profile) -> nodes.field_list:
        items: list[tuple[str, nodes.Element]] = [
            ("Profile name", _code_cell(profile.name)),
        ]
        hosts = sorted(profile.hosts) + [f"*{s}" for s in profile.host_suffixes]
        if hosts:
            items.append(("Its own hosts", _code_cell(*hosts)))
        if profile.shape is not None:
            items.append(
                (
                    "On other hosts",
                    nodes.paragraph(
                        text="recognized by the shape of its endpoint paths"
                    ),
                )
            )
        if profile.redirect_error_returns:
            unregistered = "sent back to the registered callback with ?error="
        elif profile.probe_blind:
            unregistered = (
                "the provider's own page; check --probe cannot tell, since "
                + _PROBE_BLIND.get(profile.probe_blind, profile.probe_blind)
            )
        elif profile.redirect_error_page is not None:
            markers = " / ".join(f"“{m}”" for m in profile.redirect_error_page.markers)
            unregistered = f"the provider's own page ({markers}), seen by check --probe"
        else:
            unregistered = "not known"
        items.append(("Unregistered redirect URI", nodes.paragraph(text=unregistered)))
        shapes = profile.credentials
        if shapes is not None and shapes.client_id_notation:
            items.append(("Client ID shape", _code_cell(shapes.client_id_notation)))
        if shapes is not None and shapes.secret_notation:
            items.append(("Client secret shape", _code_cell(shapes.secret_notation)))
        for fix, page in sorted(profile.console.items()):
            label = {
                "credentials": "Console: credentials",
                "redirect_uri": "Console: redirect URIs",
            }.get(fix, f"Console: {fix}")
            items.append((label, _code_cell(page.url_for_client or page.url)))
        if profile.form_post_scopes:
            items.append(
                (
                    "Posts the callback for scopes",
                    _code_cell(*sorted(profile.form_post_scopes)),
                )
            )
        return _field_list(items)

    def _special_rows(self, profile: Profile) -> list[list[nodes.Element]]:
        rows: list[list[nodes.Element]] = []
        if profile.numbered is not None:
            prefix = profile.numbered.prefix or ""
            for number, reading in sorted(profile.numbered.readings.items()):
                said = reading.code or f"{prefix}{number}"
                rows.append([_code_cell(said), _answer(reading, profile)])
        for worded in profile.worded:
            words = worded.pattern.pattern
            rows.append(
                [
                    _code_cell(worded.error, f"“{words}”"),
                    _answer(worded.reading, profile),
                ]
            )
        return rows


# -- finding-index -----------------------------------------------------------

_FAMILIES = {
    "redirect_uri": "Redirect URI",
    "credentials": "Credentials",
    "pkce": "PKCE",
    "token": "Token",
    "session": "Session",
}


class FindingIndex(SphinxDirective):
    """``.. finding-index::``"""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(
            str(ROOT / "flask_oauth_recover" / "diagnose" / "__init__.py")
        )
        families: dict[str, list[str]] = {}
        for finding_id in FINDING_IDS:
            families.setdefault(finding_id.split(".", 1)[0], []).append(finding_id)
        rows: list[list[nodes.Element]] = []
        for family, ids in families.items():
            cell = nodes.paragraph()
            for index, finding_id in enumerate(sorted(ids)):
                if index:
                    cell += nodes.Text(" · ")
                cell += _finding_ref(finding_id)
            rows.append([nodes.paragraph(text=_FAMILIES.get(family, family)), cell])
        return [_table(["about", "ids"], rows)]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("recipe", Recipe)
    app.add_directive("provider-facts", ProviderFacts)
    app.add_directive("finding-index", FindingIndex)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
