"""The Litestar application."""
