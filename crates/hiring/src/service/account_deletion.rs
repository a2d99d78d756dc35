//! What hiring does when an account is deleted, inside the deletion's transaction:
//! - memberships end; a company whose only owner leaves passes to its longest-standing admin, or,
//!   with no admin, is closed (`closed_at`) and its open jobs are closed;
//! - the person's applications are withdrawn (if still active) and redacted: résumé text, cover
//!   letter and screening answers are erased; the pipeline keeps the rest (stage history, the
//!   team's notes and scorecards) so the employer's records stay consistent;
//! - saved jobs are removed.
//!
//! After the commit the job search cache is emptied when jobs were closed.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use vertechie_kernel::module::UserDeletionHook;
use vertechie_kernel::{AppResult, AppState, UserId};

use super::CompanyRole;
use crate::model::{application, company, company_member, job, saved_job};

pub struct HiringAccountDeletion;

#[async_trait::async_trait]
impl UserDeletionHook for HiringAccountDeletion {
    async fn user_deleted(
        &self,
        state: &AppState,
        txn: &DatabaseTransaction,
        user: UserId,
    ) -> AppResult<()> {
        let now = state.clock.now();
        leave_companies(txn, user, now).await?;
        application::Entity::update_many()
            .col_expr(application::Column::Status, Expr::value("withdrawn"))
            .col_expr(application::Column::UpdatedAt, Expr::value(now))
            .filter(application::Column::UserId.eq(user.0))
            .filter(application::Column::Status.eq("active"))
            .exec(txn)
            .await?;
        application::Entity::update_many()
            .col_expr(
                application::Column::ResumeText,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                application::Column::CoverLetter,
                Expr::value(Option::<String>::None),
            )
            .col_expr(application::Column::Answers, Expr::value("{}"))
            .col_expr(application::Column::UpdatedAt, Expr::value(now))
            .filter(application::Column::UserId.eq(user.0))
            .exec(txn)
            .await?;
        saved_job::Entity::delete_many()
            .filter(saved_job::Column::UserId.eq(user.0))
            .exec(txn)
            .await?;
        Ok(())
    }

    fn after_commit(&self, state: &AppState, _user: UserId) {
        // Closed companies and jobs, withdrawn applications: listings and counts change.
        super::search_cache::jobs_changed(state);
    }
}

/// Ends every membership of `user`, handing over or closing companies they alone owned.
async fn leave_companies(
    txn: &DatabaseTransaction,
    user: UserId,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let owner = CompanyRole::Owner.as_str();
    let owned: Vec<uuid::Uuid> = company_member::Entity::find()
        .select_only()
        .column(company_member::Column::CompanyId)
        .filter(company_member::Column::UserId.eq(user.0))
        .filter(company_member::Column::Role.eq(owner))
        .into_tuple()
        .all(txn)
        .await?;
    for company_id in owned {
        let others = company_member::Entity::find()
            .filter(company_member::Column::CompanyId.eq(company_id))
            .filter(company_member::Column::UserId.ne(user.0))
            .filter(company_member::Column::Role.eq(owner))
            .count(txn)
            .await?;
        if others > 0 {
            continue;
        }
        let heir = company_member::Entity::find()
            .filter(company_member::Column::CompanyId.eq(company_id))
            .filter(company_member::Column::Role.eq(CompanyRole::Admin.as_str()))
            .order_by_asc(company_member::Column::CreatedAt)
            .order_by_asc(company_member::Column::Id)
            .one(txn)
            .await?;
        match heir {
            Some(heir) => {
                company_member::Entity::update_many()
                    .col_expr(company_member::Column::Role, Expr::value(owner))
                    .col_expr(company_member::Column::UpdatedAt, Expr::value(now))
                    .filter(company_member::Column::Id.eq(heir.id))
                    .exec(txn)
                    .await?;
            }
            None => {
                company::Entity::update_many()
                    .col_expr(company::Column::ClosedAt, Expr::value(Some(now)))
                    .col_expr(company::Column::UpdatedAt, Expr::value(now))
                    .filter(company::Column::Id.eq(company_id))
                    .exec(txn)
                    .await?;
                job::Entity::update_many()
                    .col_expr(job::Column::Status, Expr::value("closed"))
                    .col_expr(job::Column::UpdatedAt, Expr::value(now))
                    .filter(job::Column::CompanyId.eq(company_id))
                    .filter(job::Column::Status.eq("open"))
                    .exec(txn)
                    .await?;
            }
        }
    }
    company_member::Entity::delete_many()
        .filter(company_member::Column::UserId.eq(user.0))
        .exec(txn)
        .await?;
    Ok(())
}
