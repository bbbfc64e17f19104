"""The console tests' organization, event and signed-in operator serve the registrant pages too."""

from tests.console.conftest import desk, member_client  # noqa: F401
