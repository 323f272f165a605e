"""Authentication by OpenID Connect: this API is a resource server.

Clients sign in at the identity provider (Keycloak, Auth0, Entra ID, ...) and send its
access tokens as `Authorization: Bearer <token>`. The API checks them against the
provider's published keys (`jwks.py`), provisions a user on a subject's first request
(`dependencies.py`, `repository.py`), and `cli.py` makes a subject a superuser.
"""
