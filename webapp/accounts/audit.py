"""The audit trail: who changed what, when. Services call `record` inside their transaction."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import JSONField, OrgScoped, utcnow
from webapp.i18n import StoredText, _l, stored_columns, stored_text

# What each action code says to a reader (the log shows the code itself for a code not listed).
ACTION_LABELS = {
    "api_key.create": _l("API key created"),
    "api_key.policy": _l("API key limits changed"),
    "api_key.revoke": _l("API key revoked"),
    "campaign.cancel_schedule": _l("Campaign schedule canceled"),
    "campaign.create": _l("Campaign created"),
    "campaign.duplicate": _l("Campaign copied"),
    "campaign.pause": _l("Campaign paused"),
    "campaign.resume": _l("Campaign resumed"),
    "campaign.schedule": _l("Campaign scheduled"),
    "campaign.send": _l("Campaign sent"),
    "campaign.test": _l("Campaign test sent"),
    "campaign.update": _l("Campaign edited"),
    "campaign_template.create": _l("Campaign template created"),
    "campaign_template.delete": _l("Campaign template deleted"),
    "campaign_template.update": _l("Campaign template edited"),
    "checkin.force": _l("Forced check-in"),
    "checkin.review_resolved": _l("Offline admission resolved"),
    "checkin.undo": _l("Check-in undone"),
    "checkin_list.create": _l("Check-in list created"),
    "checkin_list.delete": _l("Check-in list deleted"),
    "checkin_list.update": _l("Check-in list changed"),
    "contact.label_add": _l("Label added to a contact"),
    "contact.label_remove": _l("Label removed from a contact"),
    "contact.stage": _l("Contact stage changed"),
    "contact.status": _l("Contact status changed"),
    "contact.update": _l("Contact edited"),
    "contacts.auto_label": _l("Automatic label changed"),
    "contacts.import": _l("Contacts imported"),
    "contacts.inactivity_rule": _l("Inactivity rule changed"),
    "coupon.create": _l("Coupon created"),
    "coupon.delete": _l("Coupon deleted"),
    "coupon.update": _l("Coupon edited"),
    "document.remove": _l("Document removed"),
    "document.update": _l("Document edited"),
    "document.upload": _l("Document uploaded"),
    "event.announce": _l("Announcement posted"),
    "event.archive": _l("Event archived"),
    "event.assign": _l("Contact assigned to the event"),
    "event.badges": _l("Badge settings changed"),
    "event.close": _l("Event closed"),
    "event.cover": _l("Cover image changed"),
    "event.create": _l("Event created"),
    "event.door_questions": _l("Door answers changed"),
    "event.grant": _l("Event role given"),
    "event.label_add": _l("Label added to the event"),
    "event.label_remove": _l("Label removed from the event"),
    "event.languages": _l("Event languages changed"),
    "event.lobby": _l("Lobby settings changed"),
    "event.newsletter": _l("Registration form newsletter changed"),
    "event.publish": _l("Event published"),
    "event.registration": _l("Registration settings changed"),
    "event.reopen": _l("Event reopened"),
    "event.responsible": _l("Responsible staff changed"),
    "event.revoke": _l("Event role taken back"),
    "event.signed_tickets": _l("Signed ticket secrets changed"),
    "event.translation": _l("Event texts translated"),
    "event.unannounce": _l("Announcement removed"),
    "event.unarchive": _l("Event taken out of the archive"),
    "event.unassign": _l("Contact no longer assigned to the event"),
    "event.unpublish": _l("Event unpublished"),
    "event.update": _l("Event edited"),
    "group.create": _l("Group created"),
    "group.new_link": _l("New group link"),
    "group.remove": _l("Group removed"),
    "group.update": _l("Group edited"),
    "invitation.create": _l("Invitation created"),
    "invitation.decline": _l("Invitation declined"),
    "invitation.import": _l("Invitations imported"),
    "invitation.resend": _l("Invitation sent again"),
    "invitation.revoke": _l("Invitation revoked"),
    "label.apply_stage": _l("Label stage applied"),
    "label.create": _l("Label created"),
    "label.delete": _l("Label deleted"),
    "label.update": _l("Label edited"),
    "mail.automation_create": _l("Email automation created"),
    "mail.automation_delete": _l("Email automation deleted"),
    "mail.automation_update": _l("Email automation edited"),
    "mail.domain_add": _l("Sending domain added"),
    "mail.domain_remove": _l("Sending domain removed"),
    "mail.domain_unverified": _l("Sending domain no longer verified"),
    "mail.domain_verified": _l("Sending domain verified"),
    "mail.resend": _l("Email sent again"),
    "mail.resend_ticket": _l("Ticket sent again"),
    "mail.settings": _l("Email settings changed"),
    "mail.template_reset": _l("Email reset to the default"),
    "mail.template_save": _l("Email edited"),
    "member.invite": _l("Member invited"),
    "member.invite_revoke": _l("Member invitation revoked"),
    "member.join": _l("Member joined"),
    "member.remove": _l("Member removed"),
    "member.role": _l("Member role changed"),
    "newsletter.create": _l("Newsletter created"),
    "newsletter.delete": _l("Newsletter deleted"),
    "newsletter.update": _l("Newsletter edited"),
    "order.add": _l("Registrants added"),
    "order.approve": _l("Registration accepted"),
    "order.cancel": _l("Order canceled"),
    "order.decline": _l("Registration declined"),
    "order.flagged": _l("Order needs attention"),
    "order.mark_paid": _l("Order marked paid"),
    "order.paid": _l("Order paid"),
    "order.payment_revoked": _l("Payment revoked"),
    "order.refund": _l("Order marked refunded"),
    "organization.logo": _l("Organization logo changed"),
    "organization.update": _l("Organization settings changed"),
    "payments.bank": _l("Bank account changed"),
    "payments.event": _l("Event payment settings changed"),
    "payments.gateway": _l("Payment gateway changed"),
    "product.create": _l("Product created"),
    "product.delete": _l("Product deleted"),
    "product.link": _l("Product secret link renewed"),
    "product.move": _l("Product moved"),
    "product.translation": _l("Product texts translated"),
    "product.update": _l("Product edited"),
    "project.create": _l("Project created"),
    "project.delete": _l("Project deleted"),
    "project.link_event": _l("Event linked to a project"),
    "project.milestone": _l("Project milestone changed"),
    "project.task": _l("Project task changed"),
    "project.unlink_event": _l("Event unlinked from a project"),
    "project.update": _l("Project edited"),
    "question.create": _l("Question created"),
    "question.delete": _l("Question deleted"),
    "question.move": _l("Question moved"),
    "question.translation": _l("Question texts translated"),
    "question.update": _l("Question edited"),
    "registrant.cancel": _l("Registrant canceled"),
    "registrant.change_product": _l("Registrant product changed"),
    "registrant.move_group": _l("Registrant moved to another group"),
    "registrant.update": _l("Registrant edited"),
    "segment.create": _l("Segment created"),
    "segment.delete": _l("Segment deleted"),
    "segment.update": _l("Segment edited"),
    "tag_rule.create": _l("Tag rule created"),
    "tag_rule.delete": _l("Tag rule deleted"),
    "tag_rule.update": _l("Tag rule changed"),
    "tickets.settings": _l("Ticket settings changed"),
    "waitlist.remove": _l("Removed from the waiting list"),
    "waitlist.reorder": _l("Waiting list reordered"),
    "webhook.create": _l("Webhook created"),
    "webhook.delete": _l("Webhook deleted"),
    "webhook.redeliver": _l("Webhook delivered again"),
    "webhook.rotate_secret": _l("Webhook secret renewed"),
    "webhook.update": _l("Webhook edited"),
    "widgets.origins": _l("Widget websites changed"),
    "widgets.self_checkin": _l("Self check-in changed"),
    "workflow.activate": _l("Workflow activated"),
    "workflow.create": _l("Workflow created"),
    "workflow.delete": _l("Workflow deleted"),
    "workflow.pause": _l("Workflow paused"),
    "workflow.update": _l("Workflow edited"),
}

ROLE_WORDS = {
    "member": stored_text("member"),
    "door": stored_text("door staff"),
    "manager": stored_text("manager"),
    "admin": stored_text("admin"),
    "owner": stored_text("owner"),
    "staff": stored_text("staff"),
    "guide": stored_text("guide"),
}


def action_label(action: str) -> str:
    """The action in the reader's language; an unknown code as it is."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def role_word(role: str) -> StoredText | str:
    """A role as a word to store in a summary, translated when shown; an unknown role as it is."""
    return ROLE_WORDS.get(role, role)


class AuditEntry(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")  # None: API key or system
    actor = pw.CharField(max_length=200, default="")  # "ana@example.org", "api key 'crm'", "system"
    action = pw.CharField(max_length=64)  # "event.update", "order.cancel", ...
    target_type = pw.CharField(max_length=32, default="")
    target_id = pw.IntegerField(null=True)
    summary = pw.CharField(max_length=500, default="")  # English, for the API, exports and search
    summary_i18n = JSONField(null=True)  # the same as a stored message (webapp.i18n), shown translated
    changes = JSONField(default=dict)  # {"field": [old, new]}
    created_at = pw.DateTimeField(default=utcnow, index=True)


def record(
    org_id: int,
    action: str,
    *,
    user: User | None = None,
    actor: str | None = None,
    target=None,
    summary: StoredText,
    changes: dict | None = None,
) -> AuditEntry:
    """`summary` is a `stored_text` (or `verbatim` data), so each reader sees it in their language."""
    return AuditEntry.create(
        organization=org_id,
        user=user,
        actor=actor or (user.email if user else "system"),
        action=action,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=getattr(target, "id", None),
        **stored_columns("summary", summary, 500),
        changes=changes or {},
    )


def diff(obj, fields: dict) -> dict:
    """{field: [old, new]} for the fields whose value changes; sets the new values on obj."""
    changes = {}
    for name, new in fields.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
            setattr(obj, name, new)
    return changes


def _plain(value):
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)
