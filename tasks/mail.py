"""Email work: delivery, the held-mail sweep, notifications and automations."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from webapp import work
from webapp.accounts import emails as account_emails
from webapp.accounts.models import Organization
from webapp.contacts import newsletters
from webapp.contacts import subscriptions as contact_subscriptions
from webapp.mail import automations, notify, order_emails, receivers, service, subscriptions


@work.handles(service.DELIVER, batch=True)
def deliver_emails(payloads: list[dict]) -> dict:
    """The emails claimed together, over one SMTP connection (ticket PDFs are rendered at send
    time, with the app context every task has)."""
    return service.deliver_many([p["message_id"] for p in payloads])


@work.handles(account_emails.SEND)
def queue_account_email(payload: dict) -> None:
    """A password reset or a member invitation into the outbox (its delivery is urgent work too)."""
    values = dict(payload)
    org_id = values.pop("organization_id")
    service.queue_email(**values, organization=Organization.get_by_id(org_id) if org_id else None)


@work.handles(contact_subscriptions.SEND_CONFIRMATION)
def send_subscription_confirmation(payload: dict) -> None:
    """The double opt-in email of a pending contact or newsletter subscription."""
    subscriptions.send_confirmation(payload["contact_id"], payload.get("locale", "en"), payload.get("newsletter_id"))


@work.handles(newsletters.SIGNUP)
def newsletter_signup(payload: dict) -> None:
    """A registration form's ticked newsletter box, once its order committed."""
    newsletters.run_signup(payload)


@huey.periodic_task(crontab(minute="*"))
def retry_outbox() -> int:
    """Every minute: mail held while SMTP_URL was not set, and hand-offs a dead worker left."""
    ids = service.due_messages()
    if ids:
        service.deliver_many(ids)
    return len(ids)


@work.handles(receivers.SEND_ORDER_EMAILS)
def send_order_emails(payload: dict) -> int:
    """After payment: each admitted registrant's ticket email, and the buyer's payment email."""
    return notify.order_paid(payload["order_id"])


@work.handles(receivers.SEND_BANK_TRANSFER)
def send_bank_transfer_instructions(payload: dict) -> bool:
    return notify.bank_transfer_placed(payload["order_id"])


@work.handles(receivers.SEND_APPROVED)
def send_approved_email(payload: dict) -> None:
    order_emails.approved(payload["order_id"])


@work.handles(receivers.SEND_DECLINED)
def send_declined_email(payload: dict) -> None:
    order_emails.declined(payload["order_id"])


@work.handles(receivers.SEND_WAITLIST_OFFER)
def send_waitlist_offer(payload: dict) -> None:
    order_emails.waitlist_offer(payload["entry_id"])


@work.handles(receivers.SEND_INVITATION)
def send_invitation(payload: dict) -> None:
    order_emails.invitation(payload["invitation_id"])


@huey.periodic_task(crontab(minute="*"))
def run_automations() -> dict[str, int]:
    """Every minute: the automation emails whose time has come, once per registrant; the summary
    counts those skipped because the contact unsubscribed (promotional mail: bulk work)."""
    with work.bulk():
        return automations.run_due().as_dict()
