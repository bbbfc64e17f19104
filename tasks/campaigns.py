"""Campaigns' background work: the delivery job (its body registers with the job engine when
webapp.campaigns.delivery is imported), the minute's start of due campaigns and retries, and the
freezing of reports when an organization's engagement window closes."""

from huey import crontab

from tasks import huey
from webapp.campaigns import delivery, exports, reports  # noqa: F401  (exports registers its job body)


@huey.periodic_task(crontab(minute="*"))
def start_due_campaigns() -> int:
    """Every minute: scheduled campaigns whose time has come, retries and best hours now due."""
    return delivery.resume_due()


@huey.periodic_task(crontab(minute="*/10"))
def freeze_campaign_reports() -> int:
    """Sent campaigns whose engagement window closed: their report is frozen (sent -> reported)."""
    return reports.freeze_due()
