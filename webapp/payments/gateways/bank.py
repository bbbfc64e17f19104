"""Bank transfer: the attendee sees the organization's bank details and transfers with the order
code as reference; an operator marks the order paid once the money shows on the statement."""

from __future__ import annotations

from webapp.i18n import _l
from webapp.payments.gateways.base import Checkout, Credentials, Gateway, Urls
from webapp.payments.models import BankSettings


class BankTransfer(Gateway):
    name = "bank"
    brand = "Bank transfer"
    label = _l("Bank transfer")
    position = 30
    has_modes = False
    receives_notifications = False
    follows_order = True
    setup_help = _l(
        "Attendees see the bank account below and the order code as the transfer reference. Orders "
        "stay pending until an operator marks them paid, so set a generous hold time for them."
    )

    def is_ready(self, org_id: int, credentials: Credentials | None) -> bool:

        return BankSettings.select().where(BankSettings.organization == org_id).exists()

    def create(self, payment, order, credentials: Credentials, urls: Urls) -> Checkout:
        return Checkout(redirect_url=urls.pay_page)


gateway = BankTransfer()
