"""`flask apikeys ...`: API keys from the command line."""

from __future__ import annotations

import click

from webapp.accounts import api_keys
from webapp.accounts.models import ApiKey, Organization
from webapp.db import db


def register(app) -> None:
    group = click.Group("apikeys", help="API keys of an organization.")

    def _org(slug: str) -> Organization:
        org = Organization.get_or_none(Organization.slug == slug)
        if org is None:
            raise click.ClickException(f"no organization with slug {slug!r}")
        return org

    @group.command("create")
    @click.option("--org", "org_slug", required=True, help="The organization's slug.")
    @click.option("--name", required=True, help="What the key is for.")
    @click.option("--read-only", is_flag=True, help="The key may only read.")
    def create(org_slug, name, read_only):
        """Create a key and print it (shown this once)."""
        with db.connection_context():
            try:
                key, token = api_keys.create_key(_org(org_slug), name, read_only=read_only, actor_label="command line")
            except api_keys.AccountError as exc:
                raise click.ClickException(str(exc)) from None
        click.echo(token)
        click.echo(f"key {key.prefix}… created; store it now, it is not shown again", err=True)

    @group.command("list")
    @click.option("--org", "org_slug", required=True)
    def list_keys(org_slug):
        """List keys (never the keys themselves)."""
        with db.connection_context():
            for key in api_keys.keys_of(_org(org_slug).id):
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
                used = f"last used {key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
                mode = "read-only" if key.read_only else "read-write"
                click.echo(f"{key.id}\t{key.prefix}…\t{key.name}\t{mode}\t{state}\t{used}")

    @group.command("revoke")
    @click.option("--org", "org_slug", required=True)
    @click.argument("key_id", type=int)
    def revoke(org_slug, key_id):
        """Revoke a key by its id (see `list`)."""
        with db.connection_context():
            key = ApiKey.get_or_none((ApiKey.id == key_id) & (ApiKey.organization == _org(org_slug).id))
            if key is None:
                raise click.ClickException(f"no key {key_id} in this organization")
            api_keys.revoke_key(key, actor_label="command line")
        click.echo(f"key {key.prefix}… revoked")

    app.cli.add_command(group)
