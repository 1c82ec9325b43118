"""The documentation against the code it describes. The build itself
(``scripts/test`` runs ``sphinx-build -W`` and the doctest builder) fails
on an example that no longer runs, a diagnosis id without a section, or a
recipe file that is gone; these tests check what the build cannot see: a
page left over for something the code no longer has, and a file the suite
runs that no page shows."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

import flask_oauth_recover
from flask_oauth_recover.diagnose import FINDING_IDS
from flask_oauth_recover.providers import PROFILES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
#: The files the suite runs that the docs show as a user's own, in the order
#: a reader meets them.
RECIPES = [
    "tests/apps/literal_urls.py",
    "tests/apps/dance_github.py",
    "tests/test_users_example.py",
    "tests/apps/google_factory/extensions.py",
    "tests/apps/google_factory/auth.py",
    "tests/apps/google_factory/__init__.py",
    "tests/test_users_factory_example.py",
    "tests/test_users_dance_example.py",
    "tests/apps/fab_github/config.py",
    "tests/test_users_fab_example.py",
]
#: Pages in the order the index lists them.
RECIPE_PAGES = ["quickstart", "signing-in/flask-dance", "testing"]
_RECIPE = re.compile(r"^\.\. recipe:: (\S+)$", re.MULTILINE)


def page(name: str) -> str:
    return (DOCS / f"{name}.rst").read_text(encoding="utf-8")


def every_page() -> dict[str, str]:
    return {
        str(path.relative_to(DOCS).with_suffix("")): path.read_text(encoding="utf-8")
        for path in sorted(DOCS.rglob("*.rst"))
        if "_build" not in path.parts
    }


def test_every_diagnosis_id_has_a_section_and_no_other_id_does() -> None:
    labels = re.findall(r"^\.\. _finding-([a-z_.]+):$", page("diagnoses"), re.M)
    assert sorted(labels) == sorted(FINDING_IDS)


def test_every_provider_profile_has_a_page_built_from_it() -> None:
    facts = {
        match
        for text in every_page().values()
        for match in re.findall(r"^\.\. provider-facts:: (\S+)$", text, re.M)
    }
    assert facts == set(PROFILES)


def test_the_recipes_are_the_files_the_suite_runs_in_reading_order() -> None:
    shown = [path for name in RECIPE_PAGES for path in _RECIPE.findall(page(name))]
    assert shown == RECIPES


@pytest.mark.parametrize("relative", RECIPES)
def test_each_recipe_is_run_by_the_suite(relative: str) -> None:
    if relative.startswith("tests/test_"):
        assert (ROOT / relative).is_file()
        return
    # tests/apps/<module>.py, or a file of the package tests/apps/<package>/
    module = ".".join(Path(relative).with_suffix("").parts[:3])
    importers = [
        path
        for path in (ROOT / "tests").glob("test_users_*.py")
        if module in path.read_text(encoding="utf-8")
    ]
    assert importers, f"no test_users_*.py imports {module}"


def test_no_page_shows_a_recipe_the_suite_does_not_run() -> None:
    shown = {path for text in every_page().values() for path in _RECIPE.findall(text)}
    assert shown <= set(RECIPES)


def test_every_configuration_key_is_documented() -> None:
    source = (ROOT / "flask_oauth_recover" / "extension.py").read_text()
    keys = set(re.findall(r'setdefault\("(OAUTH_RECOVER_\w+)"', source))
    assert keys
    documented = set(re.findall(r"``(OAUTH_RECOVER_\w+)``", page("configuration")))
    assert keys == documented


def test_every_public_name_is_in_the_api_reference() -> None:
    api = page("api")
    missing = [
        name
        for name in flask_oauth_recover.__all__
        if not re.search(rf"^\.\. auto(class|data):: {name}$", api, re.M)
    ]
    assert missing == []


def test_every_signal_is_on_the_signals_page() -> None:
    signals = page("signals")
    names = [name for name in flask_oauth_recover.__all__ if name.islower()]
    assert [name for name in names if f"``{name}``" not in signals] == []


def test_every_page_is_in_the_table_of_contents() -> None:
    index = page("index")
    listed = set(re.findall(r"^   ([a-z][a-z0-9/-]*)$", index, re.M))
    assert set(every_page()) - {"index"} == listed


def test_the_readme_quick_start_is_the_app_the_suite_signs_in_to() -> None:
    # The transformation the docs' recipe directive shows files with.
    spec = importlib.util.spec_from_file_location(
        "oauth_recover_recipes", DOCS / "_ext" / "oauth_recover_recipes.py"
    )
    assert spec is not None and spec.loader is not None
    recipes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipes)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"^```python\n(.*?)^```$", quick_start, re.M | re.S)
    app = recipes.as_users_have_it((ROOT / RECIPES[0]).read_text(encoding="utf-8"))
    assert block in app


def test_the_readme_points_to_every_page_it_names() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = re.findall(r"\]\((docs/[^)]+)\)", readme)
    assert linked
    assert [path for path in linked if not (ROOT / path).is_file()] == []
