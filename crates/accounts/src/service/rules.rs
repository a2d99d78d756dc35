//! Input rules for accounts: what a valid email, username, password and profile field is.
//! General text clean-up (`clean`, `clean_text`, `is_http_url`) is `vertechie_kernel::text`.

use vertechie_kernel::Validator;
use vertechie_kernel::text::clean;

/// Trimmed and lower-cased; `None` when it is not an address we can mail.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = email.split_once('@')?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    ok.then_some(email)
}

/// Trimmed and lower-cased; 3–30 of `[a-z0-9_-]`.
pub fn normalize_username(raw: &str) -> Result<String, &'static str> {
    let u = raw.trim().to_lowercase();
    if u.len() < 3 || u.len() > 30 {
        return Err("must be 3–30 characters");
    }
    if !u
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err("may contain only letters a–z, digits, '_' and '-'");
    }
    Ok(u)
}

/// 8–128 characters and not the same as the email or username.
pub fn check_password(v: &mut Validator, field: &str, password: &str, email: &str, username: &str) {
    let n = password.chars().count();
    if n < 8 {
        v.add(field, "must be at least 8 characters");
    } else if n > 128 {
        v.add(field, "must be at most 128 characters");
    } else if password.eq_ignore_ascii_case(email) || password.eq_ignore_ascii_case(username) {
        v.add(field, "must not be the same as your email or username");
    }
}

pub const EXPERIENCE_LEVELS: [&str; 4] = ["fresher", "junior", "mid", "senior"];

pub fn is_phone(s: &str) -> bool {
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    (7..=15).contains(&digits)
        && s.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

/// A skill name in display form and its uniqueness key, or why it is not acceptable.
pub fn normalize_skill(raw: &str) -> Result<(String, String), &'static str> {
    let name = clean(raw).ok_or("must not be empty")?;
    if name.chars().count() > 50 {
        return Err("must be at most 50 characters");
    }
    let key = name.to_lowercase();
    Ok((name, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").as_deref(),
            Some("ada@example.com")
        );
        for bad in [
            "", "ada", "ada@", "@x.io", "a b@x.io", "a@x", "a@@x.io", "a@.x.io", "a@x..io",
        ] {
            assert!(normalize_email(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn usernames() {
        assert_eq!(normalize_username(" Ada_99 ").unwrap(), "ada_99");
        assert!(normalize_username("ab").is_err());
        assert!(normalize_username(&"a".repeat(31)).is_err());
        assert!(normalize_username("ada lovelace").is_err());
        assert!(normalize_username("adä").is_err());
    }

    #[test]
    fn passwords() {
        let mut v = Validator::new();
        check_password(&mut v, "password", "short", "a@b.io", "ada");
        check_password(&mut v, "password", &"x".repeat(129), "a@b.io", "ada");
        check_password(
            &mut v,
            "password",
            "Ada@Example.io",
            "ada@example.io",
            "ada",
        );
        check_password(&mut v, "password", "adalovelace", "a@b.io", "adalovelace");
        let err = v.finish().unwrap_err();
        assert_eq!(err.details.len(), 4);
        let mut v = Validator::new();
        check_password(&mut v, "password", "correct horse battery", "a@b.io", "ada");
        assert!(v.is_empty());
    }

    #[test]
    fn skills_and_fields() {
        assert_eq!(
            normalize_skill("  Rust   Lang ").unwrap(),
            ("Rust Lang".into(), "rust lang".into())
        );
        assert!(normalize_skill("   ").is_err());
        assert!(is_phone("+44 20 7946 0958"));
        assert!(!is_phone("call me"));
    }
}
