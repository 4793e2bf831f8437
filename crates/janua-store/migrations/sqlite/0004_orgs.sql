-- Organizations, RBAC, API keys: the tables are in 0001. This adds the index the last-owner
-- rule and the role lists read (owners of one organization), and one that finds a user's
-- API keys per organization when a membership ends.
CREATE INDEX organization_members_org_role_idx ON organization_members (organization_id, role);
CREATE INDEX api_keys_org_user_idx ON api_keys (organization_id, user_id);
