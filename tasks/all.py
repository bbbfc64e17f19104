"""Every task module, imported so that the consumer knows every task and work handler, and the
domain receivers are connected: `huey_consumer tasks.all.huey`. Add one line per task module."""

import tasks.accounts  # noqa: F401
import tasks.api  # noqa: F401
import tasks.checkin  # noqa: F401
import tasks.console  # noqa: F401
import tasks.contacts  # noqa: F401
import tasks.mail  # noqa: F401
import tasks.orders  # noqa: F401
import tasks.payments  # noqa: F401
import tasks.segments  # noqa: F401
import tasks.tickets  # noqa: F401
import tasks.work  # noqa: F401
import tasks.workflows  # noqa: F401
from tasks import huey  # noqa: F401
