"""The items resource: schemas, data access and HTTP routes."""
