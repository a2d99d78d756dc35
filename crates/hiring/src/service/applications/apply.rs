//! Applying: screening answers checked by kind (a knockout answer rejects at once, kindly), one
//! application per user and job, the match stored with its explanation, the hiring team told.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{Value, json};
use uuid::Uuid;
use vertechie_accounts::people;
use vertechie_accounts::service::profile;
use vertechie_kernel::db::begin_write;
use vertechie_kernel::error::UniqueKey;
use vertechie_kernel::notify::{Notice, notify};
use vertechie_kernel::text::clean_text;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, UserId, Validator};

use super::common::{event, touch_job};
use super::views::{detail, persons};
use super::{
    ANSWER_TEXT_MAX, ApplicationView, ApplyInput, COVER_LETTER_MAX, EVENT_APPLIED, EVENT_REJECTED,
    KIND_NEW_APPLICATION, RESUME_MAX, publish,
};
use crate::model::{application, company_member, job};
use crate::service::jobs::{EDITORS, ScreeningQuestion};
use crate::service::matching::{
    self, ExperienceLevel, JobSkill, MatchInput, MatchResult, ProfileSkill,
};
use crate::service::pipeline::{find_job, stages_of};
use crate::service::role_in;

const UQ_APPLICATIONS_JOB_USER: UniqueKey = UniqueKey::new(
    "uq_applications_job_user",
    "applications",
    &["job_id", "user_id"],
);

/// Checks the answers against the questions; returns whether a knockout answer was given.
fn check_answers(
    questions: &[ScreeningQuestion],
    answers: &serde_json::Map<String, Value>,
) -> AppResult<bool> {
    let mut v = Validator::new();
    for id in answers.keys() {
        if !questions.iter().any(|q| &q.id == id) {
            v.add(&format!("answers.{id}"), "no such question");
        }
    }
    let mut knockout = false;
    for q in questions {
        let field = format!("answers.{}", q.id);
        let answer = answers.get(&q.id).filter(|a| !a.is_null());
        let answer = match answer {
            Some(Value::String(s)) if q.kind == "text" && clean_text(s).is_none() => None,
            other => other,
        };
        let Some(a) = answer else {
            if q.required {
                v.add(&field, "is required");
            }
            continue;
        };
        let ok = match q.kind.as_str() {
            "text" => match a.as_str() {
                Some(s) if s.chars().count() > ANSWER_TEXT_MAX => {
                    v.add(&field, "must be at most 5000 characters");
                    continue;
                }
                Some(_) => true,
                None => false,
            },
            "yes_no" => a.is_boolean(),
            "single_choice" => a.as_str().is_some_and(|s| {
                q.options
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .any(|o| o == s)
            }),
            "number" => a.is_number(),
            _ => false,
        };
        if !ok {
            let msg = match q.kind.as_str() {
                "text" => "must be a string",
                "yes_no" => "must be true or false",
                "single_choice" => "must be one of the options",
                _ => "must be a number",
            };
            v.add(&field, msg);
            continue;
        }
        if q.knockout_answer.as_ref() == Some(a) {
            knockout = true;
        }
    }
    v.finish()?;
    Ok(knockout)
}

async fn compute_match(
    state: &AppState,
    user: UserId,
    j: &job::Model,
    resume: &str,
) -> AppResult<MatchResult> {
    let profile_skills: Vec<ProfileSkill> = profile::list_skills(state, user)
        .await?
        .into_iter()
        .map(|s| ProfileSkill {
            name: s.name,
            level: s.level.clamp(1, 5) as u8,
        })
        .collect();
    let me = profile::me(state, user).await?;
    let job_skills: Vec<JobSkill> = serde_json::from_str(&j.skills).unwrap_or_default();
    Ok(matching::compute(&MatchInput {
        job_skills: &job_skills,
        job_level: j
            .experience_level
            .as_deref()
            .and_then(ExperienceLevel::parse),
        profile_skills: &profile_skills,
        cv_text: resume,
        candidate_level: me
            .experience_level
            .as_deref()
            .and_then(ExperienceLevel::parse),
    }))
}

/// Owners, admins and recruiters of a company with their email addresses.
async fn hiring_team<C: ConnectionTrait>(
    conn: &C,
    company_id: Uuid,
) -> AppResult<Vec<people::PersonBrief>> {
    let ids: Vec<Uuid> = company_member::Entity::find()
        .filter(company_member::Column::CompanyId.eq(company_id))
        .filter(company_member::Column::Role.is_in(EDITORS.iter().map(|r| r.as_str())))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    Ok(persons(conn, ids).await?.into_values().collect())
}

// ---- candidate ----

/// Apply to an open job.
pub async fn apply(
    state: &AppState,
    actor: &CurrentUser,
    job_id: Uuid,
    input: ApplyInput,
) -> AppResult<ApplicationView> {
    let now = state.clock.now();
    let j = find_job(&state.db, job_id, false).await?;
    let member = role_in(&state.db, j.company_id, actor.id).await?.is_some();
    if j.status == "draft" && !member {
        // Drafts are invisible to outsiders.
        return Err(AppError::not_found("Job not found"));
    }
    let job_closed = || AppError::conflict("JOB_CLOSED", "This job is not taking applications");
    if j.status != "open" || j.closes_at.is_some_and(|c| c <= now) {
        return Err(job_closed());
    }
    let questions: Vec<ScreeningQuestion> =
        serde_json::from_str(&j.screening_questions).unwrap_or_default();
    let answers = input.answers.unwrap_or_default();
    let knockout = check_answers(&questions, &answers)?;
    let mut v = Validator::new();
    let cover_letter = input.cover_letter.as_deref().and_then(clean_text);
    v.max_len(cover_letter.as_deref(), "cover_letter", COVER_LETTER_MAX);
    let resume = match input.resume_text.as_deref().and_then(clean_text) {
        Some(r) => Some(r),
        None => profile::get_cv(state, actor.id).await?.cv_text,
    };
    v.max_len(resume.as_deref(), "resume_text", RESUME_MAX);
    v.finish()?;
    let matched = compute_match(state, actor.id, &j, resume.as_deref().unwrap_or("")).await?;

    let txn = begin_write(&state.db).await?;
    let j = find_job(&txn, job_id, true).await?;
    if j.status != "open" {
        return Err(job_closed());
    }
    let already = || AppError::conflict("ALREADY_APPLIED", "You have already applied to this job");
    let existing = application::Entity::find()
        .filter(application::Column::JobId.eq(j.id))
        .filter(application::Column::UserId.eq(actor.id.0))
        .count(&txn)
        .await?;
    if existing > 0 {
        return Err(already());
    }
    let stages = stages_of(&txn, j.id, now).await?;
    let first = stages
        .first()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("job {} has no stages", j.id)))?;
    let row = application::Model {
        id: Uuid::now_v7(),
        job_id: j.id,
        user_id: actor.id.0,
        stage_id: first.id,
        status: if knockout { "rejected" } else { "active" }.to_owned(),
        reject_reason: knockout.then(|| "knockout".to_owned()),
        reject_note: None,
        answers: Value::Object(answers).to_string(),
        cover_letter,
        resume_text: resume,
        match_score: i32::from(matched.score),
        match_explanation: serde_json::to_string(&matched).map_err(AppError::internal)?,
        stage_changed_at: now,
        created_at: now,
        updated_at: now,
    };
    let row = application::ActiveModel::from(row)
        .insert(&txn)
        .await
        .map_err(|e| AppError::from(e).on_conflict(&UQ_APPLICATIONS_JOB_USER, already))?;
    event(
        &txn,
        row.id,
        Some(actor.id),
        "applied",
        json!({"stage": first.name}),
        true,
        now,
    )
    .await?;
    if knockout {
        event(
            &txn,
            row.id,
            None,
            "rejected",
            json!({"reason": "knockout"}),
            true,
            now,
        )
        .await?;
    }
    touch_job(&txn, j.id, now).await?;
    let title = format!("New application: {}", j.title);
    let link = format!("/jobs/{}/applications/{}", j.id, row.id);
    let body = format!(
        "{} applied for {} (match {}/100{}).",
        actor.display_name,
        j.title,
        matched.score,
        if knockout {
            "; rejected by a knockout answer"
        } else {
            ""
        }
    );
    for member in hiring_team(&txn, j.company_id).await? {
        // One notice per member; messaging mails it too unless they opted out of email.
        notify(
            &state.queue,
            &txn,
            now,
            Notice {
                user_id: UserId(member.id),
                kind: KIND_NEW_APPLICATION.to_owned(),
                title: title.clone(),
                body: body.clone(),
                link: Some(link.clone()),
            },
        )
        .await?;
    }
    let view = detail(&txn, &row, &j, None).await?;
    txn.commit().await?;
    publish(state, EVENT_APPLIED, &row, &j, actor.id);
    if knockout {
        publish(state, EVENT_REJECTED, &row, &j, actor.id);
    }
    Ok(view)
}
