"""The README's testing recipes are the files the suite runs: each Python
block under "Testing your own login" is one of them, as a user would have it
(no module docstring, no ``from __future__`` line, ``myapp`` for the test
app's import path)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: README block -> the file it is copied from.
RECIPES = [
    "tests/test_users_example.py",
    "tests/apps/google_factory/extensions.py",
    "tests/apps/google_factory/auth.py",
    "tests/apps/google_factory/__init__.py",
    "tests/test_users_factory_example.py",
    "tests/test_users_dance_example.py",
    "tests/apps/fab_github/config.py",
    "tests/test_users_fab_example.py",
]


def as_in_readme(relative: str) -> str:
    """The file as the README shows it."""
    source = (ROOT / relative).read_text()
    body = ast.parse(source).body
    lines = source.splitlines(keepends=True)
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        lines = lines[first.end_lineno or 0 :]
    text = "".join(
        line for line in lines if line != "from __future__ import annotations\n"
    )
    return re.sub(r"\btests\.apps\.\w+", "myapp", text.lstrip("\n"))


def readme_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Testing your own login", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```python\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("relative", RECIPES)
def test_the_readme_shows_the_file_as_it_is(relative: str) -> None:
    assert as_in_readme(relative) in readme_blocks()


def test_the_recipes_come_in_the_readmes_order() -> None:
    blocks = readme_blocks()
    recipes = [as_in_readme(relative) for relative in RECIPES]
    assert [block for block in blocks if block in recipes] == recipes
