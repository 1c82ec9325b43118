"""Read the parameters of a callback request, refusing hostile ones.

A callback URL is public: anyone can send a browser to it with any query.
Before Authlib or the provider sees a value, it must look like something a
provider could have sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

#: The parameters we read, with the longest value each may have.
LIMITS = {
    "code": 512,
    # Frameworks' own states are long: Flask-AppBuilder's is a JWT of the
    # login's query arguments.
    "state": 2048,
    "error": 64,
    "error_description": 1024,
    "error_uri": 2048,
}
# RFC 6749 section 4.1.2.1: error codes are printable ASCII without '"' and '\'.
_ERROR_CODE = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InvalidCallback(Exception):
    """The callback request could not have come from a provider.

    :param reason: a fixed phrase naming what was wrong (never the input).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CallbackParams:
    """The OAuth parameters of one callback request."""

    code: str | None
    state: str | None
    error: str | None
    error_description: str | None
    error_uri: str | None


class Values(Protocol):
    """What :func:`read_callback_params` reads: ``request.args`` or
    ``request.form``."""

    def __contains__(self, name: object) -> bool: ...

    def getlist(self, name: str) -> list[str]: ...


def read_callback_params(values: Values) -> CallbackParams:
    """Validate and return the callback's OAuth parameters.

    :raises InvalidCallback: a repeated, oversized or control-character
        value, or ``code`` and ``error`` together.
    """
    found: dict[str, str | None] = dict.fromkeys(LIMITS)
    for name, limit in LIMITS.items():
        if name not in values:
            continue
        items = values.getlist(name)
        if len(items) > 1:
            raise InvalidCallback(f"the parameter {name!r} is repeated")
        value = items[0] if items else None
        if value is not None:
            if len(value) > limit:
                raise InvalidCallback(f"the parameter {name!r} is too long")
            if _CONTROL.search(value):
                raise InvalidCallback(
                    f"the parameter {name!r} contains control characters"
                )
        found[name] = value
    if found["code"] is not None and found["error"] is not None:
        raise InvalidCallback("the response carries both a code and an error")
    error = found["error"]
    if error is not None and not _ERROR_CODE.fullmatch(error):
        raise InvalidCallback("the error code is not a valid OAuth error code")
    return CallbackParams(**found)
