"""The Contact Book's part of the demo: labels with funnel rules, a few contacts with a history,
and the demo registrants synced."""

from __future__ import annotations

from webapp.accounts.models import Organization
from webapp.contacts import labels, lifecycle, service
from webapp.orders import contact_sync

PEOPLE = (
    ("Ayu Lestari", "ayu.lestari@example.com", "+62 812 3456 7801", "Kopi Kita", ["Newsletter", "VIP"]),
    ("Bima Pratama", "bima@example.com", "+62 813 2222 1000", "Nusantara Tech", ["Speaker"]),
    ("Citra Wulandari", "citra.w@example.com", "", "", ["Newsletter"]),
)


def seed(org: Organization) -> None:
    labels.create_label(org.id, "VIP", color="#b45309", stage="promoter")
    labels.create_label(org.id, "Speaker", color="#1d4ed8")
    labels.create_label(org.id, "Newsletter", color="#15803d")
    labels.create_label(org.id, "Churned", color="#b91c1c", stage="lost")
    lifecycle.set_inactivity_days(org.id, 365)
    for name, email, phone, company, names in PEOPLE:
        contact = service.upsert_contact(
            org.id, email, name=name, phone=phone, company=company, custom={"city": "Jakarta"}
        )
        for label in names:
            service.add_label(contact, label)
    contact_sync.sync_pending(org.id)
