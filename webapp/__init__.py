"""Rollcall: the Flask app. The app factory is `webapp.app.create_app`; this package file imports
nothing, so importing any part of the app never loads the whole of it."""
