//! Full-text job search on both databases behind one interface.
//!
//! - **SQLite**: an FTS5 table `job_postings_fts(job_id UNINDEXED, title, body, skills)` (tokenizer
//!   `unicode61`, diacritics removed). Relevance is `bm25` with column weights title 10, skills
//!   4, body 1 (lower is better). Each job's index row has the rowid
//!   `vertechie_kernel::fts::sqlite_rowid(job id)`, so rewriting or removing it is a rowid lookup.
//! - **PostgreSQL**: a `search_tsv` column on `job_postings` (GIN index) made of
//!   `setweight(to_tsvector('simple', title), 'A') || skills 'B' || description and
//!   requirements 'C'`. Relevance is `ts_rank` (higher is better).
//!
//! Both indexes are fed text in which everything but letters and digits is a space (so
//! `Node.js` is the words `node` and `js` on both, never PostgreSQL's single file-name token),
//! and neither stems: a word matches the same jobs on both databases. (SQLite also folds
//! diacritics, `cafe` finding `café`; PostgreSQL would need the `unaccent` extension.)
//!
//! The index is [`JOB_INDEX`] (a `kernel::fts::FtsIndex`), written by [`index_job`] /
//! [`unindex_job`] inside the transaction that changes the job, so it is never out of step;
//! deleting a company removes its jobs' entries in its transaction ([`unindex_company`]).
//!
//! User input never reaches either query language as syntax: [`fts_terms`] keeps only runs of
//! letters and digits (any script), lower-cased, at most [`MAX_TERMS`]; SQLite gets each term
//! double-quoted (`"rust" "async"`, all must match) and PostgreSQL gets them through
//! `plainto_tsquery`. Input without any letter or digit means no text filter at all.

use sea_orm::{ConnectionTrait, DbErr, Statement};
use uuid::Uuid;

use crate::model::job;

use vertechie_kernel::fts::{FtsField, FtsIndex, SqlParams as Params};
pub use vertechie_kernel::fts::{MAX_TERMS, fts_terms};

/// Where jobs are indexed: `job_postings_fts` (SQLite) or `job_postings.search_tsv`
/// (PostgreSQL); the title counts most, then the skills, then the description.
pub const JOB_INDEX: FtsIndex = FtsIndex {
    table: "job_postings",
    tsv_column: "search_tsv",
    fts_table: "job_postings_fts",
    fts_id: "job_id",
    fields: &[
        FtsField {
            column: "title",
            bm25: 10.0,
            pg_weight: 'A',
        },
        FtsField {
            column: "body",
            bm25: 1.0,
            pg_weight: 'C',
        },
        FtsField {
            column: "skills",
            bm25: 4.0,
            pg_weight: 'B',
        },
    ],
};

/// The text the index holds for the job's skills: their names, space separated.
fn skill_text(job: &job::Model) -> String {
    serde_json::from_str::<Vec<serde_json::Value>>(&job.skills)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.get("name").and_then(|n| n.as_str()).map(str::to_owned))
        .collect::<Vec<_>>()
        .join(" ")
}

fn body_text(job: &job::Model) -> String {
    match &job.requirements {
        Some(r) => format!("{}\n{}", job.description, r),
        None => job.description.clone(),
    }
}

/// Writes (or rewrites) the job's entry in the search index. Call in the job's transaction.
pub async fn index_job<C: ConnectionTrait>(conn: &C, job: &job::Model) -> Result<(), DbErr> {
    JOB_INDEX
        .upsert(
            conn,
            job.id,
            &[&job.title, &body_text(job), &skill_text(job)],
        )
        .await
}

/// Removes the job from the search index. Call in the transaction that deletes the job.
pub async fn unindex_job<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<(), DbErr> {
    JOB_INDEX.remove(conn, id).await
}

/// Removes the index entries of every job of the company: call in the transaction that deletes
/// it (its jobs go by a cascading foreign key, which the SQLite FTS5 table does not have).
pub async fn unindex_company<C: ConnectionTrait>(conn: &C, company_id: Uuid) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let ids: Vec<Uuid> = job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(job::Column::CompanyId.eq(company_id))
        .into_tuple()
        .all(conn)
        .await?;
    JOB_INDEX.remove_many(conn, &ids).await
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Best text match first (newest first when there is no text query).
    Relevance,
    Newest,
    /// Highest pay (the top of the range) first; jobs without a salary last.
    Salary,
}

/// Filters over open jobs. Every value is bound as a parameter.
#[derive(Debug, Clone)]
pub struct JobQuery {
    pub terms: Vec<String>,
    /// Lower-cased, matched as a substring of the location.
    pub location: Option<String>,
    pub remote: Option<String>,
    pub employment_type: Option<String>,
    pub experience_level: Option<String>,
    /// A canonical skill key.
    pub skill_key: Option<String>,
    pub company_id: Option<Uuid>,
    pub company_slug: Option<String>,
    /// The top of the job's range (or its minimum when there is no top) must reach this.
    pub salary_min: Option<i64>,
    /// … or this many whole units of the job's own currency.
    pub salary_at_least: Option<i64>,
    pub posted_since: Option<chrono::DateTime<chrono::Utc>>,
    pub now: chrono::DateTime<chrono::Utc>,
    pub sort: Sort,
    pub limit: u64,
    pub offset: u64,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct IdRow {
    id: Uuid,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct CountRow {
    n: i64,
}

/// One page of matching open job ids in order, and the total.
pub async fn search<C: ConnectionTrait>(conn: &C, q: &JobQuery) -> Result<(Vec<Uuid>, u64), DbErr> {
    use sea_orm::FromQueryResult;
    let backend = conn.get_database_backend();
    let mut p = Params::new(backend);
    let text = !q.terms.is_empty();
    let mut from = "job_postings j".to_owned();
    // The same matches without the score, for the count.
    let mut count_from = from.clone();
    let mut best_first = String::new();
    let mut wh = Vec::new();
    if text {
        let m = JOB_INDEX.joined(&mut p, &q.terms, "j");
        from = m.ranked_from;
        count_from = m.from;
        wh.push(m.condition);
        best_first = m.best_first;
    }
    wh.push("j.status = 'open'".to_owned());
    let now = p.push(q.now);
    wh.push(format!("(j.closes_at IS NULL OR j.closes_at > {now})"));
    if let Some(loc) = &q.location {
        let pattern = format!("%{}%", vertechie_kernel::db::like_escape(loc));
        wh.push(format!(
            "LOWER(j.location) LIKE {} ESCAPE '\\'",
            p.push(pattern)
        ));
    }
    if let Some(v) = &q.remote {
        wh.push(format!("j.remote = {}", p.push(v.clone())));
    }
    if let Some(v) = &q.employment_type {
        wh.push(format!("j.employment_type = {}", p.push(v.clone())));
    }
    if let Some(v) = &q.experience_level {
        wh.push(format!("j.experience_level = {}", p.push(v.clone())));
    }
    if let Some(key) = &q.skill_key {
        let pattern = format!("%|{}|%", vertechie_kernel::db::like_escape(key));
        wh.push(format!("j.skill_keys LIKE {} ESCAPE '\\'", p.push(pattern)));
    }
    if let Some(id) = q.company_id {
        wh.push(format!("j.company_id = {}", p.push(id)));
    }
    if let Some(slug) = &q.company_slug {
        wh.push(format!(
            "j.company_id IN (SELECT id FROM companies WHERE slug = {})",
            p.push(slug.clone())
        ));
    }
    if let Some(min) = q.salary_min {
        wh.push(format!(
            "COALESCE(j.salary_max, j.salary_min) >= {}",
            p.push(min)
        ));
    }
    if let Some(major) = q.salary_at_least {
        wh.push(format!(
            "COALESCE(j.salary_max, j.salary_min) >= {} * {}",
            p.push(major),
            vertechie_kernel::money::minor_per_major_sql("j.currency")
        ));
    }
    if let Some(since) = q.posted_since {
        wh.push(format!("j.published_at >= {}", p.push(since)));
    }
    let where_sql = wh.join(" AND ");

    let count_sql = format!("SELECT COUNT(*) AS n FROM {count_from} WHERE {where_sql}");
    let total = CountRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        &count_sql,
        p.values.clone(),
    ))
    .one(conn)
    .await?
    .map(|r| r.n.max(0) as u64)
    .unwrap_or(0);

    let newest = "j.published_at DESC, j.id DESC";
    let order = match q.sort {
        Sort::Relevance if text => format!("{best_first}, {newest}"),
        Sort::Relevance | Sort::Newest => newest.to_owned(),
        Sort::Salary => format!(
            "(COALESCE(j.salary_max, j.salary_min) IS NULL) ASC, COALESCE(j.salary_max, j.salary_min) DESC, {newest}"
        ),
    };
    let limit = p.push(q.limit as i64);
    let offset = p.push(q.offset as i64);
    let sql = format!(
        "SELECT j.id AS id FROM {from} WHERE {where_sql} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
    );
    let ids = IdRow::find_by_statement(Statement::from_sql_and_values(backend, &sql, p.values))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    Ok((ids, total))
}
