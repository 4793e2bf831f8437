//! Role-based access control (API.md §12).
//!
//! - [`permissions`]: the permission catalogue and wildcard matching.
//! - [`roles`]: system roles (owner, admin, member, viewer; platform `super_admin`) and custom
//!   roles.
//! - [`policies`]: access policies that decide before RBAC, and their evaluation.
//! - [`policy_admin`]: managing policies and the evaluation endpoint.
//! - [`check`]: the one enforcement point, `authorize(principal, org, permission)`.
//! - [`custom`]: managing an organization's custom roles and assigning roles.
//! - [`store`]: the [`RbacStore`](store::RbacStore) trait.

pub mod check;
pub mod custom;
pub mod permissions;
pub mod policies;
pub mod policy_admin;
pub mod roles;
pub mod store;
