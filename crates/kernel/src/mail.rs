//! Outgoing mail. Requests queue mail (a `mail.send` job in their own transaction); the job
//! delivers it over SMTP when `smtp_url` is set, otherwise stores it in the `outbox` table.
//! Once sent, the job's stored payload keeps only the recipient (`{"redacted":true,"to":…}`);
//! lists of the outbox show links with their query values masked ([`mask_links`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};
use serde::{Deserialize, Serialize};

use crate::queue::{Queue, TaskHandler};
use crate::state::AppState;

pub const MAIL_JOB: &str = "mail.send";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

#[derive(Clone)]
pub struct Mailer {
    queue: Queue,
    transport: Option<Arc<AsyncSmtpTransport<Tokio1Executor>>>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(queue: Queue, smtp_url: Option<&str>, from: &str) -> anyhow::Result<Self> {
        let transport = match smtp_url {
            Some(url) => Some(Arc::new(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("smtp_url: {e}"))?
                    .build(),
            )),
            None => None,
        };
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("mail_from: {e}"))?;
        Ok(Self {
            queue,
            transport,
            from,
        })
    }

    /// Queues `email`; pass the transaction of the change that causes it.
    pub async fn queue<C: ConnectionTrait>(
        &self,
        conn: &C,
        now: DateTime<Utc>,
        email: &Email,
    ) -> Result<(), DbErr> {
        let payload = serde_json::to_value(email).map_err(|e| DbErr::Custom(e.to_string()))?;
        self.queue
            .enqueue(conn, now, MAIL_JOB, payload)
            .await
            .map(|_| ())
    }

    /// Delivers now (called by the job).
    async fn deliver(&self, state: &AppState, email: Email) -> anyhow::Result<()> {
        match &self.transport {
            Some(smtp) => {
                let builder = Message::builder()
                    .from(self.from.clone())
                    .to(email
                        .to
                        .parse()
                        .map_err(|e| anyhow::anyhow!("recipient: {e}"))?)
                    .subject(email.subject.clone());
                let message = match &email.html {
                    Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                        email.text.clone(),
                        html.clone(),
                    ))?,
                    None => builder.body(email.text.clone())?,
                };
                smtp.send(message).await?;
                tracing::info!(to = %email.to, subject = %email.subject, "mail sent over SMTP");
            }
            None => {
                store_in_outbox(&state.db, state.clock.now(), &email).await?;
                tracing::info!(to = %email.to, subject = %email.subject, "mail stored in outbox (no SMTP configured)");
            }
        }
        Ok(())
    }
}

async fn store_in_outbox<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    email: &Email,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let sql = if backend == sea_orm::DatabaseBackend::Postgres {
        "INSERT INTO outbox (id, to_addr, subject, body_text, body_html, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
    } else {
        "INSERT INTO outbox (id, to_addr, subject, body_text, body_html, created_at) VALUES (?, ?, ?, ?, ?, ?)"
    };
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [
            uuid::Uuid::now_v7().into(),
            email.to.clone().into(),
            email.subject.clone().into(),
            email.text.clone().into(),
            email.html.clone().into(),
            now.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// A stored development mail.
#[derive(Debug, Clone, Serialize, sea_orm::FromQueryResult, utoipa::ToSchema)]
pub struct OutboxMail {
    pub id: uuid::Uuid,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl OutboxMail {
    /// The mail with its links masked ([`mask_links`]), as lists show it.
    pub fn masked(mut self) -> Self {
        self.body_text = mask_links(&self.body_text);
        self.body_html = self.body_html.as_deref().map(mask_links);
        self
    }
}

/// The text with the secret parts of its web links masked: every query value and the fragment
/// of each `http://` or `https://` link become `…` (`https://…/reset-password?token=…`). A list
/// of mail then shows where the links go without handing out the single-use tokens in them.
pub fn mask_links(text: &str) -> String {
    // ASCII lower-casing keeps every byte offset, so positions found in `lower` fit `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(found) = ["http://", "https://"]
        .iter()
        .filter_map(|scheme| lower[at..].find(scheme))
        .min()
    {
        let start = at + found;
        let len = text[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
            .unwrap_or(text.len() - start);
        out.push_str(&text[at..start]);
        out.push_str(&mask_url(&text[start..start + len]));
        at = start + len;
    }
    out.push_str(&text[at..]);
    out
}

fn mask_url(url: &str) -> String {
    let (rest, fragment) = match url.split_once('#') {
        Some((rest, _)) => (rest, true),
        None => (url, false),
    };
    let mut out = match rest.split_once('?') {
        None => rest.to_owned(),
        Some((path, query)) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) => format!("{name}=\u{2026}"),
                    None if pair.is_empty() => String::new(),
                    None => "\u{2026}".to_owned(),
                })
                .collect();
            format!("{path}?{}", pairs.join("&"))
        }
    };
    if fragment {
        out.push_str("#\u{2026}");
    }
    out
}

/// Newest first, optionally only mail to `to`.
pub async fn outbox<C: ConnectionTrait>(
    conn: &C,
    to: Option<&str>,
    limit: u64,
    offset: u64,
) -> Result<Vec<OutboxMail>, DbErr> {
    let backend = conn.get_database_backend();
    let pg = backend == sea_orm::DatabaseBackend::Postgres;
    let (sql, values): (String, Vec<sea_orm::Value>) = match to {
        Some(addr) => (
            format!(
                "SELECT id, to_addr, subject, body_text, body_html, created_at FROM outbox WHERE to_addr = {} ORDER BY id DESC LIMIT {} OFFSET {}",
                if pg { "$1" } else { "?" },
                limit,
                offset
            ),
            vec![addr.to_owned().into()],
        ),
        None => (
            format!(
                "SELECT id, to_addr, subject, body_text, body_html, created_at FROM outbox ORDER BY id DESC LIMIT {limit} OFFSET {offset}"
            ),
            vec![],
        ),
    };
    OutboxMail::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
        .all(conn)
        .await
}

struct SendMail;

#[async_trait::async_trait]
impl TaskHandler for SendMail {
    async fn run(&self, state: &AppState, payload: serde_json::Value) -> anyhow::Result<()> {
        let email: Email = serde_json::from_value(payload)?;
        state.mailer.deliver(state, email).await
    }

    /// A sent mail's task keeps its recipient only: its body holds single-use links.
    fn redact(&self, payload: &serde_json::Value) -> Option<serde_json::Value> {
        Some(serde_json::json!({ "redacted": true, "to": payload.get("to") }))
    }
}

/// The kernel's own job handlers (mail delivery).
pub fn task_handlers() -> Vec<(&'static str, Arc<dyn TaskHandler>)> {
    vec![(MAIL_JOB, Arc::new(SendMail))]
}

#[cfg(test)]
mod tests {
    use super::mask_links;

    #[test]
    fn links_keep_their_place_and_lose_their_secrets() {
        let cases = [
            (
                "Open this link:\n\nhttp://vertechie.test/verify-email?token=abc-DEF_123\n\nThanks",
                "Open this link:\n\nhttp://vertechie.test/verify-email?token=\u{2026}\n\nThanks",
            ),
            (
                "HTTPS://x.test/r?a=1&token=s3cret#frag.",
                "HTTPS://x.test/r?a=\u{2026}&token=\u{2026}#\u{2026}",
            ),
            (
                "<a href=\"https://x.test/p?t=1&amp;u=2\">go</a>",
                "<a href=\"https://x.test/p?t=\u{2026}&amp;u=\u{2026}\">go</a>",
            ),
            ("http://x.test/secret?bare", "http://x.test/secret?\u{2026}"),
            (
                "no links, caf\u{e9} http:// here",
                "no links, caf\u{e9} http:// here",
            ),
            (
                "https://x.test/room/42 and more",
                "https://x.test/room/42 and more",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(mask_links(text), want, "{text:?}");
        }
    }
}
