"""Blinker signals, for metrics and alerting.

Every signal is sent with the Flask app as sender and these keyword
arguments: ``client_name`` (the Authlib client), ``outcome`` (an
:class:`~flask_oauth_recover.Outcome`, with the failure, the attempt number
and the diagnosis). Signals only notify; to change a page, use
:meth:`OAuthRecover.error_page_handler`.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A transient failure (used or expired code, lost state) restarted the
#: authorization with a fresh state.
authorization_restarted = _signals.signal("oauth-recover.authorization-restarted")

#: The provider refused the app's configuration (credentials, redirect URI,
#: suspended app...). Someone has to change a setting: alert on this one.
configuration_error = _signals.signal("oauth-recover.configuration-error")

#: The user declined on the provider's consent page.
login_cancelled = _signals.signal("oauth-recover.login-cancelled")

#: A login hit ``OAUTH_RECOVER_MAX_RESTARTS`` and was given up.
restarts_exhausted = _signals.signal("oauth-recover.restarts-exhausted")

#: The provider was unreachable, slow, or answered something unreadable.
provider_unavailable = _signals.signal("oauth-recover.provider-unavailable")

#: A callback request carried parameters no provider would send.
invalid_callback = _signals.signal("oauth-recover.invalid-callback")
