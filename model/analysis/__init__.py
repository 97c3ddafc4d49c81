"""What history says about a model: replay, backtests in time order, calibration,
suggested points, handoff timing, forecasts, sources. Imports only the core."""
