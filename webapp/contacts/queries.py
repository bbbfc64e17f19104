"""Finding contacts: search, filters and keyset pages (fast at any depth: the page after contact
#N starts at an index seek on (organization, id), never an OFFSET)."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from webapp.contacts.models import CONTACT_STATUSES, FUNNEL_STAGES, Contact, ContactLabel, Label
from webapp.guards import row_id, search_text

PAGE_SIZE = 50
PARTICIPATION = (("registered", "Registered for"), ("attended", "Attended"), ("no_show", "No-show at"))


@dataclass
class ContactFilter:
    q: str = ""
    label: int | None = None
    stage: str = ""
    status: str = ""
    event: int | None = None
    participation: str = "registered"
    segment: int | None = None  # a segment of the organization (its tree is applied by the view)

    @classmethod
    def from_args(cls, args) -> ContactFilter:
        stage = args.get("stage", "")
        status = args.get("status", "")
        participation = args.get("participation", "registered")
        return cls(
            q=search_text(args),
            label=args.get("label", type=row_id),
            stage=stage if stage in FUNNEL_STAGES else "",
            status=status if status in CONTACT_STATUSES else "",
            event=args.get("event", type=row_id),
            participation=participation if participation in dict(PARTICIPATION) else "registered",
            segment=args.get("segment", type=row_id),
        )

    def args(self) -> dict:
        """The query-string arguments that reproduce this filter (for links and the export)."""
        out = {
            "q": self.q,
            "label": self.label,
            "stage": self.stage,
            "status": self.status,
            "event": self.event,
            "segment": self.segment,
        }
        if self.event:
            out["participation"] = self.participation
        return {k: v for k, v in out.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return bool(self.args())


PHONE_CHARS = set("0123456789+-() ")


def _search(q: str) -> pw.Expression:
    """Name, email or phone containing `q`; an address is looked for in emails only and a number
    in phones only (one comparison per contact instead of three)."""
    pattern = f"%{q}%"
    if "@" in q:
        return Contact.email ** pattern.lower()
    if set(q) <= PHONE_CHARS and any(ch.isdigit() for ch in q):
        return Contact.phone**pattern
    return (Contact.name**pattern) | (Contact.email ** pattern.lower())


def filtered(
    org_id: int, f: ContactFilter, participants: pw.Select | None = None, members: pw.Node | None = None
) -> pw.Select:
    """The organization's contacts matching the filter; `participants`: a query of the contact ids
    to keep (an event's registrants, attendees or no-shows: webapp/orders/contact_sync.py);
    `members`: a condition over Contact that keeps a segment's members (webapp.segments.query)."""
    query = Contact.select().where(Contact.organization == org_id)
    if members is not None:
        query = query.where(members)
    if f.q:
        query = query.where(_search(f.q))
    if f.stage:
        query = query.where(Contact.stage == f.stage)
    if f.status:
        query = query.where(Contact.status == f.status)
    if f.label:
        # EXISTS, probed on the (contact, label) index while walking contacts newest first: a page
        # stops after its 50 matches instead of collecting every labelled contact.
        labelled = ContactLabel.select(pw.SQL("1")).where(
            (ContactLabel.contact == Contact.id) & (ContactLabel.label == f.label)
        )
        query = query.where(pw.fn.EXISTS(labelled))
    if participants is not None:
        query = query.where(Contact.id.in_(participants))
    return query


@dataclass
class Page:
    contacts: list[Contact]
    next_after: int | None
    prev_before: int | None
    labels: dict[int, list[Label]]


def page(query: pw.Select, *, after: int | None = None, before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """Newest first. `after`: contacts older than that id; `before`: the page just newer than it."""
    if before:
        rows = list(query.where(Contact.id > before).order_by(Contact.id.asc()).limit(size + 1))
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        next_after = rows[-1].id if rows and query.where(Contact.id < rows[-1].id).exists() else None
        prev_before = rows[0].id if more_newer else None
    else:
        if after:
            query = query.where(Contact.id < after)
        rows = list(query.order_by(Contact.id.desc()).limit(size + 1))
        next_after = rows[size - 1].id if len(rows) > size else None
        rows = rows[:size]
        prev_before = rows[0].id if after and rows else None
    return Page(rows, next_after, prev_before, labels_for([c.id for c in rows]))


COUNT_LIMIT = 10_000


def count(query: pw.Select, page: Page, *, paging: bool) -> tuple[int, bool]:
    """(how many contacts match, whether that is only a lower bound). A first page that is not
    full is the whole answer; otherwise counting stops at COUNT_LIMIT."""
    if not paging and page.next_after is None:
        return len(page.contacts), False
    capped = query.select(Contact.id).order_by().limit(COUNT_LIMIT + 1)
    found = Contact.select(pw.fn.COUNT(pw.SQL("*"))).from_(capped.alias("matches")).scalar()
    return min(found, COUNT_LIMIT), found > COUNT_LIMIT


def labels_for(contact_ids: list[int]) -> dict[int, list[Label]]:
    out: dict[int, list[Label]] = {cid: [] for cid in contact_ids}
    if not contact_ids:
        return out
    query = (
        ContactLabel.select(ContactLabel.contact, Label)
        .join(Label)
        .where(ContactLabel.contact.in_(contact_ids))
        .order_by(pw.fn.LOWER(Label.name))
    )
    for row in query:
        out[row.contact_id].append(row.label)
    return out
