"""Redis adapters: the SAQ job queue, the dead-letter store, the job rate limiter and the daily totals cache."""

from event_service.adapters.redis.dead_letters import DeadLetterRecord, RedisDeadLetterStore
from event_service.adapters.redis.health import RedisHealth
from event_service.adapters.redis.job_queue import (
    PROCESS_BATCH,
    REPROCESS_DAY,
    RetryPolicy,
    SaqJobQueue,
    ServiceQueue,
    job_key,
    job_message,
    saq_call,
)
from event_service.adapters.redis.metrics_cache import RedisDailyTotalsCache
from event_service.adapters.redis.outages import REDIS_OUTAGES
from event_service.adapters.redis.rate_limiter import RedisRateLimiter

__all__ = [
    "PROCESS_BATCH",
    "REDIS_OUTAGES",
    "REPROCESS_DAY",
    "DeadLetterRecord",
    "RedisDailyTotalsCache",
    "RedisDeadLetterStore",
    "RedisHealth",
    "RedisRateLimiter",
    "RetryPolicy",
    "SaqJobQueue",
    "ServiceQueue",
    "job_key",
    "job_message",
    "saq_call",
]
