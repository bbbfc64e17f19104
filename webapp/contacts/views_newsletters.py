"""The public pages of newsletters: the subscribe form (/n/<key>, to link to from anywhere; rate
limited), and leaving one newsletter (/n/u/<token>: GET asks for a click, POST leaves, including a
mail client's one-click POST, RFC 8058, which has no session or CSRF token)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from webapp.contacts import newsletters
from webapp.contacts.models import Contact
from webapp.contacts.newsletter_models import Newsletter
from webapp.email_address import is_valid_email
from webapp.extensions import LANGUAGES, csrf
from webapp.guards import has_control_characters
from webapp.i18n import _

bp = Blueprint("newsletters_public", __name__)

_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _signup_errors(email: str, name: str) -> dict[str, str]:
    errors = {}
    if not email or len(email) > 254 or not is_valid_email(email):
        errors["email"] = _("Enter an email address such as ana@example.org.")
    if len(name) > 200 or has_control_characters(name):
        errors["name"] = _("Enter your name on one line (at most 200 characters).")
    return errors


@bp.route("/n/<key>", methods=["GET", "POST"])
def subscribe(key: str):
    newsletter = Newsletter.get_or_none(Newsletter.public_key == key[:32])
    if newsletter is None:
        abort(404)
    values, errors, done, status = {}, {}, False, 200
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("email", "name")}
        errors = _signup_errors(values["email"], values["name"])
        if not errors and not newsletters.signup_allowed(newsletter.id, request.remote_addr or ""):
            errors["email"] = _("Too many sign-ups from here just now. Try again in a few minutes.")
            status = 429
        if errors:
            status = status if status == 429 else 422
        else:
            locale = request.accept_languages.best_match(LANGUAGES) or "en"
            newsletters.subscribe(newsletter, values["email"], name=values["name"], source="form", locale=locale)
            done = True
    page = render_template(
        "public/newsletter_subscribe.html",
        newsletter=newsletter,
        org=newsletter.organization,
        values=values,
        errors=errors,
        done=done,
    )
    return page, status, _HEADERS


@bp.route("/n/u/<token>", methods=["GET", "POST"])
@csrf.exempt  # the token in the URL is the secret; the page only ever turns mail off
def unsubscribe(token: str):
    subscription = newsletters.by_token(token)
    if subscription is None:
        return render_template("public/newsletter_unsubscribe.html", subscription=None), 404, _HEADERS
    done = False
    if request.method == "POST":
        newsletters.unsubscribe(subscription)
        done = True
    page = render_template(
        "public/newsletter_unsubscribe.html",
        subscription=subscription,
        newsletter=Newsletter.get_by_id(subscription.newsletter_id),
        contact=Contact.get_by_id(subscription.contact_id),
        done=done or subscription.state == "unsubscribed",
        token=token,
    )
    return page, 200, _HEADERS
