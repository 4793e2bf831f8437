-- Fewer index writes per audited change (issue 6; docs/benchmarks.md, "Audit log and webhooks").
-- Every sign-in writes audit entries and an outbox event in its transaction, so each index on
-- those tables is paid on the sign-in path.
--
-- audit_logs (actor_type, actor_id, occurred_at) duplicated audit_logs_actor_id_idx
-- (actor_id, occurred_at): actor ids are UUIDs, unique across actor types, so the shorter index
-- serves every actor lookup, "my own entries" included.
DROP INDEX audit_logs_actor_idx;
-- outbox_events (dispatched_at, occurred_at) was written when an event was recorded and again
-- when it was dispatched, for the retention job alone (the dispatcher reads the partial
-- outbox_events_undispatched_idx). Retention reads dispatched events by age: a partial index
-- of those, written once, at dispatch, off the request's transaction.
DROP INDEX outbox_events_pending_idx;
CREATE INDEX outbox_events_dispatched_idx ON outbox_events (occurred_at) WHERE dispatched_at IS NOT NULL;
