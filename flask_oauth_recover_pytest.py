"""flask-oauth-recover's pytest plugin: the ``provider_emulator`` fixture.

Installed with the package through its ``pytest11`` entry point, so a test
of any app can ask for it::

    def test_login(app, provider_emulator):
        with provider_emulator.stand_in_for(app, "github"):
            client = app.test_client()
            response, visited = provider_emulator.follow(client, client.get("/login"))
        ...

The fixture is a started :class:`~flask_oauth_recover.testing.ProviderEmulator`
(the ``"github"`` profile) on a loopback port, stopped after the test, which
also undoes every ``stand_in_for`` still in effect. Another profile, or
other settings, come through indirect parametrization with a profile name,
a dialect, or the emulator's keyword arguments::

    @pytest.mark.parametrize("provider_emulator", ["google"], indirect=True)
    def test_google_login(app, provider_emulator): ...


    @pytest.mark.parametrize(
        "provider_emulator",
        [{"profile": "google", "user": {"locale": None}}],
        indirect=True,
    )
    def test_login_without_a_locale(app, provider_emulator): ...

A ``provider_emulator`` fixture of a project's own (in a ``conftest.py``)
wins over this one, and ``-p no:flask_oauth_recover`` turns the plugin off.

This module sits outside the ``flask_oauth_recover`` package and imports
only pytest, as Hypothesis's ``_hypothesis_pytestplugin`` does: pytest
imports every installed plugin in every session, and the package would bring
Flask, Authlib, requests and cryptography with it. The emulator is imported
when a test first asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

import pytest

if TYPE_CHECKING:
    from flask_oauth_recover.testing import ProviderEmulator

__all__ = ["provider_emulator"]


@pytest.fixture
def provider_emulator(request: pytest.FixtureRequest) -> Iterator[ProviderEmulator]:
    """A started provider emulator, GitHub unless parametrized otherwise;
    stopped, and its stand-ins undone, after the test.

    :param request: pytest's request; its ``param``, when the test
        parametrizes the fixture indirectly, is a profile name
        (``"google"``), a dialect (``MicrosoftDialect(tenant_id=...)``), or
        a mapping of :class:`~flask_oauth_recover.testing.ProviderEmulator`'s
        keyword arguments.
    """
    from flask_oauth_recover.testing import ProviderEmulator

    param: Any = getattr(request, "param", "github")
    options = dict(param) if isinstance(param, Mapping) else {"profile": param}
    with ProviderEmulator(**options) as emulator:
        yield emulator
