//! What messaging does when an account is deleted, inside the deletion's transaction: the
//! person's notifications, delivery preferences and held notification mails are removed, and
//! their pending send-later messages are cancelled. Chat messages they wrote stay in their rooms
//! (conversations keep their sense) and are shown under "Deleted user", since the accounts row
//! is anonymised; the files attached to them are let go here and removed by the kernel's hook.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use vertechie_kernel::module::UserDeletionHook;
use vertechie_kernel::{AppResult, AppState, UserId};

use crate::model::{
    chat_message, chat_message_attachment, chat_scheduled_message, notification,
    notification_email, notification_preference,
};

pub struct MessagingAccountDeletion;

#[async_trait::async_trait]
impl UserDeletionHook for MessagingAccountDeletion {
    async fn user_deleted(
        &self,
        state: &AppState,
        txn: &DatabaseTransaction,
        user: UserId,
    ) -> AppResult<()> {
        notification::Entity::delete_many()
            .filter(notification::Column::UserId.eq(user.0))
            .exec(txn)
            .await?;
        notification_preference::Entity::delete_many()
            .filter(notification_preference::Column::UserId.eq(user.0))
            .exec(txn)
            .await?;
        notification_email::Entity::delete_many()
            .filter(notification_email::Column::UserId.eq(user.0))
            .exec(txn)
            .await?;
        // The send-later task finds the row no longer pending and sends nothing.
        chat_scheduled_message::Entity::update_many()
            .col_expr(
                chat_scheduled_message::Column::Status,
                Expr::value("cancelled"),
            )
            .col_expr(
                chat_scheduled_message::Column::UpdatedAt,
                Expr::value(state.clock.now()),
            )
            .filter(chat_scheduled_message::Column::AuthorId.eq(user.0))
            .filter(chat_scheduled_message::Column::Status.eq("pending"))
            .exec(txn)
            .await?;
        // Their uploads go with the account (kernel hook): the messages keep their text.
        chat_message_attachment::Entity::delete_many()
            .filter(
                chat_message_attachment::Column::MessageId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(chat_message::Column::Id)
                        .from(chat_message::Entity)
                        .and_where(chat_message::Column::AuthorId.eq(user.0))
                        .to_owned(),
                ),
            )
            .exec(txn)
            .await?;
        Ok(())
    }
}
