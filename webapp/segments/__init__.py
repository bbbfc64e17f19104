"""Segments: saved condition trees over the Contact Book, registrations, check-ins, tracked events
and mail engagement, compiled to parameterized SQL and counted when asked."""
