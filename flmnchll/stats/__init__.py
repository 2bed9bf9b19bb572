"""Usage statistics and service status."""
