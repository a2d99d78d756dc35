//! Audit log for admin and security events: who did what to whom, when.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};
use uuid::Uuid;

use crate::id::UserId;

pub struct AuditEntry<'a> {
    pub actor: Option<UserId>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
    pub ip: Option<String>,
}

pub async fn record<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    e: AuditEntry<'_>,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let sql = if backend == sea_orm::DatabaseBackend::Postgres {
        "INSERT INTO audit_log (id, actor_id, action, target_type, target_id, details, ip, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    } else {
        "INSERT INTO audit_log (id, actor_id, action, target_type, target_id, details, ip, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    };
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [
            Uuid::now_v7().into(),
            e.actor.map(|a| a.0).into(),
            e.action.to_owned().into(),
            e.target_type.to_owned().into(),
            e.target_id.into(),
            e.details.to_string().into(),
            e.ip.into(),
            now.into(),
        ],
    ))
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, sea_orm::FromQueryResult, utoipa::ToSchema)]
pub struct AuditRecord {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub details: String,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Newest first.
pub async fn recent<C: ConnectionTrait>(conn: &C, limit: u64) -> Result<Vec<AuditRecord>, DbErr> {
    AuditRecord::find_by_statement(Statement::from_string(
        conn.get_database_backend(),
        format!("SELECT id, actor_id, action, target_type, target_id, details, ip, created_at FROM audit_log ORDER BY id DESC LIMIT {limit}"),
    ))
    .all(conn)
    .await
}
