"""Flask extensions, created unbound and initialized in create_app."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()

LANGUAGES = ("en", "id")  # the languages every page, email and document is written in
