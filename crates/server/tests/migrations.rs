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
            "m20261121_000100_accounts",
            "m20261121_000101_browser_sessions",
            "m20261121_000200_hiring_companies",
            "m20261121_000210_hiring_jobs",
            "m20261121_000220_hiring_applications",
            "m20261121_000300_messaging_notifications"
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
