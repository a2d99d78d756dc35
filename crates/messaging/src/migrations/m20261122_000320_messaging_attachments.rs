//! Chat attachments: `chat_message_attachments` (a message's files, in order) and the files of
//! messages scheduled for later (`chat_scheduled_messages.attachments`, a JSON array of file ids,
//! checked again at delivery).
//!
//! The reference to the kernel's `files` does not cascade (`NO ACTION`): a file attached to a
//! message cannot be deleted (the files API answers 409 `FILE_IN_USE`) until the message is
//! deleted, which drops its attachment rows.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChatMessages {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ChatMessageAttachments {
    Table,
    MessageId,
    FileId,
    Position,
}

#[derive(DeriveIden)]
enum ChatScheduledMessages {
    Table,
    Attachments,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ChatMessageAttachments::Table)
                .col(uuid(ChatMessageAttachments::MessageId))
                .col(uuid(ChatMessageAttachments::FileId))
                .col(integer(ChatMessageAttachments::Position))
                .primary_key(
                    Index::create()
                        .col(ChatMessageAttachments::MessageId)
                        .col(ChatMessageAttachments::FileId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            ChatMessageAttachments::Table,
                            ChatMessageAttachments::MessageId,
                        )
                        .to(ChatMessages::Table, ChatMessages::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            ChatMessageAttachments::Table,
                            ChatMessageAttachments::FileId,
                        )
                        .to(Files::Table, Files::Id)
                        .on_delete(ForeignKeyAction::NoAction),
                )
                .to_owned(),
        )
        .await?;
        // Deleting a file looks its references up by file id.
        m.create_index(
            Index::create()
                .name("idx_chat_message_attachments_file_id")
                .table(ChatMessageAttachments::Table)
                .col(ChatMessageAttachments::FileId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ChatScheduledMessages::Table)
                .add_column(text(ChatScheduledMessages::Attachments).default("[]"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ChatScheduledMessages::Table)
                .drop_column(ChatScheduledMessages::Attachments)
                .to_owned(),
        )
        .await?;
        m.drop_table(
            Table::drop()
                .table(ChatMessageAttachments::Table)
                .to_owned(),
        )
        .await
    }
}
