"""Accounts: users, organizations, memberships, sign-in."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from flask import render_template
from werkzeug.security import check_password_hash, generate_password_hash

from webapp import signals
from webapp.accounts import audit, emails
from webapp.accounts.models import (
    LoginAttempt,
    Membership,
    Organization,
    PasswordReset,
    PasswordResetRequest,
    User,
)
from webapp.db import db, utcnow
from webapp.extensions import LANGUAGES
from webapp.i18n import _, stored_text
from webapp.storage import storage
from webapp.timeutil import zone
from webapp.uploads import LOGO_MOST_SIDE, ImageRefused, checked_image

# A hash that costs as much to check as a real one, so unknown emails take as long as wrong passwords.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")
LOGIN_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT_FROM_ADDRESS = 5
MAX_FAILURES_PER_ADDRESS = 20
ACCOUNT_UNDER_ATTACK = 10


class AccountError(ValueError):
    """A rule of accounts was broken; `field` names the form field to show it beside."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60] or "org"


def set_language(user: User, language: str | None) -> None:
    """The language the console and the door speak to this user (None: the browser's)."""
    if language not in (None, *LANGUAGES):
        raise AccountError(_("Choose English or Bahasa Indonesia."), "language")
    User.update(language=language).where(User.id == user.id).execute()
    user.language = language


def unique_org_slug(name: str) -> str:
    base = slugify(name)
    slug, n = base, 1
    while Organization.select().where(Organization.slug == slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_user(email: str, name: str, password: str) -> User:
    email = normalize_email(email)
    if User.select().where(User.email == email).exists():
        raise AccountError(_("An account with this email already exists."), "email")
    return User.create(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        session_token=secrets.token_hex(16),
    )


def create_organization(
    name: str, owner: User, *, slug: str | None = None, timezone: str = "UTC", currency: str = "IDR"
) -> Organization:
    with db.atomic():
        org = Organization.create(
            name=name.strip(), slug=slug or unique_org_slug(name), timezone=timezone, currency=currency
        )
        Membership.create(user=owner, organization=org, role="owner")
        signals.emit(signals.organization_created, organization_id=org.id)
    return org


def set_password(user: User, password: str) -> None:
    """New password; every other session of the user ends (the session token changes) and every
    reset link still open dies with the old password."""
    with db.atomic():
        user.password_hash = hash_password(password)
        user.session_token = secrets.token_hex(16)
        user.save()
        PasswordReset.update(used_at=utcnow()).where(
            (PasswordReset.user == user.id) & PasswordReset.used_at.is_null()
        ).execute()


def login_blocked(email: str, ip: str) -> bool:
    """Whether sign-in attempts for this account from this address are refused for now (the
    password is then not even checked). The limits lock out the guesser, never the owner:

    - an address with 20 failed attempts in the last 15 minutes, on any accounts, is refused;
    - an address with 5 failures on this account in that window is refused for this account;
    - an account with 10 failures in the window, from all addresses together, is being guessed
      from many addresses: each address that has failed on it even once is then refused for it,
      so a guesser gets one try per address per 15 minutes instead of five.

    The owner, signing in from an address that has not failed on the account, is never refused:
    the right password still works. Failures are counted by client address; behind a reverse
    proxy that address comes from ROLLCALL_TRUSTED_PROXIES (see config.py)."""
    since = utcnow() - LOGIN_WINDOW
    failures = LoginAttempt.select().where((LoginAttempt.at >= since) & (LoginAttempt.succeeded == False))  # noqa: E712
    if failures.where(LoginAttempt.ip == ip).count() >= MAX_FAILURES_PER_ADDRESS:
        return True
    on_account = failures.where(LoginAttempt.email == normalize_email(email))
    from_here = on_account.where(LoginAttempt.ip == ip).count()
    if from_here >= MAX_FAILURES_PER_ACCOUNT_FROM_ADDRESS:
        return True
    return from_here > 0 and on_account.count() >= ACCOUNT_UNDER_ATTACK


def authenticate(email: str, password: str, ip: str) -> User:
    """The user with these credentials, or AccountError. Every attempt is recorded."""
    email = normalize_email(email)
    if login_blocked(email, ip):
        raise AccountError(_("Too many failed attempts. Wait 15 minutes or reset your password."))
    user = User.get_or_none(User.email == email)
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    ok = bool(user and valid and user.is_active)
    LoginAttempt.create(email=email, ip=ip, succeeded=ok)
    if not ok:
        raise AccountError(_("Email or password is not right."))
    user.last_login_at = utcnow()
    user.save(only=[User.last_login_at])
    return user


def membership(user_id: int, org_id: int) -> Membership | None:
    return Membership.get_or_none((Membership.user == user_id) & (Membership.organization == org_id))


# --- sign-up --------------------------------------------------------------------------------------


def sign_up(*, name: str, email: str, password: str, org_name: str, timezone: str, currency: str) -> User:
    """A new user and a new organization they own, in one transaction."""
    with db.atomic():
        user = create_user(email, name, password)
        create_organization(org_name, user, timezone=timezone, currency=currency)
    return user


# --- password reset -------------------------------------------------------------------------------

RESET_LIFETIME = dt.timedelta(hours=1)
RESET_WINDOW = dt.timedelta(hours=1)
MAX_RESETS_PER_ACCOUNT = 3
MAX_RESETS_PER_ADDRESS = 10


# Sign-in and reset records are kept this long: long enough to read an incident back, far longer
# than any limit above counts them.
SIGN_IN_RECORDS_KEPT = dt.timedelta(days=30)


def prune_sign_in_records(now: dt.datetime | None = None) -> int:
    """Delete sign-in attempts and reset requests older than SIGN_IN_RECORDS_KEPT, and reset links
    that expired that long ago; returns how many rows went. Without it these tables only grow."""
    cutoff = (now or utcnow()) - SIGN_IN_RECORDS_KEPT
    with db.atomic():
        gone = LoginAttempt.delete().where(LoginAttempt.at < cutoff).execute()
        gone += PasswordResetRequest.delete().where(PasswordResetRequest.at < cutoff).execute()
        gone += PasswordReset.delete().where(PasswordReset.expires_at < cutoff).execute()
    return gone


def request_password_reset(email: str, link_for, ip: str = "") -> None:
    """Email a one-time reset link if the account exists; says nothing either way (no account
    discovery). At most 3 reset emails an hour go to one account and 10 requests an hour from
    one address are served: beyond that nothing is sent, and the caller answers as usual.
    `link_for(token)` builds the absolute URL."""
    email = normalize_email(email)
    since = utcnow() - RESET_WINDOW
    from_address = PasswordResetRequest.select().where(
        (PasswordResetRequest.ip == ip) & (PasswordResetRequest.at >= since)
    )
    if from_address.count() >= MAX_RESETS_PER_ADDRESS:
        return
    PasswordResetRequest.create(email=email[:254], ip=ip)
    user = User.get_or_none((User.email == email) & (User.is_active == True))  # noqa: E712
    if user is None:
        return
    recent = PasswordReset.select().where((PasswordReset.user == user.id) & (PasswordReset.created_at >= since))
    if recent.count() >= MAX_RESETS_PER_ACCOUNT:
        return
    token = secrets.token_urlsafe(32)
    with db.atomic():
        PasswordReset.create(user=user, token_hash=hash_token(token), expires_at=utcnow() + RESET_LIFETIME)
        emails.send(
            kind="password_reset",
            to_email=user.email,
            to_name=user.name,
            subject="Reset your Rollcall password",
            text_body=render_template("email/accounts/password_reset.txt", user=user, link=link_for(token), minutes=60),
            html_body=render_template(
                "email/accounts/password_reset.html", user=user, link=link_for(token), minutes=60
            ),
        )


def valid_reset(token: str) -> PasswordReset | None:
    reset = PasswordReset.get_or_none(PasswordReset.token_hash == hash_token(token))
    if reset is None or reset.used_at is not None or reset.expires_at < utcnow():
        return None
    return reset


def reset_password(token: str, password: str) -> User:
    with db.atomic():
        reset = valid_reset(token)
        if reset is None:
            raise AccountError(_("This link has expired or was already used. Ask for a new one."))
        claimed = (
            PasswordReset.update(used_at=utcnow())
            .where((PasswordReset.id == reset.id) & PasswordReset.used_at.is_null())
            .execute()
        )
        if not claimed:
            raise AccountError(_("This link has expired or was already used. Ask for a new one."))
        user = reset.user
        set_password(user, password)  # every other reset link of the user dies here too
        LoginAttempt.delete().where(LoginAttempt.email == user.email).execute()
    return user


# --- organization settings ------------------------------------------------------------------------

LOGO_TYPES = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
MAX_LOGO_BYTES = 2 * 1024 * 1024


def update_organization(org: Organization, fields: dict, *, actor: User) -> dict:
    """Save name, timezone, currency, brand colour, reply-to and mail tracking; returns the changes."""

    zone(fields["timezone"])  # raises ValueError for an unknown zone
    with db.atomic():
        changes = audit.diff(org, fields)
        if changes:
            org.save()
            audit.record(
                org.id, "organization.update", user=actor, target=org, summary=stored_text("settings"), changes=changes
            )
            if changes.keys() & {"name", "brand_color"}:
                signals.organization_look_changed.send(org.id)
    return changes


def store_logo(org: Organization, data: bytes, *, actor: User) -> str:
    """Check that `data` is a PNG, JPEG or WebP image of sensible size and keep it as the logo."""

    if len(data) > MAX_LOGO_BYTES:
        raise AccountError(_("The logo must be at most 2 MB."), "logo")
    try:
        kind = checked_image(data, most_side=LOGO_MOST_SIDE)
    except ImageRefused as refused:
        if refused.too_large:
            raise AccountError(_("The logo must be at most 4000×4000 pixels."), "logo") from None
        raise AccountError(_("The logo must be a PNG, JPEG or WebP image."), "logo") from None
    if kind not in LOGO_TYPES:
        raise AccountError(_("The logo must be a PNG, JPEG or WebP image."), "logo")
    relative = f"uploads/org-{org.id}/logo-{secrets.token_hex(6)}.{LOGO_TYPES[kind]}"
    storage().write(relative, data)  # a storage key (webapp/storage.py)
    with db.atomic():
        org.logo_path = relative
        org.save()
        audit.record(org.id, "organization.logo", user=actor, target=org, summary=stored_text("new logo"))
        signals.organization_look_changed.send(org.id)
    return relative
