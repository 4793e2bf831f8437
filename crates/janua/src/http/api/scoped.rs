//! The registry of org-scoped routes: every route that authorizes against an organization is
//! registered through [`Scoped::route`], which records its method and path template. The
//! isolation test matrix compares its own table with [`super::org_scoped_routes`], so a new
//! org-scoped route without a matrix entry fails the suite.

use axum::routing::MethodRouter;
use axum::Router;

use crate::state::AppState;

/// One org-scoped route: HTTP method and path template.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScopedRoute {
    pub method: &'static str,
    pub path: &'static str,
}

#[derive(Default)]
pub struct Scoped {
    pub router: Router<AppState>,
    pub routes: Vec<ScopedRoute>,
}

impl Scoped {
    /// Registers `handler` at `path`; `methods` names the methods `handler` answers.
    pub fn route(
        mut self,
        path: &'static str,
        methods: &[&'static str],
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.router = self.router.route(path, handler);
        self.routes
            .extend(methods.iter().map(|method| ScopedRoute { method, path }));
        self
    }

    pub fn merge(mut self, other: Scoped) -> Self {
        self.router = self.router.merge(other.router);
        self.routes.extend(other.routes);
        self
    }
}
