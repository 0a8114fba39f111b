"""Implementations of the application's ports: MongoDB, Redis/SAQ, process pool, settings."""
