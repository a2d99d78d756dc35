//! Unique violations told apart by the constraint they broke. PostgreSQL names the constraint
//! (`uq_users_email`, `chat_members_pkey`); SQLite names the table's columns
//! (`UNIQUE constraint failed: users.email`) or, for an index on expressions, the index. A
//! [`UniqueKey`] knows both spellings, so a domain maps exactly its own constraint to a precise
//! code and any other unique violation stays the generic 409 `CONFLICT`.

/// A unique index (or primary key) of the schema, as the migrations create it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueKey {
    /// The constraint or index name (PostgreSQL reports it); a primary key is `<table>_pkey`.
    pub name: &'static str,
    pub table: &'static str,
    /// The indexed columns, in index order.
    pub columns: &'static [&'static str],
}

impl UniqueKey {
    pub const fn new(
        name: &'static str,
        table: &'static str,
        columns: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            table,
            columns,
        }
    }

    /// Whether `violation` is a violation of this key.
    pub fn matches(&self, violation: &UniqueViolation) -> bool {
        match violation {
            UniqueViolation::Constraint(name) => name == self.name,
            UniqueViolation::Columns { table, columns } => {
                table == self.table
                    && columns.len() == self.columns.len()
                    && self.columns.iter().all(|c| columns.iter().any(|v| v == c))
            }
        }
    }
}

/// What the database said was violated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UniqueViolation {
    /// A constraint or index by name (PostgreSQL; SQLite for indexes on expressions).
    Constraint(String),
    /// The columns of one table (SQLite).
    Columns { table: String, columns: Vec<String> },
}

impl UniqueViolation {
    /// Reads the database's message; `None` when it names nothing recognisable.
    ///
    /// - PostgreSQL: `duplicate key value violates unique constraint "uq_users_email"`
    /// - SQLite: `UNIQUE constraint failed: applications.job_id, applications.user_id`
    /// - SQLite, index on expressions: `UNIQUE constraint failed: index 'uq_users_email_lower'`
    pub fn parse(message: &str) -> Option<Self> {
        if let Some((_, rest)) = message.split_once("unique constraint \"") {
            let name = rest.split('"').next()?;
            return (!name.is_empty()).then(|| Self::Constraint(name.to_owned()));
        }
        let (_, rest) = message.split_once("UNIQUE constraint failed: ")?;
        let rest = rest.trim();
        if let Some(index) = rest.strip_prefix("index '") {
            let name = index.split('\'').next()?;
            return (!name.is_empty()).then(|| Self::Constraint(name.to_owned()));
        }
        let mut table = None;
        let mut columns = Vec::new();
        for qualified in rest.split(',') {
            let (t, c) = qualified.trim().split_once('.')?;
            if table.get_or_insert(t) != &t {
                return None;
            }
            columns.push(c.to_owned());
        }
        Some(Self::Columns {
            table: table?.to_owned(),
            columns,
        })
    }

    /// The violation a database error reports, if it is a unique violation: the driver's
    /// constraint name when it gives one (PostgreSQL), else what its message names.
    pub fn of(err: &sea_orm::DbErr) -> Option<Self> {
        use std::ops::Deref;
        let Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) = err.sql_err() else {
            return None;
        };
        if let sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
        | sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)) = err
            && let sea_orm::sqlx::Error::Database(db) = e.deref()
            && let Some(name) = db.constraint()
        {
            return Some(Self::Constraint(name.to_owned()));
        }
        Self::parse(&message)
    }
}

impl std::fmt::Display for UniqueViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Constraint(name) => write!(f, "{name}"),
            Self::Columns { table, columns } => write!(f, "{table}({})", columns.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPLIED: UniqueKey = UniqueKey::new(
        "uq_applications_job_user",
        "applications",
        &["job_id", "user_id"],
    );
    const EMAIL: UniqueKey = UniqueKey::new("uq_users_email", "users", &["email"]);

    #[test]
    fn postgres_messages_name_the_constraint() {
        let v = UniqueViolation::parse(
            "duplicate key value violates unique constraint \"uq_applications_job_user\"",
        )
        .unwrap();
        assert_eq!(
            v,
            UniqueViolation::Constraint("uq_applications_job_user".into())
        );
        assert!(APPLIED.matches(&v));
        assert!(!EMAIL.matches(&v));
        // Another unique index of the same table is not this key.
        let other = UniqueViolation::parse(
            "duplicate key value violates unique constraint \"uq_applications_referral_code\"",
        )
        .unwrap();
        assert!(!APPLIED.matches(&other));
        // Nor is a name that merely contains this one.
        let longer = UniqueViolation::parse(
            "duplicate key value violates unique constraint \"uq_applications_job_user_stage\"",
        )
        .unwrap();
        assert!(!APPLIED.matches(&longer));
    }

    #[test]
    fn sqlite_messages_name_the_columns() {
        let v = UniqueViolation::parse(
            "UNIQUE constraint failed: applications.job_id, applications.user_id",
        )
        .unwrap();
        assert!(APPLIED.matches(&v));
        assert!(!EMAIL.matches(&v));
        // The error text as sqlx formats it, with the code in front.
        let wrapped = UniqueViolation::parse(
            "error returned from database: (code: 2067) UNIQUE constraint failed: users.email",
        )
        .unwrap();
        assert!(EMAIL.matches(&wrapped));
        // A subset or superset of the columns, or another table, is another key.
        for text in [
            "UNIQUE constraint failed: applications.job_id",
            "UNIQUE constraint failed: applications.job_id, applications.user_id, applications.stage_id",
            "UNIQUE constraint failed: applications.referral_code",
            "UNIQUE constraint failed: saved_jobs.job_id, saved_jobs.user_id",
        ] {
            let v = UniqueViolation::parse(text).unwrap();
            assert!(!APPLIED.matches(&v), "{text}");
        }
        let expr =
            UniqueViolation::parse("UNIQUE constraint failed: index 'uq_users_email'").unwrap();
        assert!(EMAIL.matches(&expr));
    }

    #[test]
    fn other_messages_name_nothing() {
        for text in [
            "",
            "FOREIGN KEY constraint failed",
            "UNIQUE constraint failed: ",
            "UNIQUE constraint failed: a.x, b.y",
            "duplicate key value violates unique constraint \"\"",
        ] {
            assert_eq!(UniqueViolation::parse(text), None, "{text}");
        }
    }
}
