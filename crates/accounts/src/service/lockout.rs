//! Sign-in lockout, per account and client network (table `login_failures`).
//!
//! The rule: `lockout_threshold` wrong passwords for one account from one network within
//! `lockout_minutes` lock the account *for that network* for `lockout_minutes`. While it is
//! locked, sign-in and password re-entry (change password, delete account) from that network
//! answer 423 `ACCOUNT_LOCKED` with `Retry-After`, whatever the password; the owner still signs
//! in from any other network, so a stranger guessing from elsewhere cannot lock them out.
//! Re-entered passwords count like sign-ins. A network is the client address's IPv4 /24 or IPv6
//! /64 (an IPv4-mapped IPv6 address counts as IPv4); requests without a known address share the
//! network `unknown`. A successful sign-in clears its network's count; a password reset through
//! the mailed link clears every network's.
//!
//! Races: a wrong guess is counted by one conditional upsert that does nothing once the network
//! is locked, so a burst of parallel guesses gets at most `threshold - 1` answers of 401 and the
//! rest 423; and a right password is accepted only if the network is still unlocked inside the
//! write transaction that opens the session, not just before the (slow) password check.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, Statement,
};
use uuid::Uuid;
use vertechie_kernel::{AppError, AppResult, AppState};

use crate::model::login_failure;

/// The network a client address is counted under: `a.b.c.0/24`, the first four groups of an
/// IPv6 address as `x:x:x:x::/64`, or `unknown`.
pub fn network_of(ip: Option<&str>) -> String {
    let Some(ip) = ip.and_then(|s| s.trim().parse::<IpAddr>().ok()) else {
        return "unknown".to_owned();
    };
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The answer while a network is locked: 423 with `Retry-After`.
pub fn locked(until: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    let secs = (until - now).num_seconds().max(1) as u64;
    let minutes = secs.div_ceil(60);
    AppError::locked(
        format!(
            "Too many failed sign-ins. The account is locked; try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        ),
        secs,
    )
}

/// When the account is locked for `network`, until when.
pub async fn locked_until<C: ConnectionTrait>(
    conn: &C,
    user: Uuid,
    network: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<DateTime<Utc>>> {
    Ok(
        login_failure::Entity::find_by_id((user, network.to_owned()))
            .one(conn)
            .await?
            .and_then(|r| r.locked_until)
            .filter(|until| *until > now),
    )
}

/// What a wrong password led to.
pub enum Failure {
    /// Counted; not locked (yet).
    Counted,
    /// The network is locked until then (by this failure or an earlier one).
    Locked(DateTime<Utc>),
}

/// Counts a wrong password from `network`, unless the network is already locked (then nothing
/// is counted), and locks it when the count reaches the threshold. One write transaction.
pub async fn record_failure(
    state: &AppState,
    user: Uuid,
    network: &str,
    now: DateTime<Utc>,
) -> AppResult<Failure> {
    let window = Duration::minutes(state.config.lockout_minutes as i64);
    let txn = vertechie_kernel::db::begin_write(&state.db).await?;
    let backend = txn.get_database_backend();
    #[derive(FromQueryResult)]
    struct Count {
        failures: i32,
    }
    // A count whose window has passed starts again at 1. On a locked network the update's
    // condition fails, so no row comes back and nothing changes.
    let counted = Count::find_by_statement(Statement::from_sql_and_values(
        backend,
        "INSERT INTO login_failures (user_id, network, failures, window_start, locked_until) \
         VALUES ($1, $2, 1, $3, NULL) \
         ON CONFLICT (user_id, network) DO UPDATE SET \
           failures = CASE WHEN login_failures.window_start > $4 THEN login_failures.failures + 1 ELSE 1 END, \
           window_start = CASE WHEN login_failures.window_start > $4 THEN login_failures.window_start ELSE $3 END, \
           locked_until = NULL \
         WHERE login_failures.locked_until IS NULL OR login_failures.locked_until <= $3 \
         RETURNING failures",
        [
            user.into(),
            network.to_owned().into(),
            now.into(),
            (now - window).into(),
        ],
    ))
    .one(&txn)
    .await?;
    let Some(Count { failures }) = counted else {
        let until = locked_until(&txn, user, network, now).await?;
        txn.commit().await?;
        // Unlocked in between (the lock ran out): the guess was refused, count it as wrong.
        return Ok(until.map_or(Failure::Counted, Failure::Locked));
    };
    if failures < state.config.lockout_threshold as i32 {
        txn.commit().await?;
        return Ok(Failure::Counted);
    }
    let until = now + window;
    // After the lock the count starts over.
    login_failure::Entity::update_many()
        .col_expr(login_failure::Column::Failures, Expr::value(0))
        .col_expr(login_failure::Column::WindowStart, Expr::value(now))
        .col_expr(login_failure::Column::LockedUntil, Expr::value(Some(until)))
        .filter(login_failure::Column::UserId.eq(user))
        .filter(login_failure::Column::Network.eq(network))
        .exec(&txn)
        .await?;
    vertechie_kernel::audit::record(
        &txn,
        now,
        vertechie_kernel::audit::AuditEntry {
            actor: None,
            action: "account.locked",
            target_type: "user",
            target_id: Some(user.to_string()),
            details: serde_json::json!({ "failed_attempts": failures, "network": network }),
            ip: None,
        },
    )
    .await?;
    txn.commit().await?;
    tracing::warn!(user_id = %user, network, "account locked for a network after repeated failed sign-ins");
    Ok(Failure::Locked(until))
}

/// For a sign-in whose password was right, inside its write transaction: clears the network's
/// count, or answers the lock that a parallel wrong guess committed meanwhile.
pub async fn admit<C: ConnectionTrait>(
    txn: &C,
    user: Uuid,
    network: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    // Delete first: on PostgreSQL it waits for a parallel failure holding the row, and the read
    // after it then sees that failure's lock.
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::UserId.eq(user))
        .filter(login_failure::Column::Network.eq(network))
        .filter(
            Condition::any()
                .add(login_failure::Column::LockedUntil.is_null())
                .add(login_failure::Column::LockedUntil.lte(now)),
        )
        .exec(txn)
        .await?;
    match locked_until(txn, user, network, now).await? {
        Some(until) => Err(locked(until, now)),
        None => Ok(()),
    }
}

/// Lifts every lock and count of the account (password reset, super-admin bootstrap).
pub async fn clear_all<C: ConnectionTrait>(conn: &C, user: Uuid) -> AppResult<()> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::UserId.eq(user))
        .exec(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::network_of;

    #[test]
    fn networks_are_ipv4_slash_24_and_ipv6_slash_64() {
        let cases = [
            (Some("203.0.113.77"), "203.0.113.0/24"),
            (Some(" 203.0.113.1 "), "203.0.113.0/24"),
            (Some("::ffff:203.0.113.9"), "203.0.113.0/24"),
            (Some("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64"),
            (Some("2001:DB8:0:0:1::"), "2001:db8:0:0::/64"),
            (Some("::1"), "0:0:0:0::/64"),
            (Some("not an ip"), "unknown"),
            (None, "unknown"),
        ];
        for (ip, want) in cases {
            assert_eq!(network_of(ip), want, "{ip:?}");
        }
    }
}
