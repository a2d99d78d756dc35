//! Jobs as listings and the job page show them, and each employer's response rate.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, Statement};
use uuid::Uuid;
use vertechie_kernel::AppResult;

use crate::model::{company, job};

use super::rules::{stored_questions, stored_skills};
use super::{CompanyBrief, JobView, STALE_DAYS};

fn brief(c: &company::Model) -> CompanyBrief {
    CompanyBrief {
        id: c.id,
        name: c.name.clone(),
        slug: c.slug.clone(),
        verified: c.verified,
    }
}

/// Open, and the pipeline untouched for [`STALE_DAYS`].
pub fn is_stale(j: &job::Model, now: DateTime<Utc>) -> bool {
    j.status == "open" && j.last_pipeline_activity_at <= now - Duration::days(STALE_DAYS)
}

pub(super) fn view(
    j: &job::Model,
    c: &company::Model,
    now: DateTime<Utc>,
    member: bool,
) -> JobView {
    let mut questions = stored_questions(j);
    if !member {
        for q in &mut questions {
            q.knockout_answer = None;
        }
    }
    JobView {
        id: j.id,
        company: brief(c),
        title: j.title.clone(),
        description: j.description.clone(),
        requirements: j.requirements.clone(),
        skills: stored_skills(j),
        location: j.location.clone(),
        remote: j.remote.clone(),
        employment_type: j.employment_type.clone(),
        experience_level: j.experience_level.clone(),
        salary_min: j.salary_min,
        salary_max: j.salary_max,
        currency: j.currency.clone(),
        screening_questions: questions,
        status: j.status.clone(),
        closes_at: j.closes_at,
        published_at: j.published_at,
        created_at: j.created_at,
        updated_at: j.updated_at,
        stale: is_stale(j, now),
        response_rate: None,
        stuck_after_days: member.then_some(j.stuck_after_days),
        match_result: None,
    }
}

pub(super) async fn views<C: ConnectionTrait>(
    conn: &C,
    jobs: &[job::Model],
    now: DateTime<Utc>,
) -> AppResult<Vec<JobView>> {
    let ids: Vec<Uuid> = jobs.iter().map(|j| j.company_id).collect();
    let rates = response_rates(conn, &ids).await?;
    let companies = company::Entity::find()
        .filter(company::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    Ok(jobs
        .iter()
        .filter_map(|j| {
            let c = companies.iter().find(|c| c.id == j.company_id)?;
            let mut v = view(j, c, now, false);
            v.response_rate = rates.get(&c.id).copied();
            Some(v)
        })
        .collect())
}

/// Each employer's response rate: of the applications to its jobs (not withdrawn, not rejected
/// by a knockout answer), the share a person acted on — moved out of the stage they arrived in,
/// or rejected. Companies without such applications have no entry.
pub async fn response_rates<C: ConnectionTrait>(
    conn: &C,
    company_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, f64>> {
    let mut ids: Vec<Uuid> = company_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let backend = conn.get_database_backend();
    let marks: Vec<String> = (1..=ids.len())
        .map(|i| match backend {
            DatabaseBackend::Postgres => format!("${i}"),
            _ => "?".to_owned(),
        })
        .collect();
    let sql = format!(
        "SELECT j.company_id AS company_id, COUNT(*) AS total, \
         SUM(CASE WHEN a.status = 'rejected' OR a.stage_changed_at > a.created_at THEN 1 ELSE 0 END) AS responded \
         FROM applications a JOIN job_postings j ON j.id = a.job_id \
         WHERE j.company_id IN ({}) AND a.status <> 'withdrawn' \
         AND COALESCE(a.reject_reason, '') <> 'knockout' \
         GROUP BY j.company_id",
        marks.join(", ")
    );
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            ids.iter().map(|id| (*id).into()),
        ))
        .await?;
    for r in rows {
        let company: Uuid = r.try_get("", "company_id")?;
        let total: i64 = r.try_get("", "total")?;
        let responded: i64 = r.try_get("", "responded")?;
        if total > 0 {
            // Two decimals are as precise as a rate shown to people needs to be.
            let rate = (responded as f64 / total as f64 * 100.0).round() / 100.0;
            out.insert(company, rate);
        }
    }
    Ok(out)
}
