"""The vocabulary's fixed words, importable without numpy or pandas, so that the command's
help (built from them) starts at once: lead and event roles, what to do with blank created
dates, outcomes, calibration methods and SQL dialects."""

ROLES = ("lead_id", "created_at", "outcome", "value", "stage", "source", "closed_at")
EVENT_ROLES = ("lead_id", "occurred_at", "event_type")
CREATED_POLICIES = {
    "fallback": "take the first event's date, else the closed date minus the median cycle",
    "leave_out": "leave them out of the dataset",
}
OUTCOMES = ("won", "lost", "open")  # their codes, in this order, are core.dataset's WON, LOST, OPEN
METHODS = ("isotonic", "logistic")  # how a score is turned into a confidence
# the SQL export's warehouses, as people name them (sqlglot writes each)
DIALECT_NAMES = {
    "duckdb": "DuckDB",
    "postgres": "PostgreSQL",
    "snowflake": "Snowflake",
    "bigquery": "BigQuery",
    "databricks": "Databricks SQL",
    "spark": "Spark SQL",
    "redshift": "Amazon Redshift",
    "trino": "Trino / Presto / Athena",
    "sqlserver": "SQL Server 2022 / Azure SQL",
    "ansi": "ANSI SQL (any other; time differences to the second)",
}
DIALECTS = tuple(DIALECT_NAMES)
