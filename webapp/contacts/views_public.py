"""The public pages of the Contact Book: confirming a subscription (/s/<token>, double opt-in)
and unsubscribing (/u/<token>).

The unsubscribe page: /u/<token>. GET shows a confirm button (mail scanners that follow
links must not unsubscribe anyone); POST unsubscribes, including the one-click POST a mail client
sends for a List-Unsubscribe-Post header (RFC 8058), which carries no CSRF token."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from webapp.contacts import newsletters, service, subscriptions
from webapp.contacts.models import Contact
from webapp.contacts.newsletter_models import Newsletter
from webapp.extensions import csrf

bp = Blueprint("contacts_public", __name__)


@bp.route("/u/<token>", methods=["GET", "POST"])
@csrf.exempt  # the token in the URL is the secret; the page only ever turns mail off
def unsubscribe(token: str):
    contact = Contact.get_or_none(Contact.unsubscribe_token == token)
    if contact is None:
        return render_template("public/contacts_unsubscribe.html", contact=None), 404
    done = False
    if request.method == "POST":
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        service.unsubscribe(contact, via="one-click" if one_click else "link")
        done = True
    headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    return (
        render_template("public/contacts_unsubscribe.html", contact=contact, done=done, org=contact.organization),
        200,
        headers,
    )


@bp.route("/s/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the secret; the page only ever confirms what the person asked for
def confirm_subscription(token: str):
    """GET asks for a click (mail scanners follow links); POST confirms: pending -> active, or a
    newsletter subscription pending -> confirmed."""
    found = subscriptions.confirmation_for(token)
    subscription = newsletter = None
    if found is not None and found[1] is not None:
        subscription = newsletters.subscription_of(found[1], found[0].id)
        newsletter = Newsletter.get_or_none(Newsletter.id == found[1]) if subscription else None
        found = found if newsletter is not None else None
    if found is None:
        return render_template("public/contacts_confirm.html", contact=None), 404
    contact = found[0]
    done = False
    if request.method == "POST":
        if subscription is not None:
            newsletters.confirm(subscription)
            subscription = newsletters.subscription_of(newsletter.id, contact.id)
        else:
            subscriptions.confirm(contact)
        done = True
    headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    page = render_template(
        "public/contacts_confirm.html",
        contact=contact,
        token=token,
        done=done,
        org=contact.organization,
        newsletter=newsletter,
        subscription=subscription,
    )
    return page, 200, headers
