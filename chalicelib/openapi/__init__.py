"""The OpenAPI 3.1 description of the API, generated from the route table (see routes.py)."""
