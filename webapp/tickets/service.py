"""Ticket PDFs: one page per admitted ticket, made when first emailed or downloaded, kept in storage,
and made again on the next use after what they show changed (the stored fingerprint no longer
matches). Nothing is rendered ahead of time: a bulk add of 5,000 people costs no PDF until one is
wanted, and what is emailed is never stale."""

from __future__ import annotations

import logging

import peewee as pw

from webapp.accounts import audit
from webapp.catalog.models import Product
from webapp.db import db, utcnow
from webapp.i18n import stored_text
from webapp.orders.models import Order, OrderItem, Registrant
from webapp.storage import storage
from webapp.tickets import document
from webapp.tickets.models import PAGE_SIZES, TicketDocument, TicketSettings

log = logging.getLogger("rollcall.tickets")


class NoTickets(LookupError):
    """The order (or registrant) has no admitted ticket: unpaid, canceled or awaiting approval."""


def is_admitted_order(order: Order) -> bool:
    return order.status == "paid" and order.approval in ("none", "approved")


def admitted_registrants(order: Order) -> list[Registrant]:
    if not is_admitted_order(order):
        return []
    return list(
        Registrant.select(Registrant, Product, OrderItem)
        .join(Product)
        .switch(Registrant)
        .join(OrderItem, pw.JOIN.LEFT_OUTER)
        .where((Registrant.order == order) & (Registrant.canceled == False) & (Product.admits_entry == True))  # noqa: E712
        .order_by(Registrant.id)
    )


def settings_for(event) -> TicketSettings:
    """The event's ticket settings (defaults when never saved; not written)."""
    found = TicketSettings.get_or_none(TicketSettings.event == event)
    return found or TicketSettings(organization=event.organization_id, event=event)


def update_settings(event, *, page_size: str, show_price: bool, note: str, actor) -> TicketSettings:
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page size must be one of {', '.join(PAGE_SIZES)}")
    with db.atomic():
        current = settings_for(event)
        changes = audit.diff(current, {"page_size": page_size, "show_price": show_price, "note": note.strip()})
        if changes or current.id is None:
            current.updated_at = utcnow()
            current.save()
            audit.record(
                event.organization_id,
                "tickets.settings",
                user=actor,
                target=event,
                summary=stored_text("Ticket settings of %(event)s", event=event.name),
                changes=changes,
            )
    return current


def order_pdf(order: Order) -> bytes:
    """Every admitted ticket of the order, one page each, in one PDF. Raises NoTickets."""
    registrants = admitted_registrants(order)
    if not registrants:
        raise NoTickets(f"order {order.code} has no admitted ticket")
    return _stored_pdf(order, registrants, key=f"order:{order.id}", registrant=None)


def admitted_count(order: Order) -> int:
    if not is_admitted_order(order):
        return 0
    return (
        Registrant.select()
        .join(Product)
        .where((Registrant.order == order) & (Registrant.canceled == False) & (Product.admits_entry == True))  # noqa: E712
        .count()
    )


def fresh_order_pdf(order: Order) -> bytes | None:
    """The stored PDF of the order's tickets if it shows them as they are now; None when there is
    none, or a ticket changed since it was made (then it is built again)."""
    registrants = admitted_registrants(order)
    if not registrants:
        raise NoTickets(f"order {order.code} has no admitted ticket")
    fp = document.fingerprint(document.ticket_data(order, registrants, settings_for(order.event)))
    stored = TicketDocument.get_or_none(TicketDocument.key == f"order:{order.id}")
    if stored is None or stored.fingerprint != fp:
        return None
    try:
        return storage().read(stored.path)
    except FileNotFoundError:
        return None


def store_order_pdf(order: Order, fp: str, pdf: bytes, *, pages: int) -> None:
    """Keep a PDF of the order's tickets built elsewhere (a job), made from data of fingerprint `fp`."""
    key = f"order:{order.id}"
    _store(order, None, key, fp, pdf, pages=pages, previous=TicketDocument.get_or_none(TicketDocument.key == key))


def registrant_pdf(registrant: Registrant) -> bytes:
    """One registrant's ticket. Raises NoTickets."""
    order = registrant.order
    registrants = [r for r in admitted_registrants(order) if r.id == registrant.id]
    if not registrants:
        raise NoTickets(f"registrant {registrant.id} has no admitted ticket")
    return _stored_pdf(order, registrants, key=f"registrant:{registrant.id}", registrant=registrant)


def pdf_for_key(key: str) -> bytes:
    """ "order:<id>" or "registrant:<id>" -> that PDF as it is now (what an email attaches)."""
    kind, _, pk = key.partition(":")
    if kind == "order" and pk.isdigit():
        order = Order.get_or_none(Order.id == int(pk))
        if order is not None:
            return order_pdf(order)
    elif kind == "registrant" and pk.isdigit():
        registrant = Registrant.get_or_none(Registrant.id == int(pk))
        if registrant is not None:
            return registrant_pdf(registrant)
    raise NoTickets(f"no tickets for {key}")


def preview_pdf(event, ticket_settings: TicketSettings | None = None) -> bytes:
    """A sample ticket of the event (console preview), never stored."""
    order = Order(event=event, organization=event.organization_id, code="SAMPLE", locale="en", currency=event.currency)
    product = Product.select().where(Product.event == event).order_by(Product.position).first()
    sample = Registrant(
        name="Ana Putri",
        product=product or Product(name="General admission", translations={}),
        ticket_secret="SAMPLE2TICKET3SECRET4ABCDE",
        item=OrderItem(price=product.price if product else 0, discount=0),
    )
    data = document.ticket_data(order, [sample], ticket_settings or settings_for(event))
    return document.render(data)


def _stored_pdf(order: Order, registrants: list[Registrant], *, key: str, registrant) -> bytes:
    data = document.ticket_data(order, registrants, settings_for(order.event))
    fp = document.fingerprint(data)
    stored = TicketDocument.get_or_none(TicketDocument.key == key)
    if stored is not None and stored.fingerprint == fp:
        try:
            return storage().read(stored.path)
        except FileNotFoundError:
            log.warning("stored ticket %s is missing on disk: generating it again", stored.path)
    pdf = document.render(data)
    _store(order, registrant, key, fp, pdf, pages=len(registrants), previous=stored)
    return pdf


def _store(order, registrant, key: str, fp: str, pdf: bytes, *, pages: int, previous) -> None:
    relative = f"tickets/{order.organization_id}/{key.replace(':', '-')}-{fp[:16]}.pdf"
    storage().write(relative, pdf)  # a reader never sees half a file (webapp/storage.py)
    values = {"path": relative, "fingerprint": fp, "pages": pages, "size": len(pdf), "generated_at": utcnow()}
    with db.atomic():
        updated = TicketDocument.update(**values).where(TicketDocument.key == key).execute()
        if not updated:
            try:
                with db.atomic():
                    TicketDocument.create(
                        organization=order.organization_id, order=order, registrant=registrant, key=key, **values
                    )
            except pw.IntegrityError:  # another worker stored it at the same moment
                TicketDocument.update(**values).where(TicketDocument.key == key).execute()
    if previous is not None and previous.path != relative:
        storage().delete(previous.path)


def forget_if_not_admitted(order_id: int) -> int:
    """Drop the stored PDFs of an order that no longer admits anyone; returns how many it admits."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        return 0
    registrants = admitted_registrants(order)
    if not registrants:
        forget_order(order)
    return len(registrants)


def forget_order(order: Order) -> None:
    """Drop the stored PDFs of an order that admits nobody any more (canceled, refunded)."""
    for stored in TicketDocument.select().where(TicketDocument.order == order):
        storage().delete(stored.path)
        stored.delete_instance()
