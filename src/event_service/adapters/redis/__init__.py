"""Redis adapters: the SAQ job queue and the dead-letter store."""

from event_service.adapters.redis.dead_letters import RedisDeadLetterStore
from event_service.adapters.redis.job_queue import PROCESS_BATCH, RetryPolicy, SaqJobQueue, processing_job_key

__all__ = ["PROCESS_BATCH", "RedisDeadLetterStore", "RetryPolicy", "SaqJobQueue", "processing_job_key"]
