"""Lead Scoring Studio's engine, in layers; each imports only the layers below it.

core      the data model (Dataset, AsOf, outcomes), the model spec, stage 1 hits, stage 2 scoring
analysis  what history says: replay, backtests, calibration, suggested points, handoffs, sources
ingest    exports in: readers, the import's one validator, saved datasets, starter model, demo
store     revisions (append-only) and their versioned columns
export    scores out where the data lives: SQL for warehouses, batch scoring of big files
format, charts   numbers and figures for people
services  the use cases the command, the app and an API share;  cli  the `leadscore` command

tests/test_layers.py checks the rule on every import.
"""
