"""Users, organizations, memberships and API keys."""

from __future__ import annotations

import peewee as pw

from webapp.db import BaseModel, JSONField, OrgScoped, utcnow

# "member": no organization-wide rights; reaches only the events granted to them (EventGrant).
ROLES = ("member", "door", "manager", "admin", "owner")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}


class User(BaseModel):
    email = pw.CharField(max_length=254, unique=True)  # normalized: stripped, lower-case
    name = pw.CharField(max_length=200)
    password_hash = pw.CharField(max_length=255)
    # Changes on password change/reset: every other session of the user ends.
    session_token = pw.CharField(max_length=64)
    is_active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)
    last_login_at = pw.DateTimeField(null=True)
    language = pw.CharField(max_length=8, null=True)  # console and door: "en", "id"; None: the browser's

    # Flask-Login protocol
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"


class Organization(BaseModel):
    name = pw.CharField(max_length=200)
    slug = pw.CharField(max_length=80, unique=True)
    timezone = pw.CharField(max_length=64, default="UTC")
    currency = pw.CharField(max_length=3, default="IDR")
    brand_color = pw.CharField(max_length=7, default="#1d4ed8")
    logo_path = pw.CharField(max_length=255, null=True)
    reply_to = pw.CharField(max_length=254, null=True)
    track_mail = pw.BooleanField(default=True)  # open pixel and click-tracked links in contacts' mail
    postal_address = pw.TextField(default="", constraints=[pw.SQL("DEFAULT ''")])  # in campaign footers
    engagement_window_days = pw.IntegerField(default=7, constraints=[pw.SQL("DEFAULT 7")])  # then reported
    campaign_rate_per_minute = pw.IntegerField(default=6000, constraints=[pw.SQL("DEFAULT 6000")])
    campaign_failure_limit = pw.IntegerField(default=10, constraints=[pw.SQL("DEFAULT 10")])  # pause after
    created_at = pw.DateTimeField(default=utcnow)


class Membership(BaseModel):
    user = pw.ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    organization = pw.ForeignKeyField(Organization, backref="memberships", on_delete="CASCADE")
    role = pw.CharField(max_length=16, choices=[(r, r) for r in ROLES])
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "organization"), True),)

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


class MemberInvitation(OrgScoped):
    organization = pw.ForeignKeyField(Organization, backref="invitations", on_delete="CASCADE")
    email = pw.CharField(max_length=254)
    role = pw.CharField(max_length=16)
    token_hash = pw.CharField(max_length=64, unique=True)
    invited_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()
    accepted_at = pw.DateTimeField(null=True)
    revoked_at = pw.DateTimeField(null=True)


# Per-event grants, beside the organization role. What each allows is in webapp.accounts.access.
GRANT_ROLES = ("manager", "staff", "door", "guide")


class EventGrant(OrgScoped):
    """A member's role on one event of the organization. The event is a plain id: events live in
    a domain above accounts (the grant goes when the event's organization goes)."""

    organization = pw.ForeignKeyField(Organization, backref="event_grants", on_delete="CASCADE")
    event_id = pw.IntegerField()
    user = pw.ForeignKeyField(User, backref="event_grants", on_delete="CASCADE")
    role = pw.CharField(max_length=16, choices=[(r, r) for r in GRANT_ROLES])
    granted_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("event_id", "user"), True), (("organization", "user"), False))


class PasswordReset(BaseModel):
    user = pw.ForeignKeyField(User, backref="password_resets", on_delete="CASCADE")
    token_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)


class PasswordResetRequest(BaseModel):
    """A reset email asked for, whether or not the account exists: what the per-address limit
    on reset emails counts."""

    email = pw.CharField(max_length=254)
    ip = pw.CharField(max_length=64, index=True)
    at = pw.DateTimeField(default=utcnow, index=True)


class LoginAttempt(BaseModel):
    email = pw.CharField(max_length=254, index=True)
    ip = pw.CharField(max_length=64, index=True)
    succeeded = pw.BooleanField()
    at = pw.DateTimeField(default=utcnow, index=True)


class ApiKey(OrgScoped):
    organization = pw.ForeignKeyField(Organization, backref="api_keys", on_delete="CASCADE")
    name = pw.CharField(max_length=100)
    prefix = pw.CharField(max_length=16)  # shown in lists so a key can be recognised
    key_hash = pw.CharField(max_length=64, unique=True)  # SHA-256 of the whole key
    read_only = pw.BooleanField(default=False)
    created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)
    last_used_at = pw.DateTimeField(null=True)
    revoked_at = pw.DateTimeField(null=True)


class ApiKeyPolicy(BaseModel):
    """What a key may do beyond read-only: its scopes (empty: all) and its own rate limit."""

    api_key = pw.ForeignKeyField(ApiKey, unique=True, on_delete="CASCADE")
    scopes = JSONField(default=list)
    requests_per_minute = pw.IntegerField(null=True)  # None: the default limit
    updated_at = pw.DateTimeField(default=utcnow)
