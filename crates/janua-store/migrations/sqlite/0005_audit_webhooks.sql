-- Audit log reads and webhook delivery (issue 6). The tables exist since 0001; these indexes
-- serve the hot paths: the dispatcher's scan for undispatched outbox events, the workers'
-- claim of due deliveries, and "my own entries" in the audit log.
CREATE INDEX outbox_events_undispatched_idx ON outbox_events (occurred_at, id) WHERE dispatched_at IS NULL;
CREATE INDEX webhook_deliveries_queue_idx ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX audit_logs_actor_id_idx ON audit_logs (actor_id, occurred_at);
