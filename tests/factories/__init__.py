"""Test factories, one module per domain: each call returns a new object."""
