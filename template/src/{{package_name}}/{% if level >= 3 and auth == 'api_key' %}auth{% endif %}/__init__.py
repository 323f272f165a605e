"""Authentication with API keys: per-user keys sent in the X-API-Key header."""
