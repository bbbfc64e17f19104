"""What the workflows domain answers when the domains below it ask (webapp/signals.py questions):
a segment a workflow starts or checks on stays."""

from __future__ import annotations

from webapp import signals
from webapp.i18n import _
from webapp.segments.models import Segment
from webapp.workflows.models import Workflow


def _uses(workflow: Workflow, segment_id: int) -> bool:
    if workflow.trigger.get("kind") == "segment_entered" and workflow.trigger.get("segment_id") == segment_id:
        return True
    return any(
        step.get("kind") == "condition" and step.get("segment_id") == segment_id for step in workflow.steps or []
    )


@signals.segment_deleting.connect
def _keep_segments_of_workflows(segment: Segment, **kwargs) -> str | None:
    users = [
        wf.name for wf in Workflow.for_org(segment.organization_id).order_by(Workflow.name) if _uses(wf, segment.id)
    ]
    if users:
        return _("These workflows use it: %(names)s.", names=", ".join(users))
    return None
