"""What gunicorn and `flask --app wsgi` load."""

import tasks.all  # noqa: F401  (the task queue and the work engine's wake-up, loaded at start-up)
from webapp.app import create_app

app = create_app()
