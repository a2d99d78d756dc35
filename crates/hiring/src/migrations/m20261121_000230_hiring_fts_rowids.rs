//! Re-keys the SQLite job search index: every row of `job_postings_fts` gets the rowid
//! `fts::sqlite_rowid(job_id)`, so the index row of a job is rewritten and removed by rowid
//! instead of by a scan of the `UNINDEXED` job_id column. Nothing to do on PostgreSQL (the
//! index is a column of `job_postings`).
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use vertechie_kernel::fts::sqlite_rowid;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Index rows moved per statement batch.
const BATCH: u64 = 500;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        // Rows still under an automatic rowid. Rewritten ones are skipped, so the loop ends.
        loop {
            let rows = db
                .query_all_raw(Statement::from_string(
                    DatabaseBackend::Sqlite,
                    format!(
                        "SELECT rowid, job_id, title, body, skills FROM job_postings_fts \
                         ORDER BY rowid LIMIT {BATCH}"
                    ),
                ))
                .await?;
            let mut moved = 0;
            for row in &rows {
                let rowid: i64 = row.try_get_by_index(0)?;
                let job_id: uuid::Uuid = row.try_get_by_index(1)?;
                let target = sqlite_rowid(job_id);
                if rowid == target {
                    continue;
                }
                let title: String = row.try_get_by_index(2)?;
                let body: String = row.try_get_by_index(3)?;
                let skills: String = row.try_get_by_index(4)?;
                db.execute_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Sqlite,
                    "DELETE FROM job_postings_fts WHERE rowid = ?",
                    [rowid.into()],
                ))
                .await?;
                db.execute_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Sqlite,
                    "INSERT OR REPLACE INTO job_postings_fts (rowid, job_id, title, body, skills) \
                     VALUES (?, ?, ?, ?, ?)",
                    [
                        target.into(),
                        job_id.into(),
                        title.into(),
                        body.into(),
                        skills.into(),
                    ],
                ))
                .await?;
                moved += 1;
            }
            if moved == 0 {
                break;
            }
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // Any rowid works for the older code (it deleted by job_id): nothing to undo.
        Ok(())
    }
}
