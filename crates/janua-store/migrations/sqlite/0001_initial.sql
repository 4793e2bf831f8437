-- Janua schema, SQLite flavour. migrations/postgres/0001_initial.sql is the same schema in
-- PostgreSQL types; a contract test checks that both define the same tables, columns and indexes.
--
-- Conventions (both backends):
-- * IDs are UUIDs (v7 when new) written by the application, never generated here. SQLite stores
--   them as lowercase hyphenated TEXT: bind `uuid.to_string()`, never a `Uuid` (sqlx would
--   encode a 16-byte BLOB, which these STRICT tables refuse).
-- * Times are TEXT in RFC 3339 UTC with exactly six fractional digits and a `Z`
--   (`2026-01-02T03:04:05.123456Z`, see src/sqlite/codec.rs). Fixed width makes text order equal
--   time order, so range filters and ORDER BY work on the column; microseconds match
--   PostgreSQL's precision, so both backends return the same instants. Always written by the
--   application from its Clock (no DEFAULT CURRENT_TIMESTAMP).
-- * JSON is TEXT checked with json_valid. Booleans are INTEGER 0/1 with a CHECK. Enumerations are
--   TEXT with a CHECK. Tables are STRICT, so a value of the wrong type is an error, not a surprise.
-- * Secrets are stored as SHA-256 hex digests (*_hash) or encrypted envelopes (*_encrypted).
-- * Emails are unique on `email_normalized`, lower-cased by the application, so uniqueness does
--   not depend on the database's idea of case folding and the violation names a plain column.
-- * Every foreign key says what happens on delete: CASCADE for data owned by the parent,
--   SET NULL for references that merely remember who or what. None restricts a delete.
--   Foreign keys are enforced because every connection sets PRAGMA foreign_keys = ON.
-- * Audit rows hold no foreign keys: they are immutable and outlive what they describe.

-- ---------------------------------------------------------------------------------------------
-- Users and their credentials

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    email_verified INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    email_verified_at TEXT,
    username TEXT,
    username_normalized TEXT,
    password_hash TEXT,
    password_changed_at TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    first_name TEXT,
    last_name TEXT,
    display_name TEXT,
    profile_image_url TEXT,
    bio TEXT,
    phone_number TEXT,
    phone_verified INTEGER NOT NULL DEFAULT 0 CHECK (phone_verified IN (0, 1)),
    timezone TEXT,
    locale TEXT,
    user_metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(user_metadata)),
    suspended_at TEXT,
    suspended_reason TEXT,
    last_sign_in_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT users_email_normalized_key UNIQUE (email_normalized),
    CONSTRAINT users_username_normalized_key UNIQUE (username_normalized),
    CONSTRAINT users_status_check CHECK (status IN ('active', 'inactive', 'suspended', 'pending', 'deleted'))
) STRICT;
CREATE INDEX users_status_idx ON users (status, created_at);
CREATE INDEX users_created_at_idx ON users (created_at);
CREATE INDEX users_deleted_at_idx ON users (deleted_at);

-- Uploaded profile pictures, served at GET /api/v1/users/{id}/avatar.
CREATE TABLE user_avatars (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    data BLOB NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- Failed sign-ins per normalised email, whether or not an account has that email (so lockout
-- does not reveal which emails exist). The single source of truth for lockout status; a user's
-- row is found through users.email_normalized.
CREATE TABLE login_lockouts (
    email_normalized TEXT PRIMARY KEY,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    first_failed_at TEXT,
    last_failed_at TEXT,
    locked_until TEXT,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX login_lockouts_locked_until_idx ON login_lockouts (locked_until);

-- ---------------------------------------------------------------------------------------------
-- Organizations (declared before sessions, which may select one)

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    description TEXT,
    logo_url TEXT,
    billing_email TEXT,
    plan TEXT NOT NULL DEFAULT 'free',
    subscription_status TEXT,
    settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
    parent_id TEXT REFERENCES organizations (id) ON DELETE SET NULL,
    owner_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    require_mfa INTEGER NOT NULL DEFAULT 0 CHECK (require_mfa IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT organizations_slug_key UNIQUE (slug)
) STRICT;
CREATE INDEX organizations_parent_id_idx ON organizations (parent_id);
CREATE INDEX organizations_owner_id_idx ON organizations (owner_id);

CREATE TABLE organization_members (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    invited_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    joined_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT organization_members_organization_id_user_id_key UNIQUE (organization_id, user_id),
    CONSTRAINT organization_members_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    CONSTRAINT organization_members_status_check CHECK (status IN ('active', 'suspended'))
) STRICT;
CREATE INDEX organization_members_user_id_idx ON organization_members (user_id);

-- The invitation token lives here (hashed) rather than in one_time_tokens: its lifetime and
-- state are the invitation's.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    token_hash TEXT NOT NULL,
    message TEXT,
    invited_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    email_sent INTEGER NOT NULL DEFAULT 0 CHECK (email_sent IN (0, 1)),
    accepted_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    accepted_at TEXT,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT invitations_token_hash_key UNIQUE (token_hash),
    CONSTRAINT invitations_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    CONSTRAINT invitations_status_check CHECK (status IN ('pending', 'accepted', 'expired', 'revoked'))
) STRICT;
-- One pending invitation per organization and email (409 on a duplicate).
CREATE UNIQUE INDEX invitations_pending_email_key ON invitations (organization_id, email_normalized) WHERE status = 'pending';
CREATE INDEX invitations_organization_id_idx ON invitations (organization_id, status);
CREATE INDEX invitations_expires_at_idx ON invitations (expires_at);

-- ---------------------------------------------------------------------------------------------
-- OAuth clients (declared before sessions: a grant session belongs to a client)

CREATE TABLE oauth_clients (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    redirect_uris TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(redirect_uris)),
    allowed_scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(allowed_scopes)),
    grant_types TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(grant_types)),
    audience TEXT,
    client_key TEXT,
    logo_url TEXT,
    website_url TEXT,
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    is_confidential INTEGER NOT NULL DEFAULT 1 CHECK (is_confidential IN (0, 1)),
    is_first_party INTEGER NOT NULL DEFAULT 0 CHECK (is_first_party IN (0, 1)),
    signing_alg TEXT,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    last_used_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT oauth_clients_client_id_key UNIQUE (client_id),
    CONSTRAINT oauth_clients_client_key_key UNIQUE (client_key),
    CONSTRAINT oauth_clients_signing_alg_check CHECK (signing_alg IN ('RS256', 'ES256', 'EdDSA'))
) STRICT;
CREATE INDEX oauth_clients_name_idx ON oauth_clients (name);
CREATE INDEX oauth_clients_audience_idx ON oauth_clients (audience);
CREATE INDEX oauth_clients_organization_id_idx ON oauth_clients (organization_id);
CREATE INDEX oauth_clients_created_by_idx ON oauth_clients (created_by);

-- The primary secret plus rotated ones still inside their grace period.
CREATE TABLE oauth_client_secrets (
    id TEXT PRIMARY KEY,
    oauth_client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    prefix TEXT NOT NULL,
    is_primary INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    last_used_at TEXT,
    CONSTRAINT oauth_client_secrets_secret_hash_key UNIQUE (secret_hash)
) STRICT;
CREATE UNIQUE INDEX oauth_client_secrets_primary_key ON oauth_client_secrets (oauth_client_id) WHERE is_primary = 1 AND revoked_at IS NULL;
CREATE INDEX oauth_client_secrets_oauth_client_id_idx ON oauth_client_secrets (oauth_client_id);

-- ---------------------------------------------------------------------------------------------
-- Sessions and tokens

-- A browser/REST session (kind 'user') or an OAuth grant session (kind 'oauth_grant', created by a
-- code exchange under the browser session `parent_session_id`). Each session is one refresh-token
-- family. Rows are revoked (revoked_at, revoked_reason), not deleted, until cleanup.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL DEFAULT 'user',
    secret_hash TEXT,
    refresh_family_id TEXT NOT NULL,
    parent_session_id TEXT REFERENCES sessions (id) ON DELETE SET NULL,
    oauth_client_id TEXT REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes)),
    organization_id TEXT REFERENCES organizations (id) ON DELETE SET NULL,
    ip_address TEXT,
    user_agent TEXT,
    device_name TEXT,
    device_type TEXT NOT NULL DEFAULT 'unknown',
    browser TEXT,
    os TEXT,
    amr TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(amr)),
    auth_time TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_activity_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    absolute_expires_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_reason TEXT,
    CONSTRAINT sessions_secret_hash_key UNIQUE (secret_hash),
    CONSTRAINT sessions_refresh_family_id_key UNIQUE (refresh_family_id),
    CONSTRAINT sessions_kind_check CHECK (kind IN ('user', 'oauth_grant')),
    CONSTRAINT sessions_device_type_check CHECK (device_type IN ('mobile', 'tablet', 'desktop', 'unknown'))
) STRICT;
CREATE INDEX sessions_user_id_idx ON sessions (user_id, revoked_at, created_at);
CREATE INDEX sessions_parent_session_id_idx ON sessions (parent_session_id);
CREATE INDEX sessions_oauth_client_id_idx ON sessions (oauth_client_id, user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    family_id TEXT NOT NULL,
    parent_id TEXT REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    oauth_client_id TEXT REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes)),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    revoked_at TEXT,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
) STRICT;
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

-- Revoked access-token `jti`s, denied until `expires_at` (then purged). The cache holds the hot
-- copy; this table makes the deny list survive restarts of an in-process cache.
CREATE TABLE revoked_access_tokens (
    jti TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL
) STRICT;
CREATE INDEX revoked_access_tokens_expires_at_idx ON revoked_access_tokens (expires_at);

-- Single-use secrets mailed to users. `user_id` is NULL for a magic link to an unknown email
-- (the account is created on use). `payload` carries what the link was issued for (redirect,
-- organization, client).
CREATE TABLE one_time_tokens (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    email_normalized TEXT,
    payload TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    CONSTRAINT one_time_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT one_time_tokens_kind_check CHECK (kind IN ('email_verification', 'password_reset', 'magic_link', 'mfa_recovery'))
) STRICT;
CREATE INDEX one_time_tokens_user_id_idx ON one_time_tokens (user_id, kind);
CREATE INDEX one_time_tokens_expires_at_idx ON one_time_tokens (expires_at);

-- The JWT key ring. `state`: published (in the JWKS, not yet signing), active (signing),
-- retired (in the JWKS until `expires_at`, when its last tokens have expired).
CREATE TABLE signing_keys (
    id TEXT PRIMARY KEY,
    kid TEXT NOT NULL,
    alg TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'generated',
    private_key_encrypted TEXT,
    public_jwk TEXT NOT NULL CHECK (json_valid(public_jwk)),
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    activates_at TEXT NOT NULL,
    activated_at TEXT,
    retired_at TEXT,
    expires_at TEXT,
    CONSTRAINT signing_keys_kid_key UNIQUE (kid),
    CONSTRAINT signing_keys_alg_check CHECK (alg IN ('RS256', 'ES256', 'EdDSA')),
    CONSTRAINT signing_keys_source_check CHECK (source IN ('generated', 'imported')),
    CONSTRAINT signing_keys_state_check CHECK (state IN ('published', 'active', 'retired'))
) STRICT;
CREATE INDEX signing_keys_state_idx ON signing_keys (state, alg);

-- ---------------------------------------------------------------------------------------------
-- MFA and passkeys

-- One TOTP factor per user; `verified_at` is NULL between /mfa/enable and /mfa/verify.
CREATE TABLE mfa_totp (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_encrypted TEXT NOT NULL,
    verified_at TEXT,
    last_used_step INTEGER,
    last_used_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE mfa_backup_codes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT,
    CONSTRAINT mfa_backup_codes_user_id_code_hash_key UNIQUE (user_id, code_hash)
) STRICT;

CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL,
    passkey TEXT NOT NULL CHECK (json_valid(passkey)),
    public_key TEXT,
    sign_count INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    authenticator_attachment TEXT,
    aaguid TEXT,
    transports TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(transports)),
    backup_eligible INTEGER NOT NULL DEFAULT 0 CHECK (backup_eligible IN (0, 1)),
    backup_state INTEGER NOT NULL DEFAULT 0 CHECK (backup_state IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_used_at TEXT,
    CONSTRAINT passkeys_credential_id_key UNIQUE (credential_id),
    CONSTRAINT passkeys_authenticator_attachment_check CHECK (authenticator_attachment IN ('platform', 'cross-platform'))
) STRICT;
CREATE INDEX passkeys_user_id_idx ON passkeys (user_id);

CREATE TABLE social_accounts (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    provider_user_id TEXT NOT NULL,
    email TEXT,
    email_verified INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    profile TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(profile)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_used_at TEXT,
    CONSTRAINT social_accounts_provider_provider_user_id_key UNIQUE (provider, provider_user_id),
    CONSTRAINT social_accounts_user_id_provider_key UNIQUE (user_id, provider)
) STRICT;

-- ---------------------------------------------------------------------------------------------
-- RBAC

-- System roles have no organization; custom roles belong to one. `permissions` is a JSON array.
CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    permissions TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(permissions)),
    is_system INTEGER NOT NULL DEFAULT 0 CHECK (is_system IN (0, 1)),
    level INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT roles_organization_id_name_key UNIQUE (organization_id, name)
) STRICT;
-- NULLs are distinct in UNIQUE constraints, so system role names need their own index.
CREATE UNIQUE INDEX roles_system_name_key ON roles (name) WHERE organization_id IS NULL;

-- Custom roles granted to a user within an organization (the base role is the membership's).
CREATE TABLE user_roles (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    granted_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT user_roles_organization_id_user_id_role_id_key UNIQUE (organization_id, user_id, role_id)
) STRICT;
CREATE INDEX user_roles_user_id_idx ON user_roles (user_id);
CREATE INDEX user_roles_role_id_idx ON user_roles (role_id);

CREATE TABLE policies (
    id TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    effect TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    target_type TEXT NOT NULL,
    target_id TEXT,
    resource_type TEXT,
    resource_pattern TEXT,
    actions TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(actions)),
    conditions TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(conditions)),
    rules TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(rules)),
    expires_at TEXT,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT policies_effect_check CHECK (effect IN ('allow', 'deny')),
    CONSTRAINT policies_priority_check CHECK (priority BETWEEN 0 AND 1000),
    CONSTRAINT policies_target_type_check CHECK (target_type IN ('user', 'role', 'organization', 'global'))
) STRICT;
CREATE INDEX policies_organization_id_idx ON policies (organization_id, enabled);
CREATE INDEX policies_target_idx ON policies (target_type, target_id);

-- ---------------------------------------------------------------------------------------------
-- API keys

-- `key_prefix` is `sk_live_` + 4 hex (the display `prefix` adds `...`); the key itself is only
-- kept as its SHA-256.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    key_prefix TEXT NOT NULL,
    scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes)),
    rate_limit_per_min INTEGER NOT NULL DEFAULT 60,
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    last_used_at TEXT,
    expires_at TEXT,
    revoked_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_rate_limit_per_min_check CHECK (rate_limit_per_min BETWEEN 1 AND 10000)
) STRICT;
CREATE INDEX api_keys_organization_id_idx ON api_keys (organization_id, created_at);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);

-- ---------------------------------------------------------------------------------------------
-- OAuth / OIDC flows

-- A parked /authorize request while the user signs in or consents (auth_request_id).
CREATE TABLE authorization_requests (
    id TEXT PRIMARY KEY,
    oauth_client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes)),
    state TEXT,
    nonce TEXT,
    code_challenge TEXT,
    code_challenge_method TEXT,
    prompt TEXT,
    max_age INTEGER,
    login_hint TEXT,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    session_id TEXT REFERENCES sessions (id) ON DELETE CASCADE,
    params TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    consumed_at TEXT
) STRICT;
CREATE INDEX authorization_requests_expires_at_idx ON authorization_requests (expires_at);

-- Codes are bound to client, redirect URI, PKCE challenge, nonce, user and browser session.
-- `grant_session_id` is set on exchange so a replayed code can revoke what it produced.
CREATE TABLE authorization_codes (
    id TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    oauth_client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    grant_session_id TEXT REFERENCES sessions (id) ON DELETE SET NULL,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes)),
    nonce TEXT,
    code_challenge TEXT,
    code_challenge_method TEXT,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    auth_time TEXT NOT NULL,
    amr TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(amr)),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    CONSTRAINT authorization_codes_code_hash_key UNIQUE (code_hash)
) STRICT;
CREATE INDEX authorization_codes_expires_at_idx ON authorization_codes (expires_at);

-- A user's consent to a client's scopes; revoking it revokes the client's grant sessions.
CREATE TABLE oauth_consents (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    oauth_client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes)),
    granted_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    updated_at TEXT NOT NULL,
    CONSTRAINT oauth_consents_user_id_oauth_client_id_key UNIQUE (user_id, oauth_client_id)
) STRICT;
CREATE INDEX oauth_consents_oauth_client_id_idx ON oauth_consents (oauth_client_id);

-- RFC 8628 device authorization grant.
CREATE TABLE device_codes (
    id TEXT PRIMARY KEY,
    device_code_hash TEXT NOT NULL,
    user_code TEXT NOT NULL,
    oauth_client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes)),
    status TEXT NOT NULL DEFAULT 'pending',
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    interval_seconds INTEGER NOT NULL DEFAULT 5,
    last_polled_at TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    decided_at TEXT,
    consumed_at TEXT,
    CONSTRAINT device_codes_device_code_hash_key UNIQUE (device_code_hash),
    CONSTRAINT device_codes_user_code_key UNIQUE (user_code),
    CONSTRAINT device_codes_status_check CHECK (status IN ('pending', 'approved', 'denied', 'consumed'))
) STRICT;
CREATE INDEX device_codes_expires_at_idx ON device_codes (expires_at);

-- ---------------------------------------------------------------------------------------------
-- Audit, events, webhooks, jobs

-- Immutable; written in the transaction of the change. Actor and target IDs are TEXT because
-- they name different kinds of things (users, API keys, clients, setting keys).
CREATE TABLE audit_logs (
    id TEXT PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id TEXT,
    actor_email TEXT,
    action TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT,
    organization_id TEXT,
    ip_address TEXT,
    user_agent TEXT,
    request_id TEXT,
    outcome TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
    CONSTRAINT audit_logs_actor_type_check CHECK (actor_type IN ('user', 'api_key', 'oauth_client', 'system')),
    CONSTRAINT audit_logs_outcome_check CHECK (outcome IN ('success', 'failure'))
) STRICT;
CREATE INDEX audit_logs_occurred_at_idx ON audit_logs (occurred_at, id);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_type, actor_id, occurred_at);
CREATE INDEX audit_logs_action_idx ON audit_logs (action, occurred_at);
CREATE INDEX audit_logs_organization_id_idx ON audit_logs (organization_id, occurred_at);
CREATE INDEX audit_logs_target_idx ON audit_logs (target_type, target_id);

-- The transactional outbox: one row per domain event, written with the change, fanned out into
-- webhook deliveries by the delivery job (`dispatched_at`). `id` is the webhook payload id.
CREATE TABLE outbox_events (
    id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    organization_id TEXT,
    user_id TEXT,
    audit_log_id TEXT,
    data TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
    occurred_at TEXT NOT NULL,
    dispatched_at TEXT
) STRICT;
CREATE INDEX outbox_events_pending_idx ON outbox_events (dispatched_at, occurred_at);

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    secret_encrypted TEXT NOT NULL,
    events TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(events)),
    headers TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(headers)),
    description TEXT,
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_organization_id_idx ON webhook_endpoints (organization_id);
CREATE INDEX webhook_endpoints_user_id_idx ON webhook_endpoints (user_id);

-- One row per (endpoint, event); workers claim due rows by setting `locked_until`.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempt INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    locked_until TEXT,
    response_status INTEGER,
    response_body TEXT,
    response_latency_ms INTEGER,
    error TEXT,
    delivered_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT webhook_deliveries_endpoint_id_event_id_key UNIQUE (endpoint_id, event_id),
    CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'retrying', 'delivered', 'failed'))
) STRICT;
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint_id_idx ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX webhook_deliveries_event_id_idx ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_created_at_idx ON webhook_deliveries (created_at);

-- Durable background work (mail delivery and the like). Workers claim due rows by setting
-- `locked_until`; `dedupe_key` makes enqueueing idempotent. A payload may carry a single-use
-- link, so finished rows are deleted by cleanup.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    status TEXT NOT NULL DEFAULT 'pending',
    dedupe_key TEXT,
    run_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 8,
    locked_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    CONSTRAINT jobs_dedupe_key_key UNIQUE (dedupe_key),
    CONSTRAINT jobs_status_check CHECK (status IN ('pending', 'running', 'succeeded', 'failed'))
) STRICT;
CREATE INDEX jobs_due_idx ON jobs (status, run_at);
CREATE INDEX jobs_kind_idx ON jobs (kind, status);

-- ---------------------------------------------------------------------------------------------
-- Administration

-- Runtime settings (auth.allow_signups, maintenance mode, retention, custom domain, ...).
CREATE TABLE system_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL
) STRICT;

-- Admin-managed CORS origins, on top of CORS_ORIGINS and client redirect origins.
CREATE TABLE cors_origins (
    id TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT cors_origins_origin_key UNIQUE (origin)
) STRICT;

-- ---------------------------------------------------------------------------------------------
-- Enterprise: SSO, SCIM

CREATE TABLE sso_configurations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    configuration TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(configuration)),
    client_secret_encrypted TEXT,
    metadata_url TEXT,
    certificate TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT sso_configurations_provider_check CHECK (provider IN ('saml', 'oidc'))
) STRICT;
CREATE INDEX sso_configurations_organization_id_idx ON sso_configurations (organization_id);

-- Email domains routed to an SSO configuration (POST /sso/initiate by email); a domain belongs to
-- one configuration only. The API's `domains` array is assembled from these rows.
CREATE TABLE sso_domains (
    domain TEXT PRIMARY KEY,
    sso_configuration_id TEXT NOT NULL REFERENCES sso_configurations (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX sso_domains_sso_configuration_id_idx ON sso_domains (sso_configuration_id);

CREATE TABLE scim_configurations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    enabled INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT scim_configurations_organization_id_key UNIQUE (organization_id)
) STRICT;

CREATE TABLE scim_tokens (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    prefix TEXT NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    expires_at TEXT,
    revoked_at TEXT,
    CONSTRAINT scim_tokens_token_hash_key UNIQUE (token_hash)
) STRICT;
CREATE INDEX scim_tokens_organization_id_idx ON scim_tokens (organization_id);

-- The IdP's externalId for a provisioned user (resource_type 'User') or group ('Group' = role).
CREATE TABLE scim_resources (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    external_id TEXT,
    version TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT scim_resources_organization_id_resource_type_resource_id_key UNIQUE (organization_id, resource_type, resource_id),
    CONSTRAINT scim_resources_organization_id_resource_type_external_id_key UNIQUE (organization_id, resource_type, external_id),
    CONSTRAINT scim_resources_resource_type_check CHECK (resource_type IN ('User', 'Group'))
) STRICT;

-- ---------------------------------------------------------------------------------------------
-- Compliance and migration

-- Data export and deletion requests. `user_id` becomes NULL once a deletion has purged the user.
CREATE TABLE compliance_requests (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    scheduled_for TEXT,
    result TEXT CHECK (json_valid(result)),
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT,
    expires_at TEXT,
    CONSTRAINT compliance_requests_kind_check CHECK (kind IN ('export', 'deletion')),
    CONSTRAINT compliance_requests_status_check CHECK (status IN ('pending', 'processing', 'completed', 'cancelled', 'failed'))
) STRICT;
CREATE INDEX compliance_requests_user_id_idx ON compliance_requests (user_id, kind);
CREATE INDEX compliance_requests_due_idx ON compliance_requests (status, scheduled_for);

-- Privacy consents (GET/POST /compliance/consents), one row per user and purpose.
CREATE TABLE privacy_consents (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    granted INTEGER NOT NULL CHECK (granted IN (0, 1)),
    version TEXT,
    granted_at TEXT,
    withdrawn_at TEXT,
    updated_at TEXT NOT NULL,
    CONSTRAINT privacy_consents_user_id_purpose_key UNIQUE (user_id, purpose)
) STRICT;

-- User imports. `input` holds the uploaded file until the job has run.
CREATE TABLE migration_jobs (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    options TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(options)),
    input BLOB,
    total INTEGER NOT NULL DEFAULT 0,
    imported INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    CONSTRAINT migration_jobs_source_check CHECK (source IN ('auth0', 'okta', 'firebase', 'cognito', 'json', 'csv')),
    CONSTRAINT migration_jobs_status_check CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled'))
) STRICT;
CREATE INDEX migration_jobs_status_idx ON migration_jobs (status, created_at);

CREATE TABLE migration_job_errors (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES migration_jobs (id) ON DELETE CASCADE,
    row_number INTEGER,
    identifier TEXT,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX migration_job_errors_job_id_idx ON migration_job_errors (job_id);
