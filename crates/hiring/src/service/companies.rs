//! Companies: create (the creator becomes owner), public listing and search, update by owners
//! and admins, deletion by owners, verification by platform admins (audited).

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use vertechie_accounts::people;
use vertechie_kernel::audit::{AuditEntry, record};
use vertechie_kernel::db::{begin_write, like_escape};
use vertechie_kernel::error::UniqueKey;
use vertechie_kernel::text::{clean, clean_text, is_http_url};
use vertechie_kernel::{
    AppError, AppResult, AppState, CurrentUser, Page, PageQuery, Patch, UserId, Validator,
};

use crate::model::{company, company_member};
use crate::service::{CompanyRole, Refusal, find_company, require_role};

pub const NAME_MAX: usize = 120;
pub const SLUG_MIN: usize = 2;
pub const SLUG_MAX: usize = 60;
pub const URL_MAX: usize = 500;
pub const INDUSTRY_MAX: usize = 100;
pub const LOCATION_MAX: usize = 120;
pub const ABOUT_MAX: usize = 5000;
pub const SIZES: [&str; 5] = ["1-10", "11-50", "51-200", "201-1000", "1000+"];

/// A company as everyone sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompanyView {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub logo_url: Option<String>,
    pub website: Option<String>,
    /// 1-10 | 11-50 | 51-200 | 201-1000 | 1000+
    pub size: Option<String>,
    pub industry: Option<String>,
    pub location: Option<String>,
    pub about: Option<String>,
    /// Set by platform admins; cleared when the name or website changes.
    pub verified: bool,
    /// When the company closed (its last owner left with no admin to take over); closed
    /// companies are not listed and post no jobs.
    pub closed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<&company::Model> for CompanyView {
    fn from(c: &company::Model) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            slug: c.slug.clone(),
            logo_url: c.logo_url.clone(),
            website: c.website.clone(),
            size: c.size.clone(),
            industry: c.industry.clone(),
            location: c.location.clone(),
            about: c.about.clone(),
            verified: c.verified,
            closed_at: c.closed_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A new company. `slug` is generated from the name when absent.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CompanyCreate {
    /// Required, at most 120 characters.
    pub name: Option<String>,
    /// `[a-z0-9-]`, 2–60 characters, not starting or ending with `-`; unique.
    pub slug: Option<String>,
    /// An http(s) URL.
    pub logo_url: Option<String>,
    /// An http(s) URL.
    pub website: Option<String>,
    /// 1-10 | 11-50 | 51-200 | 201-1000 | 1000+
    pub size: Option<String>,
    pub industry: Option<String>,
    pub location: Option<String>,
    /// At most 5000 characters.
    pub about: Option<String>,
}

/// Changes to a company: absent fields stay, `null` clears (name and slug cannot be cleared).
/// `verified` is not accepted here.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CompanyUpdate {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub slug: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub logo_url: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub website: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub size: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub industry: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub location: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub about: Patch<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompanySearch {
    /// Matches name, industry or location (case-insensitive, substring).
    pub q: Option<String>,
    pub page: Option<u64>,
    pub limit: Option<u64>,
}

/// The editable fields after cleaning, before validation.
#[derive(Debug, Default)]
struct Fields {
    name: Option<String>,
    slug: Option<String>,
    logo_url: Option<String>,
    website: Option<String>,
    size: Option<String>,
    industry: Option<String>,
    location: Option<String>,
    about: Option<String>,
}

impl Fields {
    fn of(c: &company::Model) -> Self {
        Self {
            name: Some(c.name.clone()),
            slug: Some(c.slug.clone()),
            logo_url: c.logo_url.clone(),
            website: c.website.clone(),
            size: c.size.clone(),
            industry: c.industry.clone(),
            location: c.location.clone(),
            about: c.about.clone(),
        }
    }

    fn validate(&self, v: &mut Validator) {
        match &self.name {
            None => v.add("name", "is required"),
            Some(n) => v.max_len(Some(n), "name", NAME_MAX),
        }
        if let Some(slug) = &self.slug
            && let Err(msg) = check_slug(slug)
        {
            v.add("slug", msg);
        }
        for (field, url) in [("logo_url", &self.logo_url), ("website", &self.website)] {
            if let Some(u) = url {
                if !is_http_url(u) {
                    v.add(field, "must be an http(s) URL");
                } else {
                    v.max_len(Some(u), field, URL_MAX);
                }
            }
        }
        if let Some(size) = &self.size
            && !SIZES.contains(&size.as_str())
        {
            v.add("size", format!("must be one of {}", SIZES.join(", ")));
        }
        v.max_len(self.industry.as_deref(), "industry", INDUSTRY_MAX);
        v.max_len(self.location.as_deref(), "location", LOCATION_MAX);
        v.max_len(self.about.as_deref(), "about", ABOUT_MAX);
    }
}

fn clean_url(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn clean_slug(s: &str) -> Option<String> {
    let t = s.trim().to_ascii_lowercase();
    (!t.is_empty()).then_some(t)
}

/// Why a slug is not acceptable, if it is not.
pub fn check_slug(slug: &str) -> Result<(), &'static str> {
    let len = slug.chars().count();
    if !(SLUG_MIN..=SLUG_MAX).contains(&len) {
        return Err("must be 2–60 characters");
    }
    if !slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err("may contain only lower-case letters, digits and hyphens");
    }
    if slug.starts_with('-') || slug.ends_with('-') {
        return Err("must not start or end with a hyphen");
    }
    Ok(())
}

/// A slug made from a name: ASCII letters and digits, runs of anything else become one hyphen.
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = truncate_slug(&out, SLUG_MAX);
    if out.len() < SLUG_MIN {
        "company".to_owned()
    } else {
        out
    }
}

/// At most `max` characters, without a trailing hyphen.
fn truncate_slug(s: &str, max: usize) -> String {
    let cut: String = s.chars().take(max).collect();
    cut.trim_end_matches('-').to_owned()
}

fn slug_taken() -> AppError {
    AppError::conflict("SLUG_TAKEN", "Another company already uses this slug")
}

const UQ_COMPANIES_SLUG: UniqueKey = UniqueKey::new("uq_companies_slug", "companies", &["slug"]);

/// Tells a lost race on the slug index apart from other conflicts.
fn map_unique(e: AppError) -> AppError {
    if e.is_conflict_on(&UQ_COMPANIES_SLUG) {
        slug_taken()
    } else {
        e
    }
}

async fn slug_exists<C: ConnectionTrait>(
    conn: &C,
    slug: &str,
    except: Option<Uuid>,
) -> AppResult<bool> {
    let mut q = company::Entity::find().filter(company::Column::Slug.eq(slug));
    if let Some(id) = except {
        q = q.filter(company::Column::Id.ne(id));
    }
    Ok(q.count(conn).await? > 0)
}

/// The first free slug among `base`, `base-2`, `base-3`, …
async fn free_slug<C: ConnectionTrait>(conn: &C, base: &str) -> AppResult<String> {
    for n in 1..=50u32 {
        let candidate = if n == 1 {
            base.to_owned()
        } else {
            let suffix = format!("-{n}");
            format!("{}{suffix}", truncate_slug(base, SLUG_MAX - suffix.len()))
        };
        if !slug_exists(conn, &candidate, None).await? {
            return Ok(candidate);
        }
    }
    Err(slug_taken())
}

/// Creates a company; the creator becomes its owner. Needs a verified email address (403
/// `EMAIL_NOT_VERIFIED`).
pub async fn create(
    state: &AppState,
    actor: &CurrentUser,
    input: CompanyCreate,
) -> AppResult<CompanyView> {
    people::live(&state.db, actor.id.0)
        .await?
        .require_verified_email("create a company")?;
    let fields = Fields {
        name: input.name.as_deref().and_then(clean),
        slug: input.slug.as_deref().and_then(clean_slug),
        logo_url: input.logo_url.as_deref().and_then(clean_url),
        website: input.website.as_deref().and_then(clean_url),
        size: input.size.as_deref().and_then(clean),
        industry: input.industry.as_deref().and_then(clean),
        location: input.location.as_deref().and_then(clean),
        about: input.about.as_deref().and_then(clean_text),
    };
    let mut v = Validator::new();
    fields.validate(&mut v);
    v.finish()?;
    let name = fields.name.unwrap_or_default();

    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let slug = match fields.slug {
        Some(slug) => {
            if slug_exists(&txn, &slug, None).await? {
                return Err(slug_taken());
            }
            slug
        }
        None => free_slug(&txn, &slugify(&name)).await?,
    };
    let row = company::Model {
        id: Uuid::now_v7(),
        name,
        slug,
        logo_url: fields.logo_url,
        website: fields.website,
        size: fields.size,
        industry: fields.industry,
        location: fields.location,
        about: fields.about,
        verified: false,
        closed_at: None,
        created_at: now,
        updated_at: now,
    };
    let row = company::ActiveModel::from(row)
        .insert(&txn)
        .await
        .map_err(|e| map_unique(e.into()))?;
    company_member::ActiveModel::from(company_member::Model {
        id: Uuid::now_v7(),
        company_id: row.id,
        user_id: actor.id.0,
        role: CompanyRole::Owner.as_str().to_owned(),
        created_at: now,
        updated_at: now,
    })
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(CompanyView::from(&row))
}

/// Public: any company by id.
pub async fn get(state: &AppState, id: Uuid) -> AppResult<CompanyView> {
    find_company(&state.db, id)
        .await
        .map(|c| CompanyView::from(&c))
}

/// Public: companies A–Z by name, searchable by name, industry or location.
pub async fn list(state: &AppState, search: CompanySearch) -> AppResult<Page<CompanyView>> {
    let page = PageQuery {
        page: search.page,
        limit: search.limit,
    };
    let mut query = company::Entity::find().filter(company::Column::ClosedAt.is_null());
    if let Some(q) = search.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", like_escape(&q.to_lowercase()));
        let like = |col: company::Column| {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        query = query.filter(
            Condition::any()
                .add(like(company::Column::Name))
                .add(like(company::Column::Industry))
                .add(like(company::Column::Location)),
        );
    }
    let total = query.clone().count(&state.db).await?;
    let rows = query
        .order_by_asc(company::Column::Name)
        .order_by_asc(company::Column::Id)
        .offset(page.offset())
        .limit(page.limit())
        .all(&state.db)
        .await?;
    Ok(Page::new(
        rows.iter().map(CompanyView::from).collect(),
        total,
        &page,
    ))
}

/// Loads the company for a change, holding its row lock (PostgreSQL) until the transaction ends,
/// so concurrent membership changes are decided one after another.
pub(crate) async fn lock_company<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> AppResult<company::Model> {
    company::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Company not found"))
}

/// Owners and admins of the company change its profile.
pub async fn update(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
    input: CompanyUpdate,
) -> AppResult<CompanyView> {
    let txn = begin_write(&state.db).await?;
    let current = lock_company(&txn, id).await?;
    require_role(
        &txn,
        id,
        actor.id,
        CompanyRole::MANAGERS,
        Refusal::Forbidden,
    )
    .await?;

    let mut f = Fields::of(&current);
    if let Some(name) = input.name.into_option() {
        f.name = name.as_deref().and_then(clean);
    }
    let mut v = Validator::new();
    if let Some(slug) = input.slug.into_option() {
        match slug.as_deref().and_then(clean_slug) {
            Some(s) => f.slug = Some(s),
            None => v.add("slug", "cannot be cleared"),
        }
    }
    if let Some(u) = input.logo_url.into_option() {
        f.logo_url = u.as_deref().and_then(clean_url);
    }
    if let Some(u) = input.website.into_option() {
        f.website = u.as_deref().and_then(clean_url);
    }
    if let Some(s) = input.size.into_option() {
        f.size = s.as_deref().and_then(clean);
    }
    if let Some(s) = input.industry.into_option() {
        f.industry = s.as_deref().and_then(clean);
    }
    if let Some(s) = input.location.into_option() {
        f.location = s.as_deref().and_then(clean);
    }
    if let Some(s) = input.about.into_option() {
        f.about = s.as_deref().and_then(clean_text);
    }
    f.validate(&mut v);
    v.finish()?;

    let name = f.name.unwrap_or_default();
    let slug = f.slug.unwrap_or_else(|| current.slug.clone());
    if slug != current.slug && slug_exists(&txn, &slug, Some(id)).await? {
        return Err(slug_taken());
    }
    // Verification vouches for this name and website; a new one must be verified again.
    let keeps_verification = name == current.name && f.website == current.website;
    let mut row = current.clone().into_active_model();
    row.name = Set(name);
    row.slug = Set(slug);
    row.logo_url = Set(f.logo_url);
    row.website = Set(f.website);
    row.size = Set(f.size);
    row.industry = Set(f.industry);
    row.location = Set(f.location);
    row.about = Set(f.about);
    row.verified = Set(current.verified && keeps_verification);
    row.updated_at = Set(state.clock.now());
    let row = row.update(&txn).await.map_err(|e| map_unique(e.into()))?;
    txn.commit().await?;
    crate::service::search_cache::jobs_changed(state);
    Ok(CompanyView::from(&row))
}

/// Only owners delete a company; its memberships, jobs and their search entries go with it.
pub async fn delete(state: &AppState, actor: &CurrentUser, id: Uuid) -> AppResult<()> {
    let txn = begin_write(&state.db).await?;
    lock_company(&txn, id).await?;
    require_role(
        &txn,
        id,
        actor.id,
        &[CompanyRole::Owner],
        Refusal::Forbidden,
    )
    .await?;
    company_member::Entity::delete_many()
        .filter(company_member::Column::CompanyId.eq(id))
        .exec(&txn)
        .await?;
    // Its jobs go by the cascading foreign key; their search entries must go with them.
    crate::service::search::unindex_company(&txn, id).await?;
    company::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    crate::service::search_cache::jobs_changed(state);
    Ok(())
}

/// Platform admins mark a company verified. Audited (also when it already was).
pub async fn verify(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
    ip: Option<String>,
) -> AppResult<CompanyView> {
    actor.require_admin()?;
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let current = lock_company(&txn, id).await?;
    let was_verified = current.verified;
    let row = if was_verified {
        current
    } else {
        let mut row = current.into_active_model();
        row.verified = Set(true);
        row.updated_at = Set(now);
        row.update(&txn).await?
    };
    record(
        &txn,
        now,
        AuditEntry {
            actor: Some(actor.id),
            action: "company.verified",
            target_type: "company",
            target_id: Some(row.id.to_string()),
            details: serde_json::json!({
                "name": row.name,
                "slug": row.slug,
                "already_verified": was_verified,
            }),
            ip,
        },
    )
    .await?;
    txn.commit().await?;
    crate::service::search_cache::jobs_changed(state);
    Ok(CompanyView::from(&row))
}

/// The companies a user belongs to, with their role (for dashboards and later job forms).
pub async fn companies_of<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
) -> AppResult<Vec<(CompanyView, CompanyRole)>> {
    let memberships = company_member::Entity::find()
        .filter(company_member::Column::UserId.eq(user.0))
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = memberships.iter().map(|m| m.company_id).collect();
    let companies = company::Entity::find()
        .filter(company::Column::Id.is_in(ids))
        .order_by_asc(company::Column::Name)
        .all(conn)
        .await?;
    Ok(companies
        .iter()
        .filter_map(|c| {
            let role = memberships
                .iter()
                .find(|m| m.company_id == c.id)
                .and_then(|m| CompanyRole::parse(&m.role))?;
            Some((CompanyView::from(c), role))
        })
        .collect())
}

/// Public: a company by its slug (the public company page); 404 when there is none.
pub async fn get_by_slug(state: &AppState, slug: &str) -> AppResult<CompanyView> {
    let slug = slug.trim().to_lowercase();
    company::Entity::find()
        .filter(company::Column::Slug.eq(slug))
        .one(&state.db)
        .await?
        .map(|c| CompanyView::from(&c))
        .ok_or_else(|| AppError::not_found("Company not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_names() {
        let table = [
            ("Acme Inc.", "acme-inc"),
            ("  Élan  Vital ", "lan-vital"),
            ("X", "company"),
            ("株式会社", "company"),
            ("a--b__c", "a-b-c"),
        ];
        for (name, slug) in table {
            assert_eq!(slugify(name), slug, "{name}");
        }
        let long = slugify(&"ab ".repeat(40));
        assert!(long.len() <= SLUG_MAX && !long.ends_with('-'));
    }

    #[test]
    fn slug_rules() {
        assert!(check_slug("acme-42").is_ok());
        for bad in [
            "a",
            "-acme",
            "acme-",
            "Acme",
            "ac me",
            "acmé",
            &"a".repeat(61),
        ] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
    }
}
