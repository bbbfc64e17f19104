"""Every task module, imported so that the consumer knows them all:
`huey_consumer tasks.all.huey`."""

from tasks import (
    huey,  # noqa: F401
    mail,  # noqa: F401
)
