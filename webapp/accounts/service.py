"""Accounts: users, organizations, memberships, sign-in."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from webapp.accounts.models import LoginAttempt, Membership, Organization, User
from webapp.db import db, utcnow

# A hash that costs as much to check as a real one, so unknown emails take as long as wrong passwords.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")
LOGIN_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


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
        raise AccountError("An account with this email already exists.", "email")
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
    return org


def set_password(user: User, password: str) -> None:
    """New password; every other session of the user ends (the session token changes)."""
    user.password_hash = hash_password(password)
    user.session_token = secrets.token_hex(16)
    user.save()


def login_blocked(email: str, ip: str) -> bool:
    """Too many failed attempts for this account or from this address in the last 15 minutes."""
    since = utcnow() - LOGIN_WINDOW
    failures = LoginAttempt.select().where((LoginAttempt.at >= since) & (LoginAttempt.succeeded == False))  # noqa: E712
    by_account = failures.where(LoginAttempt.email == normalize_email(email)).count()
    by_address = failures.where(LoginAttempt.ip == ip).count()
    return by_account >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS


def authenticate(email: str, password: str, ip: str) -> User:
    """The user with these credentials, or AccountError. Every attempt is recorded."""
    email = normalize_email(email)
    if login_blocked(email, ip):
        raise AccountError("Too many failed attempts. Wait 15 minutes or reset your password.")
    user = User.get_or_none(User.email == email)
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    ok = bool(user and valid and user.is_active)
    LoginAttempt.create(email=email, ip=ip, succeeded=ok)
    if not ok:
        raise AccountError("Email or password is not right.")
    user.last_login_at = utcnow()
    user.save(only=[User.last_login_at])
    return user


def membership(user_id: int, org_id: int) -> Membership | None:
    return Membership.get_or_none((Membership.user == user_id) & (Membership.organization == org_id))
