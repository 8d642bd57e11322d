"""Member records: schema, validation, storage models, services and their routes."""
