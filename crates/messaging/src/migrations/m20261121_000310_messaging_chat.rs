//! Chat: rooms (public, private, direct, per-object), members with roles and read markers,
//! messages with edit history and reactions, messages scheduled for later, and the full-text
//! index over message bodies (FTS5 on SQLite, a `tsvector` column with a GIN index on
//! PostgreSQL; both kept in step by `service::chat::search`).
use sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ChatRooms {
    Table,
    Id,
    Kind,
    Name,
    Topic,
    CreatedBy,
    DirectKey,
    ObjectType,
    ObjectId,
    LastMessageAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChatMembers {
    Table,
    RoomId,
    UserId,
    Role,
    JoinedAt,
    LastReadMessageId,
    LastReadAt,
}

#[derive(DeriveIden)]
enum ChatMessages {
    Table,
    Id,
    RoomId,
    AuthorId,
    Body,
    ReplyTo,
    Mentions,
    IsEdited,
    EditedAt,
    DeletedAt,
    DeletedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ChatMessageEdits {
    Table,
    Id,
    MessageId,
    PreviousBody,
    EditedAt,
}

#[derive(DeriveIden)]
enum ChatReactions {
    Table,
    MessageId,
    UserId,
    Emoji,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ChatScheduledMessages {
    Table,
    Id,
    AuthorId,
    RoomId,
    RecipientId,
    Body,
    ReplyTo,
    SendAt,
    Status,
    MessageId,
    Error,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ChatRooms::Table)
                .col(uuid(ChatRooms::Id).primary_key())
                .col(string_len(ChatRooms::Kind, 16))
                .col(string_len_null(ChatRooms::Name, 80))
                .col(string_len_null(ChatRooms::Topic, 250))
                .col(uuid_null(ChatRooms::CreatedBy))
                .col(string_len_null(ChatRooms::DirectKey, 80))
                .col(string_len_null(ChatRooms::ObjectType, 40))
                .col(uuid_null(ChatRooms::ObjectId))
                .col(timestamp_with_time_zone_null(ChatRooms::LastMessageAt))
                .col(timestamp_with_time_zone(ChatRooms::CreatedAt))
                .col(timestamp_with_time_zone(ChatRooms::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ChatRooms::Table, ChatRooms::CreatedBy)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        // Index names contain the column so unique violations can be told apart on both databases.
        m.create_index(
            Index::create()
                .name("uq_chat_rooms_direct_key")
                .table(ChatRooms::Table)
                .col(ChatRooms::DirectKey)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_chat_rooms_object_type_object_id")
                .table(ChatRooms::Table)
                .col(ChatRooms::ObjectType)
                .col(ChatRooms::ObjectId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_chat_rooms_kind")
                .table(ChatRooms::Table)
                .col(ChatRooms::Kind)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ChatMembers::Table)
                .col(uuid(ChatMembers::RoomId))
                .col(uuid(ChatMembers::UserId))
                .col(string_len(ChatMembers::Role, 16))
                .col(timestamp_with_time_zone(ChatMembers::JoinedAt))
                .col(uuid_null(ChatMembers::LastReadMessageId))
                .col(timestamp_with_time_zone_null(ChatMembers::LastReadAt))
                .primary_key(
                    Index::create()
                        .col(ChatMembers::RoomId)
                        .col(ChatMembers::UserId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ChatMembers::Table, ChatMembers::RoomId)
                        .to(ChatRooms::Table, ChatRooms::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ChatMembers::Table, ChatMembers::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_chat_members_user_id")
                .table(ChatMembers::Table)
                .col(ChatMembers::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ChatMessages::Table)
                .col(uuid(ChatMessages::Id).primary_key())
                .col(uuid(ChatMessages::RoomId))
                .col(uuid_null(ChatMessages::AuthorId))
                .col(text(ChatMessages::Body))
                .col(uuid_null(ChatMessages::ReplyTo))
                .col(text(ChatMessages::Mentions))
                .col(boolean(ChatMessages::IsEdited))
                .col(timestamp_with_time_zone_null(ChatMessages::EditedAt))
                .col(timestamp_with_time_zone_null(ChatMessages::DeletedAt))
                .col(uuid_null(ChatMessages::DeletedBy))
                .col(timestamp_with_time_zone(ChatMessages::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ChatMessages::Table, ChatMessages::RoomId)
                        .to(ChatRooms::Table, ChatRooms::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ChatMessages::Table, ChatMessages::AuthorId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_chat_messages_room_id")
                .table(ChatMessages::Table)
                .col(ChatMessages::RoomId)
                .col(ChatMessages::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_chat_messages_reply_to")
                .table(ChatMessages::Table)
                .col(ChatMessages::ReplyTo)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ChatMessageEdits::Table)
                .col(uuid(ChatMessageEdits::Id).primary_key())
                .col(uuid(ChatMessageEdits::MessageId))
                .col(text(ChatMessageEdits::PreviousBody))
                .col(timestamp_with_time_zone(ChatMessageEdits::EditedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ChatMessageEdits::Table, ChatMessageEdits::MessageId)
                        .to(ChatMessages::Table, ChatMessages::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_chat_message_edits_message_id")
                .table(ChatMessageEdits::Table)
                .col(ChatMessageEdits::MessageId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ChatReactions::Table)
                .col(uuid(ChatReactions::MessageId))
                .col(uuid(ChatReactions::UserId))
                .col(string_len(ChatReactions::Emoji, 32))
                .col(timestamp_with_time_zone(ChatReactions::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(ChatReactions::MessageId)
                        .col(ChatReactions::UserId)
                        .col(ChatReactions::Emoji),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ChatReactions::Table, ChatReactions::MessageId)
                        .to(ChatMessages::Table, ChatMessages::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ChatReactions::Table, ChatReactions::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ChatScheduledMessages::Table)
                .col(uuid(ChatScheduledMessages::Id).primary_key())
                .col(uuid(ChatScheduledMessages::AuthorId))
                .col(uuid_null(ChatScheduledMessages::RoomId))
                .col(uuid_null(ChatScheduledMessages::RecipientId))
                .col(text(ChatScheduledMessages::Body))
                .col(uuid_null(ChatScheduledMessages::ReplyTo))
                .col(timestamp_with_time_zone(ChatScheduledMessages::SendAt))
                .col(string_len(ChatScheduledMessages::Status, 16))
                .col(uuid_null(ChatScheduledMessages::MessageId))
                .col(string_len_null(ChatScheduledMessages::Error, 200))
                .col(timestamp_with_time_zone(ChatScheduledMessages::CreatedAt))
                .col(timestamp_with_time_zone(ChatScheduledMessages::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            ChatScheduledMessages::Table,
                            ChatScheduledMessages::AuthorId,
                        )
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ChatScheduledMessages::Table, ChatScheduledMessages::RoomId)
                        .to(ChatRooms::Table, ChatRooms::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            ChatScheduledMessages::Table,
                            ChatScheduledMessages::RecipientId,
                        )
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_chat_scheduled_messages_author_id")
                .table(ChatScheduledMessages::Table)
                .col(ChatScheduledMessages::AuthorId)
                .col(ChatScheduledMessages::Status)
                .col(ChatScheduledMessages::SendAt)
                .to_owned(),
        )
        .await?;

        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared("ALTER TABLE chat_messages ADD COLUMN search_tsv tsvector")
                    .await?;
                db.execute_unprepared(
                    "CREATE INDEX idx_chat_messages_search_tsv ON chat_messages USING GIN (search_tsv)",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE chat_messages_fts USING fts5(message_id UNINDEXED, body, \
                     tokenize = 'unicode61 remove_diacritics 2')",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            m.get_connection()
                .execute_unprepared("DROP TABLE IF EXISTS chat_messages_fts")
                .await?;
        }
        m.drop_table(Table::drop().table(ChatScheduledMessages::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ChatReactions::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ChatMessageEdits::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ChatMessages::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ChatMembers::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ChatRooms::Table).to_owned())
            .await?;
        Ok(())
    }
}
