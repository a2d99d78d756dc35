//! Messaging tables. Never edit a landed migration; add a new file.

use sea_orm_migration::MigrationTrait;

mod m20261121_000300_messaging_notifications;
mod m20261121_000310_messaging_chat;
mod m20261122_000320_messaging_attachments;
mod m20261122_000330_messaging_email_digests;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261121_000300_messaging_notifications::Migration),
        Box::new(m20261121_000310_messaging_chat::Migration),
        Box::new(m20261122_000320_messaging_attachments::Migration),
        Box::new(m20261122_000330_messaging_email_digests::Migration),
    ]
}
