//! Demo data for `vertechie seed-demo`: companies owned by demo users, open jobs spread over
//! them (indexed for search like any other job), and applications from other demo users with
//! their match computed by the real engine. Deterministic and repeatable: a second run only
//! adds what is missing up to the requested totals.

use chrono::Duration;
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;
use vertechie_accounts::people::{self, PersonBrief};
use vertechie_accounts::service::seed::{
    EXPERIENCE, SKILLS, demo_experience, demo_skills, demo_username,
};
use vertechie_kernel::db::begin_write;
use vertechie_kernel::{AppError, AppResult, AppState, Validator};

use crate::model::{application, application_event, company, company_member, job};
use crate::service::matching::{self, ExperienceLevel, JobSkill, MatchInput, ProfileSkill};
use crate::service::pipeline::stages_of;
use crate::service::search;

/// Rows written per transaction.
const BATCH: usize = 200;
/// Applications are spread over at most this many jobs, so pipelines look busy.
const JOBS_WITH_APPLICANTS: usize = 250;
const SLUG_PREFIX: &str = "demo-co-";

const COMPANY_WORDS: [&str; 16] = [
    "Lambda", "Vector", "Orbit", "Quartz", "Nimbus", "Cobalt", "Beacon", "Summit", "Harbor",
    "Pixel", "Atlas", "Ferrous", "Granite", "Helix", "Juniper", "Kite",
];
const COMPANY_SUFFIXES: [&str; 4] = ["Labs", "Systems", "Works", "Cloud"];
const INDUSTRIES: [&str; 6] = [
    "Developer tools",
    "Fintech",
    "Health",
    "Education",
    "E-commerce",
    "Infrastructure",
];
const SIZES: [&str; 5] = ["1-10", "11-50", "51-200", "201-1000", "1000+"];
const CITIES: [&str; 10] = [
    "Berlin",
    "London",
    "Bengaluru",
    "New York",
    "Toronto",
    "Amsterdam",
    "Lisbon",
    "Singapore",
    "Austin",
    "Warsaw",
];
const ROLES: [(&str, &[&str]); 8] = [
    ("Backend Engineer", &["Rust", "PostgreSQL", "Docker", "SQL"]),
    (
        "Frontend Engineer",
        &["TypeScript", "React", "JavaScript", "GraphQL"],
    ),
    (
        "Full-Stack Developer",
        &["TypeScript", "Python", "PostgreSQL", "React"],
    ),
    (
        "Data Engineer",
        &["Python", "SQL", "AWS", "Machine Learning"],
    ),
    ("Platform Engineer", &["Kubernetes", "Go", "Linux", "AWS"]),
    ("Mobile Engineer", &["Kotlin", "Java", "Git", "GraphQL"]),
    (
        "Machine Learning Engineer",
        &["Python", "Machine Learning", "SQL", "Docker"],
    ),
    (
        "Systems Programmer",
        &["C++", "Rust", "Linux", "Data Structures"],
    ),
];
const REMOTE: [&str; 3] = ["onsite", "hybrid", "remote"];
const TYPES: [&str; 4] = ["full_time", "full_time", "contract", "part_time"];
const CURRENCIES: [&str; 3] = ["EUR", "USD", "GBP"];

/// What a run added.
#[derive(Debug, Default)]
pub struct HiringSeedReport {
    pub companies: u64,
    pub jobs: u64,
    pub applications: u64,
}

impl std::fmt::Display for HiringSeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "created {} demo companies, {} jobs and {} applications",
            self.companies, self.jobs, self.applications
        )
    }
}

/// `demo-co-0001`, …
pub fn demo_slug(n: u32) -> String {
    format!("{SLUG_PREFIX}{n:04}")
}

fn company_name(n: u32) -> String {
    let i = n as usize;
    let word = COMPANY_WORDS[i % COMPANY_WORDS.len()];
    let suffix = COMPANY_SUFFIXES[(i / COMPANY_WORDS.len()) % COMPANY_SUFFIXES.len()];
    format!("{word} {suffix} {n}")
}

/// Demo user `n`'s id, if that user exists.
async fn demo_user(state: &AppState, n: u32) -> AppResult<Option<PersonBrief>> {
    people::find_by_username(&state.db, &demo_username(n)).await
}

/// Seeds up to `companies` demo companies (demo user `n` owns company `n`), `jobs` open jobs
/// over them, and `applications` from demo users numbered after the owners. The demo users must
/// exist already (the accounts seed runs first).
pub async fn seed_demo(
    state: &AppState,
    companies: u32,
    jobs: u32,
    applications: u32,
    users: u32,
) -> AppResult<HiringSeedReport> {
    let mut v = Validator::new();
    v.check(companies <= 9_999, "companies", "at most 9,999");
    v.check(jobs <= 1_000_000, "jobs", "at most 1,000,000");
    v.check(
        jobs == 0 || companies > 0,
        "companies",
        "jobs need at least one company",
    );
    v.check(
        companies <= users,
        "companies",
        "every demo company is owned by a demo user: seed at least as many users",
    );
    let per_job = (applications as usize).div_ceil(JOBS_WITH_APPLICANTS.min(jobs.max(1) as usize));
    v.check(
        applications == 0 || (companies as usize + per_job) <= users as usize,
        "applications",
        "not enough demo users to apply: seed more users or fewer applications",
    );
    v.check(
        applications == 0 || jobs > 0,
        "applications",
        "applications need jobs",
    );
    v.finish()?;
    let mut report = HiringSeedReport::default();
    let company_ids = seed_companies(state, companies, &mut report).await?;
    let job_ids = seed_jobs(state, &company_ids, jobs, &mut report).await?;
    seed_applications(state, companies, &job_ids, applications, &mut report).await?;
    crate::service::search_cache::jobs_changed(state);
    Ok(report)
}

async fn seed_companies(
    state: &AppState,
    count: u32,
    report: &mut HiringSeedReport,
) -> AppResult<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(count as usize);
    for n in 1..=count {
        let slug = demo_slug(n);
        if let Some(c) = company::Entity::find()
            .filter(company::Column::Slug.eq(slug.clone()))
            .one(&state.db)
            .await?
        {
            ids.push(c.id);
            continue;
        }
        let owner = demo_user(state, n).await?.ok_or_else(|| {
            AppError::field("companies", &format!("demo user {n} does not exist"))
        })?;
        let now = state.clock.now();
        let i = n as usize;
        let id = Uuid::now_v7();
        let txn = begin_write(&state.db).await?;
        company::Entity::insert(company::ActiveModel {
            id: Set(id),
            name: Set(company_name(n)),
            slug: Set(slug),
            logo_url: Set(None),
            website: Set(Some(format!("https://{}.example.com", demo_slug(n)))),
            size: Set(Some(SIZES[i % SIZES.len()].to_owned())),
            industry: Set(Some(INDUSTRIES[i % INDUSTRIES.len()].to_owned())),
            location: Set(Some(CITIES[i % CITIES.len()].to_owned())),
            about: Set(Some(format!(
                "{} builds {} software. This is demo data.",
                company_name(n),
                INDUSTRIES[i % INDUSTRIES.len()].to_lowercase()
            ))),
            verified: Set(n % 3 != 0),
            closed_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        company_member::Entity::insert(company_member::ActiveModel {
            id: Set(Uuid::now_v7()),
            company_id: Set(id),
            user_id: Set(owner.id),
            role: Set("owner".to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        report.companies += 1;
        ids.push(id);
    }
    Ok(ids)
}

/// Job `n` of the demo set (deterministic).
fn demo_job(n: usize, company_id: Uuid, now: chrono::DateTime<chrono::Utc>) -> job::Model {
    let (role, skills) = ROLES[n % ROLES.len()];
    let level = EXPERIENCE[(n / ROLES.len()) % EXPERIENCE.len()];
    let city = CITIES[(n / 3) % CITIES.len()];
    let extra = SKILLS[(n * 7) % SKILLS.len()];
    let mut job_skills: Vec<JobSkill> = skills
        .iter()
        .enumerate()
        .map(|(k, s)| JobSkill {
            name: (*s).to_owned(),
            weight: 5 - k as u8,
            required: k == 0,
        })
        .collect();
    if !job_skills.iter().any(|s| s.name == extra) {
        job_skills.push(JobSkill {
            name: extra.to_owned(),
            weight: 1,
            required: false,
        });
    }
    let keys: String = std::iter::once(String::new())
        .chain(
            job_skills
                .iter()
                .map(|s| matching::canonical_skill(&s.name)),
        )
        .chain(std::iter::once(String::new()))
        .collect::<Vec<_>>()
        .join("|");
    let base = 40_000 + (n % 12) as i64 * 10_000 + (n / ROLES.len() % 4) as i64 * 15_000;
    let questions = json!([
        {"id": "authorised", "text": "Are you authorised to work in the job's country?", "kind": "yes_no", "required": true, "knockout_answer": false, "options": null},
        {"id": "notice", "text": "Notice period in weeks", "kind": "number", "required": false, "knockout_answer": null, "options": null}
    ]);
    let posted = now - Duration::hours((n % (24 * 45)) as i64);
    let title = format!(
        "{}{role}",
        match level {
            "fresher" => "Graduate ",
            "junior" => "Junior ",
            "senior" => "Senior ",
            _ => "",
        }
    );
    job::Model {
        id: Uuid::now_v7(),
        company_id,
        created_by: None,
        description: format!(
            "## About the role\n\nAs a {title} in {city} you will build and run production systems with {}.\n\n\
             ## What you will do\n\n- Ship features end to end\n- Review code and mentor\n- Keep our services fast and reliable\n\n\
             This posting is demo data (number {n}).",
            skills.join(", ")
        ),
        title,
        requirements: Some(format!(
            "Experience with {} and a habit of writing tests.",
            skills[0]
        )),
        skills: serde_json::to_string(&job_skills).unwrap_or_else(|_| "[]".into()),
        skill_keys: keys,
        location: Some(city.to_owned()),
        remote: REMOTE[n % REMOTE.len()].to_owned(),
        employment_type: TYPES[n % TYPES.len()].to_owned(),
        experience_level: Some(level.to_owned()),
        salary_min: Some(base * 100),
        salary_max: Some((base + 20_000) * 100),
        currency: Some(CURRENCIES[n % CURRENCIES.len()].to_owned()),
        screening_questions: questions.to_string(),
        status: "open".to_owned(),
        closes_at: None,
        published_at: Some(posted),
        last_pipeline_activity_at: now,
        stuck_after_days: 7,
        created_at: posted,
        updated_at: posted,
    }
}

async fn seed_jobs(
    state: &AppState,
    companies: &[Uuid],
    target: u32,
    report: &mut HiringSeedReport,
) -> AppResult<Vec<Uuid>> {
    if companies.is_empty() {
        return Ok(Vec::new());
    }
    let existing = job::Entity::find()
        .filter(job::Column::CompanyId.is_in(companies.to_vec()))
        .count(&state.db)
        .await? as usize;
    let target = target as usize;
    let mut n = existing;
    while n < target {
        let end = (n + BATCH).min(target);
        let now = state.clock.now();
        let rows: Vec<job::Model> = (n..end)
            .map(|i| demo_job(i + 1, companies[i % companies.len()], now))
            .collect();
        let txn = begin_write(&state.db).await?;
        job::Entity::insert_many(
            rows.iter()
                .cloned()
                .map(job::ActiveModel::from)
                .collect::<Vec<_>>(),
        )
        .exec_without_returning(&txn)
        .await?;
        for row in &rows {
            search::index_job(&txn, row).await?;
        }
        txn.commit().await?;
        report.jobs += rows.len() as u64;
        n = end;
    }
    // The first jobs get the applicants.
    let ids: Vec<Uuid> = job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(job::Column::CompanyId.is_in(companies.to_vec()))
        .order_by_asc(job::Column::Id)
        .limit(JOBS_WITH_APPLICANTS as u64)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(ids)
}

async fn seed_applications(
    state: &AppState,
    owners: u32,
    jobs: &[Uuid],
    target: u32,
    report: &mut HiringSeedReport,
) -> AppResult<()> {
    if jobs.is_empty() || target == 0 {
        return Ok(());
    }
    let existing = application::Entity::find()
        .filter(application::Column::JobId.is_in(jobs.to_vec()))
        .count(&state.db)
        .await? as usize;
    let target = target as usize;
    for i in existing..target {
        let job_id = jobs[i % jobs.len()];
        // Distinct applicants per job: the k-th round of jobs uses the k-th user after the owners.
        let n = owners + 1 + (i / jobs.len()) as u32;
        let Some(candidate) = demo_user(state, n).await? else {
            return Err(AppError::field(
                "applications",
                &format!("demo user {n} does not exist"),
            ));
        };
        let now = state.clock.now();
        let txn = begin_write(&state.db).await?;
        let Some(j) = job::Entity::find_by_id(job_id).one(&txn).await? else {
            continue;
        };
        let already = application::Entity::find()
            .filter(application::Column::JobId.eq(job_id))
            .filter(application::Column::UserId.eq(candidate.id))
            .count(&txn)
            .await?;
        if already > 0 {
            continue;
        }
        let stages = stages_of(&txn, job_id, now).await?;
        let job_skills: Vec<JobSkill> = serde_json::from_str(&j.skills).unwrap_or_default();
        let profile: Vec<ProfileSkill> = demo_skills(n)
            .into_iter()
            .map(|(name, level)| ProfileSkill {
                name: name.to_owned(),
                level: u8::try_from(level).unwrap_or(3),
            })
            .collect();
        let result = matching::compute(&MatchInput {
            job_skills: &job_skills,
            job_level: j
                .experience_level
                .as_deref()
                .and_then(ExperienceLevel::parse),
            profile_skills: &profile,
            cv_text: "",
            candidate_level: ExperienceLevel::parse(demo_experience(n)),
        });
        // Spread applicants over the pipeline: most wait in the first stage.
        let stage = match i % 10 {
            0..=5 => 0,
            6 | 7 => 1,
            8 => 2,
            _ => 3,
        }
        .min(stages.len().saturating_sub(1));
        let applied = now - Duration::days((i % 20) as i64);
        let id = Uuid::now_v7();
        application::Entity::insert(application::ActiveModel {
            id: Set(id),
            job_id: Set(job_id),
            user_id: Set(candidate.id),
            stage_id: Set(stages[stage].id),
            status: Set("active".to_owned()),
            reject_reason: Set(None),
            reject_note: Set(None),
            answers: Set(json!({"authorised": true, "notice": (i % 12)}).to_string()),
            cover_letter: Set(Some(
                "I would love to build this with you. (Demo application.)".to_owned(),
            )),
            resume_text: Set(None),
            match_score: Set(i32::from(result.score)),
            match_explanation: Set(serde_json::to_string(&result).unwrap_or_default()),
            stage_changed_at: Set(applied),
            created_at: Set(applied),
            updated_at: Set(applied),
        })
        .exec_without_returning(&txn)
        .await?;
        application_event::Entity::insert(application_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            application_id: Set(id),
            actor_id: Set(Some(candidate.id)),
            kind: Set("applied".to_owned()),
            data: Set(json!({"stage": stages[0].name}).to_string()),
            public: Set(true),
            created_at: Set(applied),
        })
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        report.applications += 1;
    }
    Ok(())
}
