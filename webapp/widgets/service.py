"""Website widgets: which websites may frame an organization's forms, the signed token that
stands for CSRF protection inside a framed form (no session cookie reaches a third-party frame),
and the self check-in kiosk, which admits by the door's own redeem rules."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

from webapp.accounts import audit
from webapp.accounts.models import Organization, User
from webapp.checkin import service as checkin
from webapp.db import db, utcnow
from webapp.email_address import is_valid_email
from webapp.events.models import Event
from webapp.guards import has_control_characters
from webapp.i18n import stored_text
from webapp.orders.models import Registrant
from webapp.runtime import settings
from webapp.widgets.models import EventWidget, WidgetSettings
from webapp.widgets.origins import parse_origins

SELF_CHECKIN_GATE = "self check-in"
TOKEN_MAX_AGE = 6 * 3600  # a form left open for an afternoon still goes through
MAX_REGISTRANTS_PER_EMAIL = 10  # one address may hold the tickets of a family


def allowed_origins(org_id: int) -> list[str]:
    """The origins whose pages may frame the organization's widgets (empty: none)."""
    row = WidgetSettings.get_or_none(WidgetSettings.organization == org_id)
    return list(row.origins) if row else []


def save_origins(org: Organization, text: str, *, actor: User | None) -> list[str]:
    """Replace the allow-list with the origins written in `text`; raises OriginError."""
    origins = parse_origins(text)
    with db.atomic():
        row = WidgetSettings.get_or_none(WidgetSettings.organization == org.id)
        before = list(row.origins) if row else []
        if row is None:
            row = WidgetSettings.create(organization=org.id, origins=origins, updated_by=actor)
        else:
            row.origins, row.updated_by, row.updated_at = origins, actor, utcnow()
            row.save()
        if before != origins:
            audit.record(
                org.id, "widgets.origins", user=actor, target=row,
                summary=stored_text("Websites allowed to frame widgets: %(origins)s", origins=", ".join(origins)) if origins else stored_text("No website may frame widgets"),
                changes={"origins": [before, origins]},
            )  # fmt: skip
    return origins


def self_checkin_enabled(event: Event) -> bool:
    row = EventWidget.get_or_none(EventWidget.event == event.id)
    return bool(row and row.self_checkin)


def set_self_checkin(event: Event, enabled: bool, *, actor: User | None) -> bool:
    """Turn the event's self check-in form on or off; True when that changed anything."""
    with db.atomic():
        row = EventWidget.get_or_none(EventWidget.event == event.id)
        if row is not None and row.self_checkin == enabled:
            return False
        if row is None:
            row = EventWidget.create(
                organization=event.organization_id, event=event.id, self_checkin=enabled, updated_by=actor
            )
        else:
            row.self_checkin, row.updated_by, row.updated_at = enabled, actor, utcnow()
            row.save()
        audit.record(
            event.organization_id, "widgets.self_checkin", user=actor, target=event,
            summary=stored_text("Self check-in %(state)s for “%(event)s”", state=stored_text("on") if enabled else stored_text("off"), event=event.name),
            changes={"self_checkin": [not enabled, enabled]},
        )  # fmt: skip
    return True


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().secret_key, salt="rollcall.widget-form")


def form_token(kind: str, subject: int, nonce: str = "") -> str:
    """The token a framed form carries instead of a session's CSRF token: it names the form
    (`kind`), what it acts on (an event or an order id) and, for checkout, its checkout token."""
    return _serializer().dumps([kind, subject, nonce])


def token_valid(token: str, kind: str, subject: int, nonce: str = "") -> bool:
    try:
        value = _serializer().loads(token or "", max_age=TOKEN_MAX_AGE)
    except BadSignature:  # SignatureExpired is one
        return False
    return value == [kind, subject, nonce]


def self_checkin(event: Event, text: str) -> bool:
    """Check in the registrant(s) named by `text` (an email address or a ticket code) at the
    self check-in gate, by the door's rules. True: checked in (now or earlier). False tells
    nothing more: unknown, canceled, unpaid and not-yet all look alike to the kiosk."""
    text = (text or "").strip()
    if not text or len(text) > checkin.SECRET_MAX * 4 or has_control_characters(text):
        return False
    if "@" in text:
        if not is_valid_email(text.lower()):
            return False
        rows = (
            Registrant.select(Registrant.ticket_secret)
            .where((Registrant.event == event.id) & (Registrant.email == text.lower()))
            .order_by(Registrant.id)
            .limit(MAX_REGISTRANTS_PER_EMAIL)
        )
        secrets = [row.ticket_secret for row in rows]
    else:
        secrets = [text]
    admitted = False
    for secret in secrets:
        answer = checkin.redeem(event, secret, gate=SELF_CHECKIN_GATE)
        admitted = admitted or answer.ok or answer.reason == "already_checked_in"
    return admitted
