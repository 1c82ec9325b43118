"""How the documentation shows a file the test suite runs: as a user would
have it in their own project. Shared by the ``recipe`` directive and the
tests that check the README against the same files; it needs no Sphinx."""

from __future__ import annotations

import ast
import re

_TYPE_IGNORE = re.compile(r"  # type: ignore\[[^\]]*\]$", re.MULTILINE)
_TEST_APP = re.compile(r"\btests\.apps\.\w+")


def as_users_have_it(source: str) -> str:
    """A test file's text as the docs show it.

    :param source: the file's text.
    """
    body = ast.parse(source).body
    lines = source.splitlines(keepends=True)
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        lines = lines[first.end_lineno or 0 :]
    text = "".join(
        line for line in lines if line != "from __future__ import annotations\n"
    )
    text = _TYPE_IGNORE.sub("", text)
    return _TEST_APP.sub("myapp", text.strip("\n")) + "\n"
