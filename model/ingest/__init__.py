"""Exports in: readers for any CSV / Excel / Parquet, the import (mapping and the one
validator), saved datasets, the starter model and the demo set. Imports only the core."""
