"""What gunicorn and `flask --app wsgi` load."""

from webapp import create_app

app = create_app()

# Load the task queue now, not on the first commit that announces a signal: that first delivery
# request would otherwise import it while holding SQLite's write turn, stalling every writer.
import tasks.outbox  # noqa: E402, F401
