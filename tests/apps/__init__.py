"""Small apps that real servers (gunicorn) run for the integration tests."""
