"""Demo data: a newcomer always lands on something real. `flask demo` (and `make run` on an
empty database) creates it; each domain adds its part in `seed_demo`."""

from __future__ import annotations

import click

from webapp.accounts import service as accounts
from webapp.accounts.models import Organization, User
from webapp.catalog.demo import seed as seed_events
from webapp.db import db
from webapp.orders.contacts_demo import seed as seed_contacts
from webapp.orders.demo import seed as seed_orders
from webapp.payments.demo import seed as seed_payments

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "rollcall-demo"


def seed_demo() -> Organization:
    with db.atomic():
        user = accounts.create_user(DEMO_EMAIL, "Demo Operator", DEMO_PASSWORD)
        org = accounts.create_organization("Demo Events", user, slug="demo", timezone="Asia/Jakarta")

        event = seed_events(org, user)

        seed_orders(event, user)

        seed_payments(org)

        seed_contacts(org)
    return org


def register_cli(app) -> None:
    @app.cli.command("demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
    def demo_command(if_empty):
        """Create the demo organization and operator."""
        with db.connection_context():
            if User.select().where(User.email == DEMO_EMAIL).exists():
                click.echo("demo data already present")
                return
            if if_empty and User.select().exists():
                click.echo("database has users: demo data not added")
                return
            org = seed_demo()
        click.echo(f"demo organization {org.name!r} created; sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
