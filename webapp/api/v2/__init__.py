"""/v2/email-marketing: campaigns and their reports, declared with the same framework, keys and
scopes as /api/v1."""
