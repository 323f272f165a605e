"""E-mail and password login: short-lived JWT access tokens, rotating refresh tokens."""
