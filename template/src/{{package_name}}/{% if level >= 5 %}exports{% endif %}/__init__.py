"""Exports of a user's items: asked for over HTTP, made by a background job."""
