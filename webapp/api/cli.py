"""`flask api ...`: what an API key may do beyond read-only (scopes, its own rate limit)."""

from __future__ import annotations

import click

from webapp.accounts.models import ApiKey
from webapp.api.auth import SCOPES
from webapp.api.models import ApiKeyPolicy
from webapp.db import db, utcnow


def register(app) -> None:
    group = click.Group("api", help="API keys' scopes and rate limits.")

    @group.command("key-policy")
    @click.argument("prefix")
    @click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES), help="Repeatable; none: all.")
    @click.option("--per-minute", type=click.IntRange(1, 10_000_000), default=None, help="Requests per minute.")
    def key_policy(prefix, scopes, per_minute):
        """Limit the key whose prefix (as listed in the console, e.g. rc_AbC123x) is PREFIX."""
        with db.connection_context():
            keys = list(ApiKey.select().where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_null()))
            if len(keys) != 1:
                raise click.ClickException(f"{len(keys)} active keys have the prefix {prefix!r}; expected one")
            with db.atomic():
                policy = ApiKeyPolicy.get_or_none(ApiKeyPolicy.api_key == keys[0].id) or ApiKeyPolicy(api_key=keys[0])
                policy.scopes, policy.requests_per_minute, policy.updated_at = list(scopes), per_minute, utcnow()
                policy.save()
        click.echo(f"{keys[0].name}: scopes {', '.join(scopes) or 'all'}; {per_minute or 'default'} requests/minute")

    app.cli.add_command(group)
