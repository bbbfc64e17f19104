"""Flask extensions, created unbound and initialized in create_app."""

from flask_babel import Babel
from flask_caching import Cache
from flask_compress import Compress
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()

LANGUAGES = ("en", "id")  # the languages every page, email and document is written in

cache = Cache()  # shared by every process and node: pages rendered once (webapp/events/page_cache.py)
compress = Compress()  # gzip, brotli or zstd for text answers, as the client accepts
