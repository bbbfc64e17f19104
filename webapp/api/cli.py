"""`flask api ...`: what an API key may do (scopes, its own rate limit, read-only or not)."""

from __future__ import annotations

import click

from webapp.accounts import api_keys
from webapp.accounts.api_keys import SCOPES
from webapp.accounts.models import ApiKey
from webapp.accounts.service import AccountError
from webapp.db import db


def register(app) -> None:
    group = click.Group("api", help="API keys' scopes and rate limits.")

    @group.command("key-policy")
    @click.argument("prefix")
    @click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES), help="Repeatable; none: all.")
    @click.option("--per-minute", type=int, default=None, help="Requests per minute; none: the default.")
    @click.option("--read-only/--read-write", default=None, help="Change whether the key may write.")
    def key_policy(prefix, scopes, per_minute, read_only):
        """Limit the key whose prefix (as listed in the console, e.g. rc_AbC123x) is PREFIX."""
        with db.connection_context():
            keys = list(ApiKey.select().where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_null()))
            if len(keys) != 1:
                raise click.ClickException(f"{len(keys)} active keys have the prefix {prefix!r}; expected one")
            try:
                policy = api_keys.set_policy(
                    keys[0], scopes=scopes, requests_per_minute=per_minute, read_only=read_only,
                    actor_label="command line",
                )  # fmt: skip
            except AccountError as exc:
                raise click.ClickException(str(exc)) from None
            click.echo(f"{keys[0].name}: {api_keys.describe_policy(ApiKey.get_by_id(keys[0].id), policy)}")

    app.cli.add_command(group)
