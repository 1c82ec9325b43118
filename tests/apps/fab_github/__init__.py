"""A Flask-AppBuilder app as FAB's own examples write one, signing in with
GitHub through FAB's OAuth views, configured by :mod:`.config` for
production (github.com's addresses, credentials from the environment), plus
the extension's one line. Nothing in it knows about the emulator."""

from __future__ import annotations

from flask import Flask
from flask import g
from flask_appbuilder import AppBuilder
from flask_appbuilder import BaseView
from flask_appbuilder import expose
from flask_appbuilder import has_access
from flask_appbuilder.utils.legacy import get_sqla_class

from flask_oauth_recover import OAuthRecover


class ProfileView(BaseView):  # type: ignore[misc]
    """The page a signed-in member lands on."""

    route_base = "/profile"
    default_view = "show"

    @expose("/")  # type: ignore[untyped-decorator]
    @has_access  # type: ignore[untyped-decorator]
    def show(self) -> str:
        return f"Signed in as {g.user.username}"


def create_app() -> Flask:
    """The app, configured from :mod:`.config`."""
    app = Flask(__name__)
    app.config.from_object(f"{__name__}.config")
    db = get_sqla_class()()
    appbuilder = AppBuilder()
    with app.app_context():
        db.init_app(app)
        appbuilder.init_app(app, db.session)
        appbuilder.add_view_no_menu(ProfileView)
    OAuthRecover(app)  # after FAB, as Superset's FLASK_APP_MUTATOR runs it
    return app
