"""Pick the user's language and translate our messages.

The locale comes from Flask-Babel when the app uses it, else from the
``Accept-Language`` header, else English. Our catalogs use their own gettext
domain, ``flask_oauth_recover``, so they never collide with the app's.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from flask import current_app
from flask import request

if TYPE_CHECKING:
    from babel.support import NullTranslations

DOMAIN = "flask_oauth_recover"
TRANSLATIONS_DIR = os.path.join(os.path.dirname(__file__), "translations")
DEFAULT_LOCALE = "en"
#: Languages with a catalog, as BCP 47 tags.
SUPPORTED = ("en", "es", "ja", "zh-Hans", "pt-BR", "ko", "fr", "de")
_BY_LOWER = {tag.lower(): tag for tag in SUPPORTED}
#: Tags that mean one of ours without being spelled like it.
ALIASES = {
    "zh": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "zh-hans-cn": "zh-Hans",
    "zh-hans-sg": "zh-Hans",
    "pt": "pt-BR",
}
# Traditional Chinese readers are better served by English than by a
# simplified-script page they did not ask for.
_REFUSED = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")


def normalize(tag: str) -> str | None:
    """Map a language tag (``zh-CN``, ``pt_PT``, ``es-419``) to one of
    :data:`SUPPORTED`, or ``None``."""
    lowered = tag.strip().replace("_", "-").lower()
    if not lowered or lowered.startswith(_REFUSED):
        return None
    if lowered in _BY_LOWER:
        return _BY_LOWER[lowered]
    if lowered in ALIASES:
        return ALIASES[lowered]
    primary = lowered.split("-")[0]
    return _BY_LOWER.get(primary) or ALIASES.get(primary)


def select_locale() -> str:
    """The locale for the current request's pages."""
    if "babel" in current_app.extensions:
        babel_locale = _flask_babel_locale()
        if babel_locale:
            return babel_locale
    for tag, quality in request.accept_languages:
        # q=0 means "not this language" (RFC 9110, section 12.4.2).
        locale = normalize(tag) if quality > 0 else None
        if locale:
            return locale
    return DEFAULT_LOCALE


def _flask_babel_locale() -> str | None:
    try:
        from flask_babel import get_locale
    except ImportError:
        return None
    locale = get_locale()
    return normalize(str(locale)) if locale is not None else None


@functools.cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog for ``locale`` (empty for English)."""
    # Babel is imported only when a page is rendered: no other request,
    # and no app start-up, pays for it.
    from babel.support import NullTranslations
    from babel.support import Translations

    if locale == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(TRANSLATIONS_DIR, [locale.replace("-", "_")], DOMAIN)


class Translator:
    """``gettext`` bound to one locale, with ``%(name)s`` formatting.

    :param locale: one of :data:`SUPPORTED`.
    """

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._catalog = translations(locale)

    def __call__(self, message: str, **params: object) -> str:
        text = self._catalog.gettext(message)
        return text % params if params else text


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message
