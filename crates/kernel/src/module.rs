//! A domain as one value: what it adds to the app (routes, migrations, queue handlers, schedules,
//! navigation, assets, typed extensions, listeners, seed and account-deletion hooks). Each domain
//! crate returns one from `pub fn module() -> Module`; `server` keeps the ordered list and derives
//! the migrator, the routers, the OpenAPI document, the navigation, the assets, the workers and
//! `seed-demo` from it, so adding a domain is one line there.
//!
//! ```ignore
//! pub fn module() -> Module {
//!     Module::new("hiring")
//!         .tag("hiring", "Companies, jobs, applications")
//!         .api(api::router())
//!         .pages(pages::router())
//!         .migrations(migrations::migrations())
//!         .task(CLOSE_STALE_JOBS, Arc::new(CloseStaleJobs))
//!         .every(CLOSE_STALE_JOBS, Duration::from_secs(86_400))
//!         .nav(NavEntry::new(200, "Jobs", "/jobs", icons::BRIEFCASE))
//!         .asset(Asset::css("css/hiring.css", include_bytes!("../static/css/hiring.css")))
//!         .extension(SearchCache::default())
//!         .requires::<UserViewCache>()
//!         .on_start(search_cache::spawn_listener)
//!         .seed(Arc::new(HiringSeed))
//!         .on_user_deleted(Arc::new(HiringDeletion))
//!         .uses_files(Arc::new(LogoFiles))
//! }
//! ```

use std::any::{TypeId, type_name};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use futures::future::BoxFuture;
use sea_orm::DatabaseTransaction;
use sea_orm_migration::MigrationTrait;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::Role;
use crate::error::AppResult;
use crate::files::{FileInUse, FileInUseChecks};
use crate::id::UserId;
use crate::queue::{Handlers, TaskHandler};
use crate::state::AppState;

/// One entry of the page navigation. Entries of all modules are shown by ascending `order`
/// (ties by module order); leave gaps (100, 200, …) so a new domain can slot in between.
#[derive(Debug, Clone)]
pub struct NavEntry {
    pub order: u16,
    pub label: &'static str,
    pub href: &'static str,
    /// An inline SVG path (24×24 viewBox).
    pub icon: &'static str,
    /// Empty: every signed-in user; otherwise any of these roles.
    pub roles: &'static [Role],
}

impl NavEntry {
    pub const fn new(
        order: u16,
        label: &'static str,
        href: &'static str,
        icon: &'static str,
    ) -> Self {
        Self {
            order,
            label,
            href,
            icon,
            roles: &[],
        }
    }

    pub const fn for_roles(mut self, roles: &'static [Role]) -> Self {
        self.roles = roles;
        self
    }
}

/// A static file a module owns, served by the web crate under a content-hashed URL.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The logical path templates ask for (`css/hiring.css`); unique over all modules.
    pub path: &'static str,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
    /// Linked from the layout of every signed-in page (a stylesheet or module script).
    pub on_every_page: bool,
}

impl Asset {
    pub const fn css(path: &'static str, bytes: &'static [u8]) -> Self {
        Self::new(path, bytes, "text/css; charset=utf-8")
    }
    pub const fn js(path: &'static str, bytes: &'static [u8]) -> Self {
        Self::new(path, bytes, "text/javascript; charset=utf-8")
    }
    pub const fn svg(path: &'static str, bytes: &'static [u8]) -> Self {
        Self::new(path, bytes, "image/svg+xml")
    }
    pub const fn new(path: &'static str, bytes: &'static [u8], content_type: &'static str) -> Self {
        Self {
            path,
            bytes,
            content_type,
            on_every_page: false,
        }
    }
    /// Linked from every signed-in page's layout.
    pub const fn everywhere(mut self) -> Self {
        self.on_every_page = true;
        self
    }
}

/// A queue task the kernel keeps recurring: one is queued at start-up (due at once) unless one is
/// already waiting, and after each successful run the next is queued `every` later.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub kind: &'static str,
    pub every: Duration,
}

/// An OpenAPI tag a module's operations use.
#[derive(Debug, Clone, Copy)]
pub struct ApiTag {
    pub name: &'static str,
    pub description: &'static str,
}

/// A count the demo seed of a module takes (`vertechie seed-demo --<name> N`).
#[derive(Debug, Clone, Copy)]
pub struct SeedParam {
    pub name: &'static str,
    pub default: u32,
    pub help: &'static str,
}

/// What `vertechie seed-demo` was asked for.
#[derive(Debug, Clone)]
pub struct SeedArgs {
    /// Demo users `user00001`… (made by accounts, used by every later seed).
    pub users: u32,
    pub password: String,
    pub counts: HashMap<&'static str, u32>,
}

impl SeedArgs {
    /// The value of one of the module's [`SeedParam`]s (its default when not given).
    pub fn count(&self, param: &SeedParam) -> u32 {
        self.counts
            .get(param.name)
            .copied()
            .unwrap_or(param.default)
    }
}

/// Demo data for `vertechie seed-demo`: adds only what is missing; runs in module order.
#[async_trait::async_trait]
pub trait SeedHook: Send + Sync + 'static {
    fn params(&self) -> &'static [SeedParam] {
        &[]
    }
    /// A one-line report of what was added.
    async fn seed(&self, state: &AppState, args: &SeedArgs) -> AppResult<String>;
}

/// What each module does when an account is deleted, inside the deletion's transaction (so the
/// whole deletion commits or none of it). Runs in reverse module order: the higher domains let go
/// of the user before the lower ones.
#[async_trait::async_trait]
pub trait UserDeletionHook: Send + Sync + 'static {
    async fn user_deleted(
        &self,
        state: &AppState,
        txn: &DatabaseTransaction,
        user: UserId,
    ) -> AppResult<()>;

    /// After the deletion committed: caches to empty, events to publish.
    fn after_commit(&self, _state: &AppState, _user: UserId) {}
}

/// Every module's deletion hook, in the order to run them; registered by the server as an
/// extension so accounts can run them without knowing the domains above it.
#[derive(Clone, Default)]
pub struct UserDeletionHooks(pub Vec<(&'static str, Arc<dyn UserDeletionHook>)>);

impl UserDeletionHooks {
    pub async fn run(
        &self,
        state: &AppState,
        txn: &DatabaseTransaction,
        user: UserId,
    ) -> AppResult<()> {
        for (module, hook) in &self.0 {
            tracing::debug!(module, %user, "account deletion hook");
            hook.user_deleted(state, txn, user).await?;
        }
        Ok(())
    }

    pub fn after_commit(&self, state: &AppState, user: UserId) {
        for (_, hook) in &self.0 {
            hook.after_commit(state, user);
        }
    }
}

/// A task started once the state exists (bus listeners, heartbeats).
pub type StartHook = fn(AppState);
/// Run when the server stops, before in-flight requests are awaited (closing live sockets).
pub type StopHook = fn(AppState, Duration) -> BoxFuture<'static, ()>;

struct Requirement {
    name: &'static str,
    present: fn(&http::Extensions) -> bool,
}

/// One domain's contribution to the app. Built with the methods below; see the module docs.
pub struct Module {
    pub name: &'static str,
    pub tags: Vec<ApiTag>,
    pub api: OpenApiRouter<AppState>,
    pub pages: Router<AppState>,
    pub migrations: Vec<Box<dyn MigrationTrait>>,
    pub tasks: Vec<(&'static str, Arc<dyn TaskHandler>)>,
    pub schedules: Vec<Schedule>,
    pub nav: Vec<NavEntry>,
    pub assets: Vec<Asset>,
    pub extensions: http::Extensions,
    provided: Vec<(TypeId, &'static str)>,
    required: Vec<Requirement>,
    pub on_start: Vec<StartHook>,
    pub on_stop: Vec<StopHook>,
    pub seed: Option<Arc<dyn SeedHook>>,
    pub user_deleted: Option<Arc<dyn UserDeletionHook>>,
    pub file_uses: Vec<Arc<dyn FileInUse>>,
}

impl Module {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            tags: Vec::new(),
            api: OpenApiRouter::new(),
            pages: Router::new(),
            migrations: Vec::new(),
            tasks: Vec::new(),
            schedules: Vec::new(),
            nav: Vec::new(),
            assets: Vec::new(),
            extensions: http::Extensions::new(),
            provided: Vec::new(),
            required: Vec::new(),
            on_start: Vec::new(),
            on_stop: Vec::new(),
            seed: None,
            user_deleted: None,
            file_uses: Vec::new(),
        }
    }

    pub fn tag(mut self, name: &'static str, description: &'static str) -> Self {
        self.tags.push(ApiTag { name, description });
        self
    }
    pub fn api(mut self, router: OpenApiRouter<AppState>) -> Self {
        self.api = self.api.merge(router);
        self
    }
    pub fn pages(mut self, router: Router<AppState>) -> Self {
        self.pages = self.pages.merge(router);
        self
    }
    pub fn migrations(mut self, migrations: Vec<Box<dyn MigrationTrait>>) -> Self {
        self.migrations.extend(migrations);
        self
    }
    /// A queue task handler for `kind` (`"<module>.<what>"`).
    pub fn task(mut self, kind: &'static str, handler: Arc<dyn TaskHandler>) -> Self {
        self.tasks.push((kind, handler));
        self
    }
    /// Keeps the task `kind` (whose handler this module registers) recurring every `every`.
    pub fn every(mut self, kind: &'static str, every: Duration) -> Self {
        self.schedules.push(Schedule { kind, every });
        self
    }
    pub fn nav(mut self, entry: NavEntry) -> Self {
        self.nav.push(entry);
        self
    }
    pub fn asset(mut self, asset: Asset) -> Self {
        self.assets.push(asset);
        self
    }
    /// A typed value this module provides to the state (`state.ext::<T>()`).
    pub fn extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.provided.push((TypeId::of::<T>(), type_name::<T>()));
        self.extensions.insert(value);
        self
    }
    /// Declares that this module reads `state.ext::<T>()`: start-up fails naming `T` when no
    /// module provides it.
    pub fn requires<T: Clone + Send + Sync + 'static>(mut self) -> Self {
        self.required.push(Requirement {
            name: type_name::<T>(),
            present: |e| e.get::<T>().is_some(),
        });
        self
    }
    pub fn on_start(mut self, hook: StartHook) -> Self {
        self.on_start.push(hook);
        self
    }
    pub fn on_stop(mut self, hook: StopHook) -> Self {
        self.on_stop.push(hook);
        self
    }
    pub fn seed(mut self, hook: Arc<dyn SeedHook>) -> Self {
        self.seed = Some(hook);
        self
    }
    pub fn on_user_deleted(mut self, hook: Arc<dyn UserDeletionHook>) -> Self {
        self.user_deleted = Some(hook);
        self
    }
    /// Tells the sweep of never-attached uploads which files this module uses through
    /// references that are not foreign keys to `files.id` (see `files::cleanup`).
    pub fn uses_files(mut self, check: Arc<dyn FileInUse>) -> Self {
        self.file_uses.push(check);
        self
    }
}

/// Problems found when the modules are put together; each names the module and the thing.
#[derive(Debug, thiserror::Error)]
#[error("the modules do not fit together:\n  {}", .0.join("\n  "))]
pub struct AssemblyError(pub Vec<String>);

/// Everything derived from the ordered module list that is not a router (the routers are merged
/// by the server, which owns the OpenAPI document).
pub struct Assembly {
    pub migrations: Vec<Box<dyn MigrationTrait>>,
    pub handlers: Handlers,
    pub schedules: Vec<Schedule>,
    /// Sorted by `order`, ties in module order.
    pub nav: Vec<NavEntry>,
    pub assets: Vec<Asset>,
    pub extensions: http::Extensions,
    pub tags: Vec<ApiTag>,
    pub on_start: Vec<StartHook>,
    pub on_stop: Vec<StopHook>,
    pub seeds: Vec<(&'static str, Arc<dyn SeedHook>)>,
}

/// Checks the modules against each other and takes their parts (routers excepted): unique names,
/// task kinds, asset paths, navigation links and extension types; every required extension
/// provided; every schedule backed by a handler.
pub fn assemble(modules: &mut [Module]) -> Result<Assembly, AssemblyError> {
    let mut problems = Vec::new();
    let mut names = HashSet::new();
    let mut handlers: Handlers = HashMap::new();
    let mut task_owner: HashMap<&str, &str> = HashMap::new();
    let mut asset_owner: BTreeMap<&str, &str> = BTreeMap::new();
    let mut nav_owner: HashMap<&str, &str> = HashMap::new();
    let mut ext_owner: HashMap<TypeId, &str> = HashMap::new();
    let mut a = Assembly {
        migrations: Vec::new(),
        handlers: HashMap::new(),
        schedules: Vec::new(),
        nav: Vec::new(),
        assets: Vec::new(),
        extensions: http::Extensions::new(),
        tags: Vec::new(),
        on_start: Vec::new(),
        on_stop: Vec::new(),
        seeds: Vec::new(),
    };
    let mut deletion = Vec::new();
    let mut file_uses = Vec::new();
    for m in modules.iter_mut() {
        if !names.insert(m.name) {
            problems.push(format!("two modules are named {:?}", m.name));
        }
        a.migrations.append(&mut m.migrations);
        for (kind, h) in m.tasks.drain(..) {
            if let Some(other) = task_owner.insert(kind, m.name) {
                problems.push(format!(
                    "task kind {kind:?} is handled by both {other:?} and {:?}",
                    m.name
                ));
            }
            handlers.insert(kind, h);
        }
        a.schedules.extend(m.schedules.iter().copied());
        for n in &m.nav {
            if let Some(other) = nav_owner.insert(n.href, m.name) {
                problems.push(format!(
                    "navigation link {:?} is added by both {other:?} and {:?}",
                    n.href, m.name
                ));
            }
        }
        a.nav.extend(m.nav.iter().cloned());
        for asset in &m.assets {
            if let Some(other) = asset_owner.insert(asset.path, m.name) {
                problems.push(format!(
                    "asset {:?} is owned by both {other:?} and {:?}",
                    asset.path, m.name
                ));
            }
        }
        a.assets.extend(m.assets.iter().copied());
        for (id, type_name) in &m.provided {
            if let Some(other) = ext_owner.insert(*id, m.name) {
                problems.push(format!(
                    "extension {type_name} is provided by both {other:?} and {:?}",
                    m.name
                ));
            }
        }
        a.extensions.extend(std::mem::take(&mut m.extensions));
        a.tags.extend(m.tags.iter().copied());
        a.on_start.extend(m.on_start.iter().copied());
        a.on_stop.extend(m.on_stop.iter().copied());
        if let Some(s) = &m.seed {
            a.seeds.push((m.name, s.clone()));
        }
        if let Some(h) = &m.user_deleted {
            deletion.push((m.name, h.clone()));
        }
        file_uses.extend(m.file_uses.iter().map(|c| (m.name, c.clone())));
    }
    for m in modules.iter() {
        for r in &m.required {
            if !(r.present)(&a.extensions) {
                problems.push(format!(
                    "module {:?} requires the extension {}, which no module provides",
                    m.name, r.name
                ));
            }
        }
    }
    for s in &a.schedules {
        if !handlers.contains_key(s.kind) {
            problems.push(format!(
                "schedule {:?} has no task handler registered",
                s.kind
            ));
        }
    }
    if !problems.is_empty() {
        return Err(AssemblyError(problems));
    }
    // Stable: entries with the same order keep the module order.
    a.nav.sort_by_key(|n| n.order);
    deletion.reverse();
    a.extensions.insert(UserDeletionHooks(deletion));
    a.extensions.insert(FileInUseChecks(file_uses));
    a.handlers = handlers;
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone)]
    struct Needed;

    #[test]
    fn a_missing_extension_is_named_at_assembly() {
        let mut modules = [Module::new("a").requires::<Needed>()];
        let err = assemble(&mut modules).err().map(|e| e.to_string());
        let msg = err.unwrap_or_default();
        assert!(msg.contains("module \"a\" requires the extension"), "{msg}");
        assert!(msg.contains("Needed"), "{msg}");
        let mut modules = [
            Module::new("a").requires::<Needed>(),
            Module::new("b").extension(Needed),
        ];
        assert!(assemble(&mut modules).is_ok());
    }

    #[test]
    fn duplicates_are_refused_and_nav_follows_order() {
        let mut modules = [
            Module::new("a")
                .nav(NavEntry::new(300, "Late", "/late", ""))
                .asset(Asset::css("css/x.css", b"")),
            Module::new("b")
                .nav(NavEntry::new(100, "Early", "/early", ""))
                .asset(Asset::css("css/x.css", b"")),
        ];
        let msg = assemble(&mut modules)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            msg.contains("asset \"css/x.css\" is owned by both"),
            "{msg}"
        );
        let mut modules = [
            Module::new("a").nav(NavEntry::new(300, "Late", "/late", "")),
            Module::new("b").nav(NavEntry::new(100, "Early", "/early", "")),
        ];
        let a = assemble(&mut modules).ok();
        let hrefs: Vec<_> = a
            .map(|a| a.nav.iter().map(|n| n.href).collect())
            .unwrap_or_default();
        assert_eq!(hrefs, ["/early", "/late"]);
    }

    #[test]
    fn a_schedule_needs_a_handler() {
        let mut modules = [Module::new("a").every("a.tick", Duration::from_secs(60))];
        let msg = assemble(&mut modules)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("schedule \"a.tick\""), "{msg}");
    }
}
