//! Messaging entities.

pub mod notification;
pub mod notification_preference;
