"""A column's own index dropped where another index of its table begins with that column
(webapp.db.models.Metadata): 54 of them, most the index peewee gives every foreign key, each
beside a longer index that the same lookups and the parent row's deletes use. A row written to
these tables keeps one or two indexes fewer: a first door scan on PostgreSQL kept 32 indexes and
wrote 37 WAL records, now 26 and 29.

The list is frozen here, table by table, as the rule found it at this version."""

from webapp.migrate import run_sql

_COVERED = {
    "activity": ["activity_contact_id", "activity_organization_id"],
    "admission_review": ["admission_review_event_id"],
    "attendance": ["attendance_checkin_list_id"],
    "audience": ["audience_organization_id"],
    "auto_label": ["auto_label_organization_id"],
    "automation_run": ["automation_run_automation_id"],
    "campaign": ["campaign_organization_id"],
    "campaign_recipient": ["campaign_recipient_campaign_id", "campaign_recipient_organization_id"],
    "campaign_tally": ["campaign_tally_campaign_id"],
    "campaign_template": ["campaign_template_organization_id"],
    "checkin": ["checkin_checkin_list_id", "checkin_event_id", "checkin_registrant_id"],
    "contact": ["contact_organization_id"],
    "contact_label": ["contact_label_contact_id"],
    "coupon": ["coupon_event_id"],
    "document": ["document_event_id"],
    "email_template": ["email_template_event_id"],
    "event": ["event_organization_id"],
    "event_announcement": ["event_announcement_event_id"],
    "event_assignment": ["event_assignment_event_id"],
    "event_grant": ["event_grant_organization_id"],
    "event_label": ["event_label_event_id"],
    "event_responsible": ["event_responsible_event_id"],
    "gateway_settings": ["gateway_settings_organization_id"],
    "idempotency_record": ["idempotency_record_organization_id"],
    "incoming_event": ["incoming_event_organization_id"],
    "invitation": ["invitation_event_id"],
    "job": ["job_organization_id"],
    "label": ["label_organization_id"],
    "mail_bounce": ["mail_bounce_organization_id"],
    "mail_engagement": ["mail_engagement_organization_id"],
    "membership": ["membership_user_id"],
    "newsletter_subscription": ["newsletter_subscription_newsletter_id"],
    "order": ["order_event_id"],
    "participant_group": ["participant_group_event_id"],
    "payment": ["payment_order_id"],
    "payment_notification": ["payment_notification_organization_id"],
    "project": ["project_organization_id"],
    "project_event": ["project_event_project_id"],
    "push_subscription": ["push_subscription_audience_id"],
    "registrant": ["registrant_contact_id", "registrant_event_id"],
    "segment": ["segment_organization_id"],
    "segment_count": ["segment_count_segment_id"],
    "sending_domain": ["sending_domain_organization_id"],
    "waiting_list_entry": ["waiting_list_entry_event_id", "waiting_list_entry_product_id"],
    "webhook_delivery": ["webhook_delivery_endpoint_id"],
    "workflow": ["workflow_organization_id"],
    "workflow_run": ["workflow_run_workflow_id"],
    "workflow_segment_member": ["workflow_segment_member_workflow_id"],
}

_DROPS = [f'DROP INDEX "{name}"' for names in _COVERED.values() for name in names]

SQL = {"sqlite": _DROPS, "postgresql": _DROPS}


def upgrade(db, migrator):
    run_sql(db, SQL)
