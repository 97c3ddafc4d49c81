"""The revision store (append-only, SQLAlchemy) and its versioned columns. Imports only
the core."""
