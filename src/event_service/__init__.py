"""event-service: ingest CSV files of user events and serve daily metrics."""

__version__ = "0.1.0"
