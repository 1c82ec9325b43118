"""The app's extensions, made once at import: the blueprint modules import
them, and ``create_app()`` binds them to each app with ``init_app``."""

from __future__ import annotations

from authlib.integrations.flask_client import OAuth

from flask_oauth_recover import OAuthRecover

oauth = OAuth()
recover = OAuthRecover()  # module level, so that auth.py can decorate with it
oauth.register(
    "google",  # credentials from GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET
    server_metadata_url="https://accounts.google.com/.well-known/openid-configuration",
    client_kwargs={"scope": "openid email profile"},
)
