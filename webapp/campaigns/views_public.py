"""The unsubscribe link of campaign messages: /m/u/<token>. GET asks for a click (mail scanners
follow links); POST unsubscribes, including a mail client's one-click POST (RFC 8058), which has
no session and no CSRF token: the signed token is the secret."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from webapp.campaigns import unsubscribe as unsubscribing
from webapp.extensions import csrf

bp = Blueprint("campaigns_public", __name__)

_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@bp.route("/m/u/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the secret; the page only ever turns mail off
def unsubscribe(token: str):
    found = unsubscribing.contact_for(token)
    if found is None:
        return render_template("public/contacts_unsubscribe.html", contact=None), 404, _HEADERS
    contact, row = found
    newsletter = unsubscribing.newsletter_of(row)
    done = False
    if request.method == "POST":
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        contact = unsubscribing.unsubscribe(token, one_click=one_click) or contact
        done = True
    if newsletter is not None:
        page = render_template(
            "public/newsletter_unsubscribe.html",
            subscription=row,
            newsletter=newsletter,
            contact=contact,
            done=done,
            action=url_for("campaigns_public.unsubscribe", token=token),
        )
        return page, 200, _HEADERS
    page = render_template(
        "public/contacts_unsubscribe.html",
        contact=contact,
        done=done,
        org=contact.organization,
        action=url_for("campaigns_public.unsubscribe", token=token),
    )
    return page, 200, _HEADERS
