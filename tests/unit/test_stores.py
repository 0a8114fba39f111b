"""Store selection: which store a configuration gets, and URLs logged without their passwords."""

from __future__ import annotations

from pathlib import Path

import pytest

from event_service.adapters.settings import load_settings
from event_service.entrypoints.stores import MongoStore, SqliteStore, open_store, redact_url


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        (
            "mongodb://app:p%40ss@db1:27017,db2:27017/?replicaSet=rs0",
            "mongodb://app:***@db1:27017,db2:27017/?replicaSet=rs0",
        ),
        ("mongodb+srv://app:pw@cluster.example.net/events", "mongodb+srv://app:***@cluster.example.net/events"),
        ("redis://127.0.0.1:6379/1", "redis://127.0.0.1:6379/1"),
        ("redis://user@cache:6379", "redis://user@cache:6379"),
    ],
)
def test_urls_are_logged_without_their_password(url: str, logged: str) -> None:
    assert redact_url(url) == logged


def test_mongodb_url_selects_mongo_and_its_absence_the_sqlite_file_in_data_dir(tmp_path: Path) -> None:
    sqlite = open_store(load_settings(mongodb_url=None, data_dir=tmp_path))
    assert isinstance(sqlite, SqliteStore)
    assert sqlite.location == str((tmp_path / "event-service.sqlite3").resolve())
    mongo = open_store(load_settings(mongodb_url="mongodb://app:pw@db:27017", mongodb_db="events"))
    assert isinstance(mongo, MongoStore)
    assert mongo.location == "mongodb://app:***@db:27017 database events"
    mongo.close()
