//! Messaging entities.

pub mod chat_member;
pub mod chat_message;
pub mod chat_message_attachment;
pub mod chat_message_edit;
pub mod chat_reaction;
pub mod chat_room;
pub mod chat_scheduled_message;
pub mod notification;
pub mod notification_email;
pub mod notification_preference;
