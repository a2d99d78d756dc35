//! The CV as text (at most `MAX_CV_BYTES`).

use super::*;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CvInput {
    /// Plain text, at most 100 KB.
    pub cv_text: String,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CvView {
    pub cv_text: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

pub async fn put_cv(state: &AppState, id: UserId, input: CvInput) -> AppResult<CvView> {
    if input.cv_text.len() > MAX_CV_BYTES {
        return Err(AppError::field("cv_text", "must be at most 100 KB"));
    }
    let user = find_live_user(&state.db, id).await?;
    let now = state.clock.now();
    let mut a = user.into_active_model();
    a.cv_text = Set(clean_text(&input.cv_text));
    a.updated_at = Set(now);
    let user = a.update(&state.db).await?;
    crate::service::cache::user_changed(state, id);
    Ok(CvView {
        cv_text: user.cv_text,
        updated_at: now,
    })
}

pub async fn get_cv(state: &AppState, id: UserId) -> AppResult<CvView> {
    let user = find_live_user(&state.db, id).await?;
    Ok(CvView {
        cv_text: user.cv_text,
        updated_at: user.updated_at,
    })
}
