"""The public event page (/e/<org>/<event>), its calendar file and cover images."""

from __future__ import annotations

import datetime
import functools
import gzip
import re

from flask import Blueprint, abort, current_app, g, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.http import http_date, parse_accept_header, parse_etags, quote_etag

from webapp import sessions
from webapp.events import calendar, covers, i18n, page_cache, service
from webapp.events.models import Event
from webapp.events.text import localized, plain_text, render_markdown
from webapp.orders import checkout, seo
from webapp.orders.codes import new_checkout_token
from webapp.orders.offers import public_offers
from webapp.payments.checkout_page import CheckoutPage
from webapp.runtime import settings
from webapp.storage import download

bp = Blueprint("events_public", __name__)

COVER_NAME = re.compile(r"^[A-Za-z0-9_-]{10,64}\.(jpg|png|webp)$")


def _member_org_ids() -> set[int]:
    if not current_user.is_authenticated:
        return set()
    return {m.organization_id for m in g.get("memberships") or []}


def _visible(event: Event | None) -> Event:
    """The event if this visitor may see its page, else 404 (drafts exist only for members)."""
    if event is None or not service.is_visible(event, _member_org_ids()):
        abort(404)
    return event


def absolute(path: str) -> str:
    return settings().base_url + path


def landing_path(event: Event, **params) -> str:
    return url_for("events_public.landing", org_slug=event.organization.slug, event_slug=event.slug, **params)


@bp.app_template_global()
def event_text(obj, field: str) -> str:
    """An operator text in the page's language (templates: {{ event_text(product, "name") }})."""
    return localized(obj, field, i18n.current_locale())


@bp.app_template_filter("event_datetime")
def _event_datetime(value, event: Event) -> str:
    return i18n.local_datetime_text(value, event.timezone)


@bp.app_template_filter("event_when")
def _event_when(event: Event) -> str:
    return i18n.event_when(event)


@bp.route("/e/<org_slug>/<event_slug>")
def landing(org_slug: str, event_slug: str):
    event = _visible(service.page_events().find(org_slug, event_slug))
    locale = i18n.apply_event_locale(event)

    def render(csrf_mark: str | None = None, token_mark: str | None = None) -> str:
        # A page is made from the event read afresh: the copy this process keeps decides who
        # sees which page, and its version says whether a cached page is still the page.
        fresh = service.find_public_event(org_slug, event_slug) or event
        return _page(fresh, locale, csrf_mark, token_mark)

    if _shared_page(event):
        return _answer(page_cache.pages().get(event.id, locale, event.page_version, render), locale)
    response = current_app.make_response(render())
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Language"] = locale
    response.vary.update(("Cookie", "Accept-Language"))
    if event.status == "draft":
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _shared_page(event: Event) -> bool:
    """Whether this visitor sees the page everybody sees (it is then served from the cache): not
    a signed-in member, no secret product link or form values in the address, nothing flashed."""
    return (
        event.status in ("published", "closed")
        and set(request.args) <= {i18n.LOCALE_PARAM}
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def _answer(entry: page_cache.Entry, locale: str):
    """The cached page with this visitor's tokens in it, or 304 when the visitor's copy is
    still good (the same page, for this session, with a checkout token not used yet).
    If-Modified-Since alone is not enough for a 304: a copy's tokens are checked by its ETag.
    Its headers are given at once (each one set on a response looks the others through)."""
    session_tag = page_cache.session_tag(session.get("csrf_token"))
    tags = parse_etags(request.headers.get("If-None-Match")).as_set(include_weak=True)
    kept = page_cache.matching_copy(entry, tags, session_tag, lambda token: checkout.existing_order(token) is None)
    headers = [
        ("Last-Modified", _http_date(entry.last_modified)),
        ("Cache-Control", "private, no-cache"),  # each copy holds its visitor's tokens
        ("Content-Language", locale),
        ("Vary", PAGE_VARY),
    ]
    if kept is not None:
        headers.append(("ETag", quote_etag(kept, weak=True)))
        return current_app.response_class(status=304, headers=headers)
    csrf_token = sessions.csrf_token()
    token = new_checkout_token() if entry.has_form else ""
    if _accepts_gzip(request.headers.get("Accept-Encoding")):
        # Compressed once per page, not per answer (Flask-Compress leaves an encoded body be).
        body = entry.gzipped(csrf_token, token)
        headers.append(("Content-Encoding", "gzip"))
    else:
        body = entry.fill(csrf_token, token)
    etag = page_cache.etag(entry, token, page_cache.session_tag(session.get("csrf_token")))
    headers += (("ETag", quote_etag(etag, weak=True)), ("Content-Type", "text/html; charset=utf-8"))
    return current_app.response_class(body, headers=headers)


# What the shared page depends on besides its address: the session (its tokens), the language
# asked for, and the encoding (said here, so Flask-Compress need not add it).
PAGE_VARY = "Cookie, Accept-Language, Accept-Encoding"


@functools.lru_cache(maxsize=64)
def _http_date(timestamp: float) -> str:
    return http_date(datetime.datetime.fromtimestamp(timestamp, datetime.UTC))


@functools.lru_cache(maxsize=256)
def _accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding header takes gzip (parsed once per header: browsers send a few)."""
    return bool(parse_accept_header(header)["gzip"])


def _page(event: Event, locale: str, csrf_mark: str | None = None, token_mark: str | None = None) -> str:
    """The landing page; with marks, for nobody: they stand where a visitor's CSRF token and
    checkout token go (webapp/events/page_cache.py)."""
    org = event.organization
    access_key = request.args.get("product") or None
    state = service.registration_state(event)
    offers = public_offers(event, locale=locale, access_key=access_key, group_key=request.args.get("group"))
    url = absolute(landing_path(event))
    image_url = absolute(url_for("events_public.cover", name=event.cover_image)) if event.cover_image else None
    description = localized(event, "summary", locale) or plain_text(localized(event, "description_md", locale), 200)
    checkout_page = CheckoutPage.from_request(event) if state == "open" else None
    if checkout_page is not None and token_mark:
        checkout_page.token = token_mark
    context = {
        "event": event,
        "org": org,
        "locale": locale,
        "languages": [
            (code, service.LANGUAGES.get(code, code), landing_path(event, lang=code, product=access_key))
            for code in i18n.event_languages(event)
        ],
        "name": localized(event, "name", locale),
        "summary": localized(event, "summary", locale),
        "description_html": render_markdown(localized(event, "description_md", locale)),
        "meta_description": description,
        "when": i18n.event_when(event, locale),
        "offers": offers,
        "access_key": access_key,
        "registration_state": state,
        "show_register_form": state == "open",
        "checkout": checkout_page,
        "is_preview": event.status == "draft",
        "canonical_url": url,
        "image_url": image_url,
        "ics_url": landing_path(event).rstrip("/") + "/calendar.ics",
        "google_calendar_url": calendar.google_calendar_url(event, url, locale),
        "json_ld": seo.event_json_ld(event, org, offers, url=url, image_url=image_url, locale=locale),
    }
    if csrf_mark is None:
        return render_template("public/events/landing.html", **context)
    own_token = g.pop("csrf_token", None)  # generate_csrf() answers g.csrf_token within a request
    g.csrf_token = csrf_mark
    try:
        return render_template("public/events/landing.html", **context)
    finally:
        g.pop("csrf_token", None)
        if own_token is not None:
            g.csrf_token = own_token


@bp.route("/e/<org_slug>/<event_slug>/calendar.ics")
def calendar_file(org_slug: str, event_slug: str):
    """The event's .ics, made once per (event, language, page version) in each process: every
    change the file shows bumps the version, as for the page."""
    event = _visible(service.page_events().find(org_slug, event_slug))
    locale = i18n.apply_event_locale(event)
    files = current_app.extensions.get("rollcall_calendar_files")
    if files is None:
        files = current_app.extensions.setdefault("rollcall_calendar_files", {})
    known = (event.id, locale)
    version = (event.page_version, org_slug, event_slug)
    kept = files.get(known)
    if kept is None or kept[0] != version:
        fresh = service.find_public_event(org_slug, event_slug) or event  # as the page: made from the row read afresh
        body = calendar.ics(fresh, absolute(landing_path(fresh)), locale)
        if len(files) >= CALENDAR_FILES_KEPT:
            files.clear()
        kept = files[known] = (version, body, gzip.compress(body, GZIP_LEVEL, mtime=0))
    headers = [
        ("Content-Type", "text/calendar; charset=utf-8; method=PUBLISH"),
        ("Content-Disposition", f'attachment; filename="{event.slug}.ics"'),
        ("Vary", PAGE_VARY),
    ]
    if _accepts_gzip(request.headers.get("Accept-Encoding")):
        headers.append(("Content-Encoding", "gzip"))  # compressed once (Flask-Compress leaves it be)
        return current_app.response_class(kept[2], headers=headers)
    return current_app.response_class(kept[1], headers=headers)


CALENDAR_FILES_KEPT = 2000  # (event, language) pairs a process keeps; past that it starts again
GZIP_LEVEL = 6  # as Flask-Compress's COMPRESS_LEVEL


@bp.route("/media/covers/<name>")
def cover(name: str):
    if not COVER_NAME.match(name):
        abort(404)
    try:
        return download(covers.cover_key(name), covers.content_type(name), cache="public, max-age=31536000, immutable")
    except FileNotFoundError:
        abort(404)
