//! The cache adapters behind `janua_core::ports::Cache`: an in-process map by default, Redis
//! (single node or cluster) when configured. [`connect`] picks one from the configuration.

pub mod memory;
pub mod redis;

use std::sync::Arc;

use janua_core::ports::Cache;

/// Where the cache lives, decided from `REDIS_URL` / `REDIS_CLUSTER_NODES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheTarget {
    InProcess,
    Redis { url: String },
    Cluster { nodes: Vec<String> },
}

impl CacheTarget {
    /// `redis+cluster://h1:p1,h2:p2` and `REDIS_CLUSTER_NODES` select a cluster; any other
    /// `REDIS_URL` a single node; neither the in-process cache.
    pub fn from_settings(redis_url: Option<&str>, cluster_nodes: &[String]) -> Self {
        if let Some(url) = redis_url {
            if let Some(rest) = url.strip_prefix("redis+cluster://") {
                let nodes = rest
                    .split(',')
                    .map(|n| n.trim().trim_end_matches('/'))
                    .filter(|n| !n.is_empty())
                    .map(|n| format!("redis://{n}"))
                    .collect();
                return CacheTarget::Cluster { nodes };
            }
            if cluster_nodes.is_empty() {
                return CacheTarget::Redis {
                    url: url.to_owned(),
                };
            }
        }
        if !cluster_nodes.is_empty() {
            let nodes = cluster_nodes
                .iter()
                .map(|n| {
                    if n.contains("://") {
                        n.clone()
                    } else {
                        format!("redis://{n}")
                    }
                })
                .collect();
            return CacheTarget::Cluster { nodes };
        }
        CacheTarget::InProcess
    }
}

/// The default key prefix in a shared Redis (`REDIS_KEY_PREFIX` overrides it).
pub const DEFAULT_KEY_PREFIX: &str = "janua:";

/// Builds the cache for `target` with the default key prefix.
pub async fn connect(target: &CacheTarget) -> janua_core::Result<Arc<dyn Cache>> {
    connect_with_prefix(target, DEFAULT_KEY_PREFIX).await
}

/// Builds the cache for `target`; in Redis every key starts with `prefix`, so several Janua
/// deployments (or test runs) can share one Redis. Redis connections are established lazily
/// and re-established after failures, so a Redis outage at start-up makes the instance not
/// ready rather than dead.
pub async fn connect_with_prefix(
    target: &CacheTarget,
    prefix: &str,
) -> janua_core::Result<Arc<dyn Cache>> {
    Ok(match target {
        CacheTarget::InProcess => Arc::new(memory::MemoryCache::new()),
        CacheTarget::Redis { url } => Arc::new(redis::RedisCache::single(url, prefix)?),
        CacheTarget::Cluster { nodes } => Arc::new(redis::RedisCache::cluster(nodes, prefix)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_redis_settings_mean_the_in_process_cache() {
        assert_eq!(
            CacheTarget::from_settings(None, &[]),
            CacheTarget::InProcess
        );
    }

    #[test]
    fn a_plain_redis_url_means_a_single_node() {
        assert_eq!(
            CacheTarget::from_settings(Some("redis://127.0.0.1:6379/0"), &[]),
            CacheTarget::Redis {
                url: "redis://127.0.0.1:6379/0".into()
            }
        );
    }

    #[test]
    fn a_cluster_url_lists_every_node() {
        assert_eq!(
            CacheTarget::from_settings(Some("redis+cluster://a:1,b:2"), &[]),
            CacheTarget::Cluster {
                nodes: vec!["redis://a:1".into(), "redis://b:2".into()]
            }
        );
    }

    #[test]
    fn cluster_nodes_select_a_cluster() {
        assert_eq!(
            CacheTarget::from_settings(None, &["a:1".into(), "rediss://b:2".into()]),
            CacheTarget::Cluster {
                nodes: vec!["redis://a:1".into(), "rediss://b:2".into()]
            }
        );
    }
}
