"""Segments: saved condition trees over the Contact Book, their members and counts, and the count
of a tree not saved (the editor's live preview). A tree that cannot be used answers 422 with the
path of the bad node (`tree.children[1].value`)."""

from __future__ import annotations

from flask import g

from webapp.api.framework import conflict, invalid, operation
from webapp.api.schema import Array, DateTime, Int, JsonObject, Line, Obj, Out, Str
from webapp.api.v1.common import actor_label, field_error
from webapp.api.v1.contacts import ContactOut
from webapp.api.v1.resource import OrgResource
from webapp.i18n import _
from webapp.segments import query
from webapp.segments import service as segments
from webapp.segments.models import Segment
from webapp.segments.schema import json_schemas
from webapp.segments.tree import TreeError, validate

MAX_TREE_BYTES = 65536


class Tree(JsonObject):
    """A condition tree (webapp.segments.tree): checked as an object here, node by node by the
    handler, which names the bad node's path."""

    def _schema(self, components):
        for name, schema in json_schemas().items():
            components.setdefault(name, schema)
        return {"$ref": "#/components/schemas/SegmentGroup"}


def tree_error(exc: TreeError):
    """A TreeError as the 422 answer: the field is the path of the bad node under `tree`."""
    where = "tree" + exc.path[1:]
    return invalid(
        _("The tree is not valid at %(path)s: %(message)s", path=exc.path, message=exc.message), **{where: exc.message}
    )


SegmentOut = Out(
    "Segment",
    {
        "id": Int(),
        "name": Str(),
        "description": Str(),
        "tree": Tree(),
        "created_at": DateTime(),
        "updated_at": DateTime(),
    },
)
SegmentIn = Obj(
    "SegmentCreate",
    {
        "name": Line(min_length=1, max_length=segments.NAME_LENGTH),
        "description": Str(max_length=2000),
        "tree": Tree(max_bytes=MAX_TREE_BYTES),
    },
    required=("name", "tree"),
)
SegmentChange = SegmentIn.partial("SegmentChange")
CountOut = Out("SegmentCount", {"count": Int(description="Contacts the segment holds now.")})
PreviewIn = Obj(
    "SegmentPreview",
    {
        "tree": Tree(max_bytes=MAX_TREE_BYTES),
        "sample": Int(minimum=0, maximum=50, default=10, description="How many matching contacts to return."),
    },
    required=("tree",),
)
PreviewOut = Out(
    "SegmentPreviewResult",
    {
        "count": Int(),
        "sample": Array(ContactOut, description="Matching contacts, the newest first."),
    },
)


def _checked(tree: dict, segment_id: int | None = None) -> dict:
    try:
        return validate(g.api_org_id, tree, segment_id=segment_id)
    except TreeError as exc:
        raise tree_error(exc) from None


SEGMENTS = OrgResource(
    Segment, "/segments", "segment", "segments", tag="Segments", scope="segments",
    errors={TreeError: tree_error, segments.SegmentError: field_error},
)  # fmt: skip
_segment = SEGMENTS.get
list_segments = SEGMENTS.list(summary="List segments", page=SegmentOut)
create_segment = SEGMENTS.create(
    summary="Create a segment",
    body=SegmentIn,
    response=SegmentOut,
    make=lambda body: segments.create_segment(
        g.api_org_id, name=body["name"], description=body.get("description", ""), tree=body["tree"],
        actor_label=actor_label(),
    ),
)  # fmt: skip
read_segment = SEGMENTS.read(summary="Get a segment", response=SegmentOut)
change_segment = SEGMENTS.update(
    summary="Change a segment's name, description or tree",
    body=SegmentChange,
    response=SegmentOut,
    change=lambda segment, body: segments.update_segment(
        segment, name=body.get("name"), description=body.get("description"), tree=body.get("tree"),
        actor_label=actor_label(),
    ),
    name="change_segment",
)  # fmt: skip
delete_segment = SEGMENTS.delete(
    summary="Delete a segment",
    remove=lambda segment: segments.delete_segment(segment, actor_label=actor_label()),
    errors={segments.SegmentError: lambda exc: conflict(str(exc))},
    description="409 when another segment's conditions name this one.",
    extra_errors=(409,),
)


@operation(
    "GET",
    "/segments/<int:segment_id>/contacts",
    tag="Segments",
    scope="segments",
    summary="List the contacts a segment holds now",
    page=ContactOut,
    query={"search": Str(min_length=1, max_length=200, description="Email or name contains this.")},
)
def segment_contacts(segment_id, query):
    segment = _segment(segment_id)
    return _members(segment, query.get("search"))


def _members(segment: Segment, search: str | None):
    select = query.members(g.api_org_id, segment.tree)
    return query.matching(select, search)


@operation(
    "GET",
    "/segments/<int:segment_id>/count",
    tag="Segments",
    scope="segments",
    summary="Count the contacts a segment holds now",
    response=CountOut,
)
def segment_count(segment_id):
    segment = _segment(segment_id)
    return {"count": query.count(g.api_org_id, segment.tree)}


@operation(
    "POST",
    "/segments/preview",
    tag="Segments",
    scope="segments",
    summary="Count a tree without saving it",
    body=PreviewIn,
    response=PreviewOut,
    write=False,
)
def preview_segment(body):
    """What the editor shows as you edit: the count and a sample of matching contacts."""
    tree = _checked(body["tree"])
    size = body.get("sample", 10)
    return {"count": query.count(g.api_org_id, tree), "sample": query.sample(g.api_org_id, tree, size) if size else []}
