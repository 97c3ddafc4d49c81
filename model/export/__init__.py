"""Scores out where the data lives: the model as SQL for warehouses, and batch scoring of
files larger than memory. Imports the core, and ingest to read files the import's way."""
