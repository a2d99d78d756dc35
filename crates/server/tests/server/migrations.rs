//! Migrations apply to an empty database, roll back and apply again, on SQLite and PostgreSQL;
//! SQLite opens in WAL mode with foreign keys enforced.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use sea_orm_migration::MigratorTrait;
use vertechie_kernel::testkit::TestDb;
use vertechie_server::Migrator;

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let db = TestDb::fresh().await;
    let conn = vertechie_kernel::db::connect(&db.url, 2).await.unwrap();
    Migrator::up(&conn, None).await.unwrap();
    let applied = Migrator::get_applied_migrations(&conn).await.unwrap();
    let names: Vec<&str> = applied.iter().map(|m| m.name()).collect();
    assert_eq!(
        names,
        vec![
            "m20261121_000001_kernel_tables",
            "m20261122_000010_kernel_files",
            "m20261204_000020_kernel_queue_tasks",
            "m20261204_000030_kernel_files_in_use",
            "m20261121_000100_accounts",
            "m20261121_000101_browser_sessions",
            "m20261121_000102_users_live_index",
            "m20261204_000103_login_failures",
            "m20261121_000200_hiring_companies",
            "m20261121_000210_hiring_jobs",
            "m20261121_000220_hiring_applications",
            "m20261121_000230_hiring_fts_rowids",
            "m20261121_000240_hiring_job_search_index",
            "m20261204_000250_hiring_company_closed",
            "m20261121_000300_messaging_notifications",
            "m20261121_000310_messaging_chat",
            "m20261122_000320_messaging_attachments",
            "m20261122_000330_messaging_email_digests"
        ]
    );
    assert!(
        Migrator::get_pending_migrations(&conn)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::down(&conn, None).await.unwrap();
    assert!(
        Migrator::get_applied_migrations(&conn)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::up(&conn, None).await.unwrap();
    let n = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM users",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(n, 0);
}

/// A job search index written before rows were keyed by job (automatic rowids) is re-keyed:
/// every row ends under `sqlite_rowid(job_id)` with its text intact.
#[tokio::test]
async fn job_search_index_rows_are_rekeyed() {
    let db = TestDb::fresh().await;
    if db.is_postgres() {
        return; // PostgreSQL keeps the index in a column of the job row.
    }
    let conn = vertechie_kernel::db::connect(&db.url, 2).await.unwrap();
    let before_rekey = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261121_000230_hiring_fts_rowids")
        .unwrap();
    Migrator::up(&conn, Some(before_rekey as u32))
        .await
        .unwrap();
    let ids: Vec<uuid::Uuid> = (0..1200).map(|_| uuid::Uuid::now_v7()).collect();
    for (i, id) in ids.iter().enumerate() {
        conn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "INSERT INTO job_postings_fts (job_id, title, body, skills) VALUES (?, ?, 'body', 'rust')",
            [(*id).into(), format!("title {i}").into()],
        ))
        .await
        .unwrap();
    }
    Migrator::up(&conn, None).await.unwrap();
    let rows = conn
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT rowid, job_id, title FROM job_postings_fts",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), ids.len());
    for row in rows {
        let rowid: i64 = row.try_get_by_index(0).unwrap();
        let id: uuid::Uuid = row.try_get_by_index(1).unwrap();
        let title: String = row.try_get_by_index(2).unwrap();
        assert_eq!(rowid, vertechie_kernel::fts::sqlite_rowid(id));
        let i = ids.iter().position(|x| *x == id).unwrap();
        assert_eq!(title, format!("title {i}"));
    }
}

#[tokio::test]
async fn sqlite_uses_wal_foreign_keys_and_a_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/dir/v.db", dir.path().display());
    let conn = vertechie_kernel::db::connect(&url, 2).await.unwrap();
    assert_eq!(conn.get_database_backend(), DatabaseBackend::Sqlite);
    assert!(
        dir.path().join("nested/dir/v.db").exists(),
        "the file and its directory are created"
    );
    let pragma = |sql: &'static str| {
        let conn = conn.clone();
        async move {
            let row = conn
                .query_one_raw(Statement::from_string(DatabaseBackend::Sqlite, sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .unwrap()
        }
    };
    assert_eq!(pragma("PRAGMA journal_mode").await, "wal");
    assert_eq!(pragma("PRAGMA foreign_keys").await, "1");
    assert_eq!(pragma("PRAGMA busy_timeout").await, "10000");
    assert_eq!(
        pragma("PRAGMA mmap_size").await,
        vertechie_kernel::db::SQLITE_MMAP_BYTES.to_string()
    );
    // Foreign keys are enforced, not just declared.
    Migrator::up(&conn, None).await.unwrap();
    let orphan = conn
        .execute_unprepared(
            "INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at) \
             VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000002', '2026-01-01', '2026-01-01', '2026-01-01')",
        )
        .await;
    assert!(
        orphan.is_err(),
        "a session for a missing user must be refused"
    );
}
