"""Store selection: which store a configuration gets, and where its data lives."""

from __future__ import annotations

from pathlib import Path

from event_service.adapters.settings import load_settings
from event_service.entrypoints.stores import MongoStore, SqliteStore, open_store


def test_mongodb_url_selects_mongo_and_its_absence_the_sqlite_file_in_data_dir(tmp_path: Path) -> None:
    sqlite = open_store(load_settings(mongodb_url=None, data_dir=tmp_path))
    assert isinstance(sqlite, SqliteStore)
    assert sqlite.location == str((tmp_path / "event-service.sqlite3").resolve())
    mongo = open_store(load_settings(mongodb_url="mongodb://app:pw@db:27017", mongodb_db="events"))
    assert isinstance(mongo, MongoStore)
    assert mongo.location == "mongodb://app:pw@db:27017 database events"
    mongo.close()
