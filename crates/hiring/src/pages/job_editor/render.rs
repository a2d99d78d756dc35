//! The editor page: the form, its option lists and the pipeline stages.

use askama::Template;
use uuid::Uuid;
use vertechie_web::{FieldErrors, PageCtx};

use super::form::JobForm;
use super::parse::has_row_errors;
use crate::service::jobs::JobView;
use crate::service::pipeline::StageView;

const REMOTE: [(&str, &str); 3] = [
    ("onsite", "On-site"),
    ("hybrid", "Hybrid"),
    ("remote", "Remote"),
];
const EMPLOYMENT: [(&str, &str); 5] = [
    ("full_time", "Full time"),
    ("part_time", "Part time"),
    ("contract", "Contract"),
    ("internship", "Internship"),
    ("temporary", "Temporary"),
];
const LEVELS: [(&str, &str); 4] = [
    ("fresher", "Fresher"),
    ("junior", "Junior"),
    ("mid", "Mid-level"),
    ("senior", "Senior"),
];
const STATUSES: [(&str, &str); 3] = [
    ("draft", "Draft (only your team sees it)"),
    ("open", "Open (published, taking applications)"),
    ("closed", "Closed"),
];
const KINDS: [(&str, &str); 4] = [
    ("text", "Text"),
    ("yes_no", "Yes or no"),
    ("single_choice", "One of several options"),
    ("number", "Number"),
];

struct StageRow {
    id: Uuid,
    name: String,
    /// From 0.
    position: i32,
    applications: u64,
    first: bool,
    last: bool,
    /// A refused change of this stage.
    error: Option<String>,
    /// The typed name when a rename was refused.
    typed: String,
}

/// A refused stage change, shown by the stage it is about (`None`: the add form).
#[derive(Default)]
pub(super) struct StageFeedback {
    pub(super) target: Option<Uuid>,
    pub(super) message: Option<String>,
    pub(super) typed: String,
}

#[derive(Template)]
#[template(path = "hiring_job_editor.html")]
pub(super) struct EditorPage<'a> {
    ctx: &'a PageCtx,
    heading: String,
    action: String,
    company_id: Uuid,
    company_name: String,
    /// Set when editing.
    job_id: Option<Uuid>,
    /// The stored status (the delete button says what it will do).
    stored_status: String,
    f: JobForm,
    errors: FieldErrors,
    row_errors: bool,
    stages: Vec<StageRow>,
    add_stage_error: Option<String>,
    add_stage_typed: String,
    remote_options: &'static [(&'static str, &'static str)],
    employment_options: &'static [(&'static str, &'static str)],
    level_options: &'static [(&'static str, &'static str)],
    status_options: &'static [(&'static str, &'static str)],
    kind_options: &'static [(&'static str, &'static str)],
}

/// The editor page; `company` is (id, name).
pub(super) fn editor<'a>(
    ctx: &'a PageCtx,
    company: (Uuid, String),
    job: Option<&JobView>,
    f: JobForm,
    errors: FieldErrors,
    stages: Vec<StageView>,
    feedback: StageFeedback,
) -> EditorPage<'a> {
    let n = stages.len();
    let stages = stages
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let mine = feedback.target == Some(s.id);
            StageRow {
                typed: if mine {
                    feedback.typed.clone()
                } else {
                    s.name.clone()
                },
                error: if mine { feedback.message.clone() } else { None },
                id: s.id,
                name: s.name,
                position: s.position,
                applications: s.applications,
                first: i == 0,
                last: i + 1 == n,
            }
        })
        .collect();
    let adding = feedback.target.is_none() && feedback.message.is_some();
    EditorPage {
        ctx,
        heading: match job {
            Some(j) => format!("Edit “{}”", j.title),
            None => "Post a job".to_owned(),
        },
        action: match job {
            Some(j) => format!("/hiring/jobs/{}/edit", j.id),
            None => format!("/hiring/companies/{}/jobs/new", company.0),
        },
        company_id: company.0,
        company_name: company.1,
        job_id: job.map(|j| j.id),
        stored_status: job.map(|j| j.status.clone()).unwrap_or_default(),
        row_errors: has_row_errors(&f),
        f,
        errors,
        stages,
        add_stage_error: if adding {
            feedback.message.clone()
        } else {
            None
        },
        add_stage_typed: if adding {
            feedback.typed
        } else {
            String::new()
        },
        remote_options: &REMOTE,
        employment_options: &EMPLOYMENT,
        level_options: &LEVELS,
        status_options: &STATUSES,
        kind_options: &KINDS,
    }
}
