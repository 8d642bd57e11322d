"""The public meta area: health, and the schema, rules and texts every client reads."""
