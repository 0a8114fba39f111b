"""Redis adapters: the SAQ job queue, the dead-letter store and the daily totals cache."""

from event_service.adapters.redis.dead_letters import RedisDeadLetterStore
from event_service.adapters.redis.job_queue import PROCESS_BATCH, RetryPolicy, SaqJobQueue, processing_job_key
from event_service.adapters.redis.metrics_cache import RedisDailyTotalsCache

__all__ = [
    "PROCESS_BATCH",
    "RedisDailyTotalsCache",
    "RedisDeadLetterStore",
    "RetryPolicy",
    "SaqJobQueue",
    "processing_job_key",
]
