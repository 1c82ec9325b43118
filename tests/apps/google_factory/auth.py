"""The sign-in blueprint: Google's OpenID Connect login."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import redirect
from flask import session
from flask import url_for
from werkzeug.wrappers import Response

from .extensions import oauth
from .extensions import recover

auth = Blueprint("auth", __name__)


@auth.route("/login")
def login() -> Response:
    redirect_uri = url_for("auth.callback", _external=True)
    response: Response = oauth.google.authorize_redirect(redirect_uri)
    return response


@auth.route("/callback")
@recover.callback("google")
def callback() -> Response:
    userinfo = oauth.google.authorize_access_token()["userinfo"]
    session["user"] = {"email": userinfo["email"], "locale": userinfo.get("locale")}
    return redirect(url_for("auth.me"))


@auth.route("/me")
def me() -> dict[str, Any]:
    return {"user": session.get("user")}
