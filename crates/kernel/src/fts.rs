//! Building blocks of full-text search on both databases, shared by the domains' `search`
//! modules (SQLite FTS5 and PostgreSQL `tsvector`).
//!
//! User input never reaches either query language as syntax: [`fts_terms`] keeps only runs of
//! letters and digits (any script), lower-cased, at most [`MAX_TERMS`]; SQLite gets each term
//! double-quoted ([`sqlite_match`]: `"rust" "async"`, all must match) and PostgreSQL gets them
//! through `plainto_tsquery`. Indexes are fed [`index_text`], in which everything but letters
//! and digits is a space, so a word matches the same rows on both databases.

use sea_orm::{DatabaseBackend, Value};

/// At most this many search terms are used.
pub const MAX_TERMS: usize = 16;
/// Longer terms are cut to this many characters.
const MAX_TERM_CHARS: usize = 64;

/// The search terms in user input: runs of letters and digits, lower-cased, de-duplicated.
pub fn fts_terms(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in q.split(|c: char| !c.is_alphanumeric()) {
        if raw.is_empty() {
            continue;
        }
        let term: String = raw.to_lowercase().chars().take(MAX_TERM_CHARS).collect();
        if !out.contains(&term) {
            out.push(term);
        }
        if out.len() == MAX_TERMS {
            break;
        }
    }
    out
}

/// The FTS5 `MATCH` expression for the terms: each term quoted, all required.
pub fn sqlite_match(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text as the index sees it: letters and digits, everything else a space.
pub fn index_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect()
}

/// The SQLite FTS5 rowid of an entity's index row, derived from its id: the id's two 64-bit
/// halves XOR-folded and kept to 63 bits (non-negative). Index rows written with this rowid are
/// found, replaced and deleted by rowid — a b-tree lookup — instead of by an `UNINDEXED` id
/// column, which FTS5 can only scan (one delete per write made indexing O(n) per row). With
/// random bits in both halves of a UUID, two ids of one table collide with odds near 2⁻⁶³.
pub fn sqlite_rowid(id: uuid::Uuid) -> i64 {
    let (hi, lo) = id.as_u64_pair();
    ((hi ^ lo) & (i64::MAX as u64)) as i64
}

/// Bound values of a hand-written statement, with the backend's placeholders (`?` or `$n`).
pub struct SqlParams {
    pub backend: DatabaseBackend,
    pub values: Vec<Value>,
}

impl SqlParams {
    pub fn new(backend: DatabaseBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    /// Binds `v` and returns its placeholder.
    pub fn push(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        if self.backend == DatabaseBackend::Postgres {
            format!("${}", self.values.len())
        } else {
            "?".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_rowids_are_stable_non_negative_and_distinct() {
        let ids: Vec<uuid::Uuid> = (0..10_000).map(|_| uuid::Uuid::now_v7()).collect();
        let mut rowids: Vec<i64> = ids.iter().map(|id| sqlite_rowid(*id)).collect();
        assert!(rowids.iter().all(|r| *r >= 0));
        assert_eq!(sqlite_rowid(ids[0]), rowids[0], "same id, same rowid");
        rowids.sort_unstable();
        rowids.dedup();
        assert_eq!(
            rowids.len(),
            ids.len(),
            "ids made in the same millisecond differ"
        );
    }

    #[test]
    fn terms_are_sanitised() {
        let table: [(&str, &[&str]); 8] = [
            ("Rust developer", &["rust", "developer"]),
            ("\"rust\" OR -java*", &["rust", "or", "java"]),
            ("C++ / Node.js", &["c", "node", "js"]),
            ("!!! --- ***", &[]),
            ("", &[]),
            ("Müller café", &["müller", "café"]),
            ("rust rust RUST", &["rust"]),
            ("東京 エンジニア", &["東京", "エンジニア"]),
        ];
        for (q, want) in table {
            assert_eq!(fts_terms(q), want, "{q}");
        }
        assert_eq!(fts_terms(&"a ".repeat(100)).len(), 1);
        let many: String = (0..40).map(|i| format!("t{i} ")).collect();
        assert_eq!(fts_terms(&many).len(), MAX_TERMS);
        assert_eq!(
            sqlite_match(&["rust".into(), "near".into()]),
            "\"rust\" \"near\""
        );
        assert_eq!(index_text("Node.js, C++"), "Node js  C  ");
    }

    #[test]
    fn placeholders_follow_the_backend() {
        let mut pg = SqlParams::new(DatabaseBackend::Postgres);
        assert_eq!(pg.push(1), "$1");
        assert_eq!(pg.push("a"), "$2");
        let mut lite = SqlParams::new(DatabaseBackend::Sqlite);
        assert_eq!(lite.push(1), "?");
        assert_eq!(lite.values.len(), 1);
    }
}
