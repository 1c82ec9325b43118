"""The ``provider_emulator`` pytest fixture, as a user's suite gets it: pytest
runs in a subprocess on a small test directory, with the plugin loaded
through the installed package's ``pytest11`` entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

# A user's app: Authlib, github.com's URLs registered in code.
USERS_APP = """
from authlib.integrations.flask_client import OAuth
from flask import Flask, url_for

app = Flask(__name__)
app.secret_key = "test"
oauth = OAuth(app)
oauth.register(
    "github",
    client_id="Iv1.feedfacecafebeef",
    client_secret="f" * 40,
    authorize_url="https://github.com/login/oauth/authorize",
    access_token_url="https://github.com/login/oauth/access_token",
    api_base_url="https://api.github.com/",
)


@app.route("/login")
def login():
    return oauth.github.authorize_redirect(url_for("callback", _external=True))


@app.route("/callback")
def callback():
    token = oauth.github.authorize_access_token()
    return oauth.github.get("user", token=token).json()["login"]
"""

USES_THE_FIXTURE = """
import pytest
import requests

from users_app import app, oauth

emulators = []


def test_default_is_a_running_github(provider_emulator):
    emulators.append(provider_emulator)
    assert provider_emulator.profile == "github"
    assert provider_emulator.base_url.startswith("http://127.0.0.1:")
    # Left applied on purpose: the fixture undoes it.
    provider_emulator.stand_in_for(app, "github")
    client = app.test_client()
    response, visited = provider_emulator.follow(client, client.get("/login"))
    assert response.text == "octocat"
    assert visited[0].startswith(provider_emulator.authorize_url)


def test_stopped_and_stand_ins_undone_after_the_test():
    with pytest.raises(RuntimeError, match="not running"):
        emulators[0].base_url
    assert oauth.github.authorize_url == "https://github.com/login/oauth/authorize"


@pytest.mark.parametrize("provider_emulator", ["google", "keycloak"], indirect=True)
def test_another_profile_by_name(provider_emulator):
    metadata = requests.get(provider_emulator.server_metadata_url, timeout=5).json()
    assert metadata["authorization_endpoint"] == provider_emulator.authorize_url
    assert provider_emulator.profile in ("google", "keycloak")


@pytest.mark.parametrize(
    "provider_emulator",
    [{"profile": "gitlab", "login": "mona", "user": {"name": "Mona"}}],
    indirect=True,
)
def test_keyword_arguments(provider_emulator):
    assert (provider_emulator.profile, provider_emulator.login) == ("gitlab", "mona")
    assert provider_emulator.user == {"name": "Mona"}
"""

OWN_FIXTURE_CONFTEST = """
import pytest


@pytest.fixture
def provider_emulator():
    return "the project's own"
"""

DOES_NOT_USE_IT = """
import sys


def test_the_plugin_imports_nothing(request):
    assert request.config.pluginmanager.has_plugin("flask_oauth_recover")
    assert [name for name in sys.modules if name.startswith("flask_oauth_recover")] == [
        "flask_oauth_recover_pytest"
    ]


def test_a_fixture_of_the_same_name_wins(provider_emulator):
    assert provider_emulator == "the project's own"
"""


def run_pytest(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_ADDOPTS", "PYTHONPATH")
    }
    env["PYTHONPATH"] = str(directory)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text).lstrip())
    return directory


def test_a_suite_using_the_fixture(tmp_path: Path) -> None:
    suite = write(
        tmp_path, {"users_app.py": USERS_APP, "test_login.py": USES_THE_FIXTURE}
    )

    result = run_pytest(suite)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_a_suite_that_does_not_use_it(tmp_path: Path) -> None:
    suite = write(
        tmp_path,
        {"conftest.py": OWN_FIXTURE_CONFTEST, "test_other.py": DOES_NOT_USE_IT},
    )

    result = run_pytest(suite)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_the_plugin_can_be_turned_off(tmp_path: Path) -> None:
    suite = write(
        tmp_path, {"users_app.py": USERS_APP, "test_login.py": USES_THE_FIXTURE}
    )

    result = run_pytest(suite, "-p", "no:flask_oauth_recover", "-k", "default")

    assert result.returncode == 1
    assert "fixture 'provider_emulator' not found" in result.stdout
