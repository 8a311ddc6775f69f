-- Version 6: the W3C traceparent of the request that enqueued the job, so its handler's span joins that trace.
ALTER TABLE jobs ADD COLUMN trace_parent text;
