"""Helpers for the integration tests: real servers on loopback ports and a
browser that follows redirects between them."""
