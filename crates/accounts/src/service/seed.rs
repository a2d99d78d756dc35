//! Demo data for development and load tests (`vertechie seed-demo`): many users, fast.
//!
//! The password is hashed once with the configured argon2 cost and the hash is shared by every
//! demo user; rows go in with multi-row inserts, one transaction per batch. Users whose username
//! or email already exists are skipped, so running it twice adds nothing.

use std::collections::HashSet;

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;
use vertechie_kernel::{AppResult, AppState, Role, Tier, UserId, Validator};

use crate::model::{skill, user};
use crate::service::roles_json;
use crate::service::rules::check_password;

/// The password demo users get when none is given.
pub const DEFAULT_DEMO_PASSWORD: &str = "vertechie-demo";

/// Users written per transaction. 500 rows × 26 columns stays far below the bind-parameter
/// limits of SQLite (32,766) and PostgreSQL (65,535).
const BATCH: u32 = 500;

const FIRST_NAMES: [&str; 16] = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Barbara",
    "Dennis",
    "Margaret",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Donald",
    "Katherine",
    "Tim",
    "Hedy",
    "John",
];
const LAST_NAMES: [&str; 12] = [
    "Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Ritchie", "Hamilton", "Thompson",
    "Allen", "Dijkstra", "Perlman", "Knuth",
];
pub const SKILLS: [&str; 20] = [
    "Rust",
    "Python",
    "JavaScript",
    "TypeScript",
    "Go",
    "Java",
    "Kotlin",
    "SQL",
    "PostgreSQL",
    "Docker",
    "Kubernetes",
    "React",
    "Linux",
    "Git",
    "AWS",
    "C++",
    "System Design",
    "Data Structures",
    "Machine Learning",
    "GraphQL",
];
pub const EXPERIENCE: [&str; 4] = ["fresher", "junior", "mid", "senior"];
const TRACKS: [&str; 5] = ["backend", "frontend", "fullstack", "data", "devops"];

/// What `seed_demo` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub created: u64,
    pub skipped: u64,
    pub skills: u64,
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "created {} demo users ({} skills), skipped {} that already existed",
            self.created, self.skills, self.skipped
        )
    }
}

/// `user00001`, `user00002`, … (at least five digits).
pub fn demo_username(n: u32) -> String {
    format!("user{n:05}")
}

/// `user00001@demo.vertechie.test`, …
pub fn demo_email(n: u32) -> String {
    format!("{}@demo.vertechie.test", demo_username(n))
}

/// The experience level of demo user `n`; deterministic.
pub fn demo_experience(n: u32) -> &'static str {
    EXPERIENCE[n as usize % EXPERIENCE.len()]
}

/// The 2–3 skills (name, level 1–5) of demo user `n`; deterministic.
pub fn demo_skills(n: u32) -> Vec<(&'static str, i32)> {
    let count = 2 + (n % 2) as usize;
    let start = (n as usize).wrapping_mul(7) % SKILLS.len();
    (0..count)
        .map(|k| {
            // Steps of 3 over 20 names never repeat within three picks.
            let name = SKILLS[(start + k * 3) % SKILLS.len()];
            let level = 1 + ((n as usize + k) % 5) as i32;
            (name, level)
        })
        .collect()
}

/// Inserts demo users 1..=`count` that do not exist yet, all with `password`.
pub async fn seed_demo(state: &AppState, count: u32, password: &str) -> AppResult<SeedReport> {
    let mut v = Validator::new();
    // Checked against a representative account; demo names never equal a valid password here.
    check_password(
        &mut v,
        "password",
        password,
        &demo_email(1),
        &demo_username(1),
    );
    v.check(count <= 1_000_000, "users", "at most 1,000,000 at a time");
    v.finish()?;
    let mut report = SeedReport {
        created: 0,
        skipped: 0,
        skills: 0,
    };
    if count == 0 {
        return Ok(report);
    }
    let hash = state.passwords.hash(password).await?;
    let roles = roles_json(&[Role::Techie]);
    let mut first = 1u32;
    while first <= count {
        let last = first.saturating_add(BATCH - 1).min(count);
        let numbers: Vec<u32> = (first..=last).collect();
        let usernames: Vec<String> = numbers.iter().map(|n| demo_username(*n)).collect();
        let emails: Vec<String> = numbers.iter().map(|n| demo_email(*n)).collect();
        let now = state.clock.now();
        let txn = vertechie_kernel::db::begin_write(&state.db).await?;
        let existing: Vec<(String, String)> = user::Entity::find()
            .select_only()
            .column(user::Column::Username)
            .column(user::Column::Email)
            .filter(
                Condition::any()
                    .add(user::Column::Username.is_in(usernames.clone()))
                    .add(user::Column::Email.is_in(emails.clone())),
            )
            .into_tuple()
            .all(&txn)
            .await?;
        let taken: HashSet<&str> = existing
            .iter()
            .flat_map(|(u, e)| [u.as_str(), e.as_str()])
            .collect();
        let mut users = Vec::with_capacity(numbers.len());
        let mut skills = Vec::with_capacity(numbers.len() * 3);
        for ((n, username), email) in numbers.iter().zip(&usernames).zip(&emails) {
            if taken.contains(username.as_str()) || taken.contains(email.as_str()) {
                report.skipped += 1;
                continue;
            }
            let id = UserId::new().0;
            let i = *n as usize;
            users.push(user::ActiveModel {
                id: Set(id),
                email: Set(email.clone()),
                username: Set(username.clone()),
                password_hash: Set(hash.clone()),
                full_name: Set(Some(format!(
                    "{} {}",
                    FIRST_NAMES[i % FIRST_NAMES.len()],
                    LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()]
                ))),
                bio: Set(Some(format!("Demo account number {n}."))),
                avatar_url: Set(None),
                phone: Set(None),
                education_level: Set(None),
                experience_level: Set(Some(demo_experience(*n).into())),
                preferred_career_track: Set(Some(TRACKS[i % TRACKS.len()].into())),
                learning_style: Set(None),
                interests: Set("[]".into()),
                career_goals: Set(None),
                cv_text: Set(None),
                roles: Set(roles.clone()),
                tier: Set(Tier::Free.as_str().into()),
                is_active: Set(true),
                is_verified: Set(true),
                failed_logins: Set(0),
                first_failed_at: Set(None),
                locked_until: Set(None),
                last_login: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                deleted_at: Set(None),
            });
            for (name, level) in demo_skills(*n) {
                skills.push(skill::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    user_id: Set(id),
                    name_key: Set(name.to_lowercase()),
                    name: Set(name.to_owned()),
                    level: Set(level),
                    created_at: Set(now),
                });
            }
        }
        let created = users.len() as u64;
        let skill_rows = skills.len() as u64;
        user::Entity::insert_many(users)
            .exec_without_returning(&txn)
            .await?;
        skill::Entity::insert_many(skills)
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        report.created += created;
        report.skills += skill_rows;
        first = match last.checked_add(1) {
            Some(next) => next,
            None => break,
        };
    }
    if report.created > 0 {
        super::cache::users_added(state);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_skills() {
        assert_eq!(demo_username(1), "user00001");
        assert_eq!(demo_email(42), "user00042@demo.vertechie.test");
        assert_eq!(demo_username(123_456), "user123456");
        for n in 1..=200 {
            let s = demo_skills(n);
            assert!((2..=3).contains(&s.len()));
            let mut keys: Vec<String> = s.iter().map(|(k, _)| k.to_lowercase()).collect();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), s.len(), "skills of {n} repeat");
            assert!(s.iter().all(|(_, l)| (1..=5).contains(l)));
        }
    }
}
