//! HTML pages for messaging, calling the services directly (never HTTP to ourselves): the
//! messages home with its sidebar, rooms (browse, create, read, post, join, leave), direct
//! conversations, message actions (reply, edit, delete, react, mark read, send later), a room's
//! settings (name, topic, members and roles), scheduled messages, a message's edit history and
//! thread, search, the notifications list and the notification preferences.
//!
//! Every page works without JavaScript: each action is a form that posts and redirects back.
//! `crates/web/static/js/chat.js` and `notifications.js` add the live parts (over the gateway)
//! on top of the same markup.

mod conversation;
mod direct;
mod messages;
mod notifications;
mod rooms;
mod scheduled;
mod search;
mod settings;
mod sidebar;
mod thread;

use axum::Router;
use chrono::{DateTime, Utc};
use vertechie_kernel::AppState;
use vertechie_web::{NavEntry, icons};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(rooms::router())
        .merge(direct::router())
        .merge(messages::router())
        .merge(settings::router())
        .merge(scheduled::router())
        .merge(thread::router())
        .merge(search::router())
        .merge(notifications::router())
}

/// The navigation entries messaging contributes.
pub fn nav() -> NavEntry {
    NavEntry::new(300, "Messages", "/messages", icons::CHAT)
}

use vertechie_web::{is_form_error, parse_id};

/// A time as the pages print it: "14:05" today, "21 Nov 14:05" this year, else with the year.
/// Times are UTC on the server; chat.js rewrites them in the reader's time zone.
fn when(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if t.date_naive() == now.date_naive() {
        t.format("%H:%M").to_string()
    } else if t.format("%Y").to_string() == now.format("%Y").to_string() {
        t.format("%-d %b %H:%M").to_string()
    } else {
        t.format("%-d %b %Y %H:%M").to_string()
    }
}

/// A one-line excerpt of a message body (plain text, at most `max` characters).
fn excerpt(body: &str, max: usize) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        let mut s: String = flat.chars().take(max).collect();
        s.push('…');
        s
    } else {
        flat
    }
}

/// A value for a URL query (`a b&c` → `a+b%26c`).
fn query_value(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Where a message form goes back to: a messaging page of this site, else `/messages`.
fn back_to(back: Option<&str>) -> String {
    match back {
        Some(b)
            if (b == "/messages" || b.starts_with("/messages/") || b.starts_with("/messages?"))
                && !b.contains("//")
                && !b.contains('\\') =>
        {
            b.to_owned()
        }
        _ => "/messages".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_read_naturally() {
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 15, 0, 0).unwrap();
        assert_eq!(
            when(Utc.with_ymd_and_hms(2026, 11, 21, 9, 5, 0).unwrap(), now),
            "09:05"
        );
        assert_eq!(
            when(Utc.with_ymd_and_hms(2026, 11, 2, 9, 5, 0).unwrap(), now),
            "2 Nov 09:05"
        );
        assert_eq!(
            when(Utc.with_ymd_and_hms(2025, 1, 2, 9, 5, 0).unwrap(), now),
            "2 Jan 2025 09:05"
        );
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("a\n\n b  c", 10), "a b c");
        assert_eq!(excerpt("abcdef", 3), "abc…");
    }

    #[test]
    fn back_targets_stay_in_messages() {
        assert_eq!(back_to(Some("/messages/rooms/x")), "/messages/rooms/x");
        assert_eq!(back_to(Some("/messages?room=x")), "/messages?room=x");
        assert_eq!(back_to(Some("//evil.example")), "/messages");
        assert_eq!(back_to(Some("/messages//evil")), "/messages");
        assert_eq!(back_to(Some("/settings")), "/messages");
        assert_eq!(back_to(Some("/messagesx")), "/messages");
        assert_eq!(back_to(None), "/messages");
    }
}
