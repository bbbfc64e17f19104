"""Sign-in, sign-out, rate limits, CSRF, sign-up, password reset."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories.accounts import PASSWORD, make_member, make_org, make_user
from webapp.accounts.models import (
    LoginAttempt,
    Membership,
    Organization,
    PasswordReset,
    PasswordResetRequest,
    User,
)
from webapp.accounts.service import prune_sign_in_records
from webapp.db import utcnow
from webapp.mail.models import Outbox


def test_login_with_right_password_opens_the_console(client, app):
    owner = make_user(email="ana@example.org")
    make_org("Ana Events", owner=owner)
    response = client.post("/login", data={"email": "ANA@example.org ", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/console/", follow_redirects=True)
    assert page.status_code == 200 and b"Ana Events" in page.data


def test_wrong_password_is_refused_without_saying_which_part(client):
    make_user(email="ana@example.org")
    response = client.post("/login", data={"email": "ana@example.org", "password": "nope nope nope"})
    assert response.status_code == 422
    assert b"Email or password is not right" in response.data
    unknown = client.post("/login", data={"email": "nobody@example.org", "password": "nope nope nope"})
    assert b"Email or password is not right" in unknown.data


def _login(app, email: str, password: str, address: str, **headers):
    return app.test_client().post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}, headers=headers
    )


def test_five_wrong_passwords_lock_out_the_guessers_address_not_the_owner(app):
    make_user(email="ana@example.org")
    for _ in range(5):
        _login(app, "ana@example.org", "wrong password", "203.0.113.66")
    guesser = _login(app, "ana@example.org", PASSWORD, "203.0.113.66")
    assert guesser.status_code == 422 and b"Too many failed attempts" in guesser.data
    assert _login(app, "ana@example.org", PASSWORD, "198.51.100.7").status_code == 302


def test_guessing_from_many_addresses_slows_to_one_try_each_and_the_owner_still_signs_in(app):
    make_user(email="ana@example.org")
    for n in range(10):
        _login(app, "ana@example.org", f"guess {n} guess", f"203.0.113.{n}")
    # Each address that failed is refused now, even with the right password...
    assert b"Too many failed attempts" in _login(app, "ana@example.org", PASSWORD, "203.0.113.3").data
    # ...a new address gets one try...
    assert b"Email or password is not right" in _login(app, "ana@example.org", "guess again", "203.0.113.99").data
    assert b"Too many failed attempts" in _login(app, "ana@example.org", "guess more", "203.0.113.99").data
    # ...and the owner, from an address that never failed, signs in.
    assert _login(app, "ana@example.org", PASSWORD, "198.51.100.7").status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_limited(database_url, tmp_path):
    from tests.conftest import make_test_app

    for hops, owner_signs_in in (("1", True), ("0", False)):
        app = make_test_app(tmp_path / hops, database_url, ENVIRON={"ROLLCALL_TRUSTED_PROXIES": hops})
        with app.app_context():
            LoginAttempt.delete().execute()
            if User.get_or_none(User.email == "ana@example.org") is None:
                make_user(email="ana@example.org")
            for _ in range(5):
                _login(app, "ana@example.org", "wrong password", "10.0.0.1", **{"X-Forwarded-For": "203.0.113.66"})
            owner = _login(app, "ana@example.org", PASSWORD, "10.0.0.1", **{"X-Forwarded-For": "198.51.100.7"})
            # Without the setting the header is ignored: everyone is the proxy's one address.
            assert (owner.status_code == 302) is owner_signs_in


def test_login_is_rate_limited_per_address(app):
    # Twenty failures from one address within the window (across many accounts)...
    for n in range(20):
        LoginAttempt.create(email=f"u{n}@example.org", ip="127.0.0.1", succeeded=False)
    fresh = make_user(email="fresh@example.org")
    response = app.test_client().post("/login", data={"email": fresh.email, "password": PASSWORD})
    assert b"Too many failed attempts" in response.data
    # ...block that address only.
    ok = app.test_client().post(
        "/login", data={"email": fresh.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )
    assert ok.status_code == 302


def test_open_redirect_after_login_is_refused(client):
    make_user(email="ana@example.org")
    response = client.post(
        "/login?next=https://evil.example/steal", data={"email": "ana@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_logout_ends_the_session(client):
    owner = make_user(email="ana@example.org")
    make_org(owner=owner)
    client.post("/login", data={"email": owner.email, "password": PASSWORD})
    client.post("/logout")
    assert client.get("/console/").status_code == 302


def test_forged_post_without_csrf_token_is_rejected(csrf_app):
    owner = make_user(email="ana@example.org")
    make_org(owner=owner)
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": owner.email, "password": PASSWORD})
    assert response.status_code == 400
    assert b"form expired" in response.data
    # With the token from the page the same post works.
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_htmx_request_with_csrf_header_is_accepted_and_without_is_rejected(csrf_app):
    owner = make_user(email="ana@example.org")
    org = make_org(owner=owner)
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post("/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token})
    # Signing in starts a new session (no fixation), so the page's token is new too.
    page = client.get("/console/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    forged = client.post("/switch-org", data={"org_id": org.id}, headers={"HX-Request": "true"})
    assert forged.status_code == 400
    ok = client.post("/switch-org", data={"org_id": org.id}, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert ok.status_code == 303


def test_signup_creates_user_and_owned_organization(client):
    response = client.post(
        "/signup",
        data={
            "org_name": "Jakarta Tech Week",
            "name": "Budi",
            "email": "budi@example.org",
            "password": "a long password",
            "confirm": "a long password",
            "timezone": "Asia/Jakarta",
            "currency": "IDR",
        },
    )
    assert response.status_code == 302
    org = Organization.get(Organization.name == "Jakarta Tech Week")
    assert org.slug == "jakarta-tech-week" and org.timezone == "Asia/Jakarta"
    membership = Membership.get(Membership.organization == org)
    assert membership.role == "owner" and membership.user.email == "budi@example.org"
    assert client.get("/console/").status_code == 200


def test_signup_with_bad_input_shows_field_errors_and_creates_nothing(client):
    make_user(email="taken@example.org")
    response = client.post(
        "/signup",
        data={
            "org_name": "",
            "name": "X",
            "email": "taken@example.org",
            "password": "short",
            "confirm": "other",
            "timezone": "Mars/Olympus",
            "currency": "IDR",
        },
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Use at least 10 characters." in body
    assert "Choose a time zone from the list." in body
    assert Organization.select().count() == 0 and User.select().count() == 1


def _reset_link(inbox) -> str:
    message = inbox.wait_for(1)[-1]
    return re.search(r"http://rollcall\.test(/reset-password/\S+)", message.get_body(("plain",)).get_content()).group(1)


def test_password_reset_by_emailed_link(mail_app):
    app, inbox = mail_app
    user = make_user(email="ana@example.org")
    client = app.test_client()
    other_session = app.test_client()
    other_session.post("/login", data={"email": user.email, "password": PASSWORD})

    response = client.post("/forgot-password", data={"email": "ana@example.org"})
    assert response.status_code == 302
    link = _reset_link(inbox)
    assert inbox.messages[-1]["To"] == "Test User <ana@example.org>"
    response = client.post(link, data={"password": "brand new password", "confirm": "brand new password"})
    assert response.status_code == 302
    assert client.post("/login", data={"email": user.email, "password": "brand new password"}).status_code == 302
    # The link is single-use, and the other session was signed out.
    assert client.get(link).status_code == 410
    assert other_session.get("/console/").status_code == 302
    assert PasswordReset.select().where(PasswordReset.used_at.is_null(False)).count() == 1


def test_an_older_reset_link_dies_once_a_newer_one_is_used(mail_app):
    app, inbox = mail_app
    user = make_user(email="ana@example.org")
    client = app.test_client()
    client.post("/forgot-password", data={"email": user.email})
    older = _reset_link(inbox)
    client.post("/forgot-password", data={"email": user.email})
    newer = re.search(
        r"http://rollcall\.test(/reset-password/\S+)", inbox.wait_for(2)[-1].get_body(("plain",)).get_content()
    ).group(1)
    assert newer != older
    new_password = {"password": "brand new password", "confirm": "brand new password"}
    assert client.post(newer, data=new_password).status_code == 302

    assert client.get(older).status_code == 410
    stale = client.post(older, data={"password": "attacker password", "confirm": "attacker password"})
    assert stale.status_code == 410
    assert client.post("/login", data={"email": user.email, "password": "attacker password"}).status_code == 422
    assert client.post("/login", data={"email": user.email, "password": "brand new password"}).status_code == 302


def test_an_open_reset_link_dies_when_the_password_changes(app):
    from webapp.accounts import service

    user = make_user(email="ana@example.org")
    client = app.test_client()
    client.post("/forgot-password", data={"email": user.email})
    token = re.search(r"/reset-password/(\S+)", Outbox.get().text_body).group(1)
    assert client.get(f"/reset-password/{token}").status_code == 200
    service.set_password(user, "changed another way")
    assert client.get(f"/reset-password/{token}").status_code == 410


def test_reset_emails_are_limited_per_account_with_the_same_neutral_answer(app):
    make_user(email="ana@example.org")
    for n in range(5):
        response = app.test_client().post(
            "/forgot-password",
            data={"email": "ana@example.org"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
            follow_redirects=True,
        )
        assert b"If an account uses that address" in response.data
    assert Outbox.select().where(Outbox.kind == "password_reset").count() == 3


def test_reset_requests_are_limited_per_address_with_the_same_neutral_answer(app):
    users = [make_user(email=f"user{n}@example.org") for n in range(11)]
    for user in users:
        response = app.test_client().post(
            "/forgot-password",
            data={"email": user.email},
            environ_base={"REMOTE_ADDR": "203.0.113.5"},
            follow_redirects=True,
        )
        assert b"If an account uses that address" in response.data
    assert Outbox.select().where(Outbox.kind == "password_reset").count() == 10
    other_address = {"REMOTE_ADDR": "198.51.100.1"}
    app.test_client().post("/forgot-password", data={"email": users[-1].email}, environ_base=other_address)
    assert Outbox.select().where(Outbox.kind == "password_reset").count() == 11


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(mail_app):
    app, inbox = mail_app
    response = app.test_client().post("/forgot-password", data={"email": "ghost@example.org"}, follow_redirects=True)
    assert b"If an account uses that address" in response.data
    assert inbox.messages == []


def test_door_staff_land_on_the_scanner_and_are_refused_the_console(app, auth):
    org = make_org()
    door = make_member(org, role="door")
    client = auth.client_for(door)
    assert client.get("/", follow_redirects=False).headers["Location"].endswith("/checkin/")
    assert client.get("/console/members").status_code == 403
    assert client.get("/console/settings").status_code == 403


def test_a_field_in_error_points_screen_readers_at_its_message_and_others_carry_no_stray_attributes(client):
    body = client.post("/signup", data={"org_name": "", "name": "X", "email": "x@example.org"}).get_data(as_text=True)
    org_name = re.search(r'<input[^>]*id="org_name"[^>]*>', body).group(0)
    assert 'aria-invalid="true"' in org_name and 'aria-describedby="org_name-error"' in org_name
    assert 'id="org_name-error"' in body
    assert '="None"' not in body


@pytest.mark.parametrize(
    "target", ["/%09/evil.example", "/%0a/evil.example", "/x%0d%0aSet-Cookie:%20a=b", "/%5c/evil.example"]
)
def test_a_next_with_a_control_character_or_backslash_leads_home_not_away(client, target):
    make_user(email="ana@example.org")
    response = client.post(f"/login?next={target}", data={"email": "ana@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"] and "Set-Cookie" not in response.headers["Location"]
    assert response.headers["Location"] == "/"


def test_a_same_site_next_is_followed(client):
    make_user(email="ana@example.org")
    response = client.post(
        "/login?next=/console/contacts%3Fq%3Dana", data={"email": "ana@example.org", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/console/contacts?q=ana"


def test_old_sign_in_records_are_pruned_and_recent_ones_kept(app):
    """The sign-in limits count the last hour; the tables behind them must not grow forever."""
    user = make_user(email="ana@example.org")
    long_ago, recently = utcnow() - dt.timedelta(days=40), utcnow() - dt.timedelta(days=2)
    for at in (long_ago, recently):
        LoginAttempt.create(email=user.email, ip="192.0.2.1", succeeded=False, at=at)
        PasswordResetRequest.create(email=user.email, ip="192.0.2.1", at=at)
        PasswordReset.create(user=user, token_hash=f"{at.timestamp():064.0f}"[-64:], created_at=at, expires_at=at)

    assert prune_sign_in_records() == 3
    assert [a.at for a in LoginAttempt.select()] == [recently]
    assert [r.at for r in PasswordResetRequest.select()] == [recently]
    assert [r.expires_at for r in PasswordReset.select()] == [recently]
