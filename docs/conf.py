"""Sphinx configuration for flask-oauth-recover's documentation."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The package, the test apps the examples are taken from, and the local
# extension that includes them.
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent / "_ext")]

project = "flask-oauth-recover"
copyright = "the flask-oauth-recover authors"
release = version = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "pallets_sphinx_themes",
    "oauth_recover_docs",
]

html_theme = "flask"
html_title = "flask-oauth-recover"
html_static_path = ["_static"]
exclude_patterns = ["_build"]
# The theme's banner asks an index at reading time which version is newest.
version_banner = False

# Examples are written as a user's module: Flask(__name__) needs a module
# name. The logins they break on purpose log at ERROR (the extension, FAB,
# Flask-Security), and FAB signs its state with a key PyJWT finds short, as
# the test suite's FAB tests note: keep the build's output to what failed.
doctest_global_setup = """
__name__ = "myapp"
import logging
import warnings
logging.disable(logging.ERROR)
warnings.filterwarnings("ignore", message="The HMAC key is .* bytes long")
"""
doctest_global_cleanup = """
import logging
logging.disable(logging.NOTSET)
"""
