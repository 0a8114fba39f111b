"""MongoDB adapters: Beanie documents, the connection, and the batch, event and metrics repositories.

Typical wiring::

    mongo = connect(settings.mongodb_url, settings.mongodb_db)
    await init_mongo(mongo.database)  # binds the documents (globally) and creates the indexes
    batches, events, metrics = MongoBatchRepository(), MongoEventRepository(), MongoMetricsRepository()
    ...
    mongo.close()
"""

from event_service.adapters.mongo.client import MONGO_OUTAGES, MongoConnection, connect
from event_service.adapters.mongo.documents import (
    ALL_DOCUMENTS,
    BatchDocument,
    BatchErrorDocument,
    ContributionDocument,
    DailyTotalDocument,
    EventDocument,
    RowErrorModel,
    init_mongo,
)
from event_service.adapters.mongo.health import MongoHealth
from event_service.adapters.mongo.repositories import (
    MongoBatchRepository,
    MongoEventRepository,
    MongoMetricsRepository,
)

__all__ = [
    "ALL_DOCUMENTS",
    "MONGO_OUTAGES",
    "BatchDocument",
    "BatchErrorDocument",
    "ContributionDocument",
    "DailyTotalDocument",
    "EventDocument",
    "MongoBatchRepository",
    "MongoConnection",
    "MongoEventRepository",
    "MongoHealth",
    "MongoMetricsRepository",
    "RowErrorModel",
    "connect",
    "init_mongo",
]
