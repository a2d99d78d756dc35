//! The closed catalogue of error codes: every `code` an [`AppError`](super::AppError) may carry,
//! with the HTTP statuses it comes with and what it means. The OpenAPI document publishes it
//! (the `ErrorCode` schema); a unit test fails when code in the repository uses a code that is
//! not listed here, or a test expects a code with a status the catalogue does not give it.

use serde::Serialize;

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct ErrorCode {
    /// The stable, machine-readable code (`error.code` in the envelope).
    pub code: &'static str,
    /// The HTTP statuses it is sent with, the usual one first (over the WebSocket the status is
    /// only indicative: error frames carry the code alone).
    pub statuses: &'static [u16],
    /// What it means, in one line.
    pub meaning: &'static str,
}

const fn code(code: &'static str, statuses: &'static [u16], meaning: &'static str) -> ErrorCode {
    ErrorCode {
        code,
        statuses,
        meaning,
    }
}

/// Every error code, alphabetically.
pub const ERROR_CODES: &[ErrorCode] = &[
    code(
        "ACCOUNT_DISABLED",
        &[403, 401],
        "The account was disabled by an administrator (403 at sign-in, 401 for a live session)",
    ),
    code(
        "ACCOUNT_LOCKED",
        &[423],
        "Too many failed sign-ins: the account is locked for a while (see retry_after)",
    ),
    code(
        "ALREADY_APPLIED",
        &[409],
        "You have already applied to this job",
    ),
    code(
        "ALREADY_MEMBER",
        &[409],
        "The user is already a member of the room",
    ),
    code(
        "ALREADY_VERIFIED",
        &[409],
        "The email address is already verified",
    ),
    code(
        "APPLICATION_CLOSED",
        &[409],
        "The application was withdrawn, rejected or hired and cannot change any more",
    ),
    code("BAD_FORM", &[400], "A page form could not be read"),
    code("BAD_REQUEST", &[400], "The request body could not be read"),
    code(
        "BUSY",
        &[503],
        "The server is overloaded (no database connection free); retry shortly",
    ),
    code(
        "COMPANY_CLOSED",
        &[409],
        "The company closed (its last owner left with no admin to take over) and posts no jobs",
    ),
    code(
        "CONFLICT",
        &[409],
        "A record with these values already exists (a unique rule without a more precise code)",
    ),
    code(
        "CSRF_FAILED",
        &[403],
        "A write authenticated by the session cookie lacks the matching CSRF token",
    ),
    code(
        "DIRECT_ROOM",
        &[409],
        "Direct conversations have exactly two members and no settings to change",
    ),
    code(
        "EMAIL_NOT_VERIFIED",
        &[403],
        "The action needs a verified email address: verify it first (creating companies, posting jobs)",
    ),
    code(
        "EMAIL_TAKEN",
        &[409],
        "An account with this email address already exists",
    ),
    code(
        "ERROR",
        &[],
        "Any other status made by the framework, with its standard reason as the message",
    ),
    code(
        "FILE_IN_USE",
        &[409],
        "The file is still attached to something and cannot be deleted",
    ),
    code(
        "FILE_TOO_LARGE",
        &[413],
        "The uploaded file is larger than files_max_bytes",
    ),
    code(
        "FORBIDDEN_COMPANY_ROLE",
        &[403],
        "Your role in the company does not allow this",
    ),
    code(
        "FORBIDDEN_MESSAGE",
        &[403],
        "Only the author or the room's owners and moderators may do this to the message",
    ),
    code(
        "FORBIDDEN_ROLE",
        &[403],
        "Your platform role does not allow this (the message names the roles that would)",
    ),
    code(
        "FORBIDDEN_ROOM_ROLE",
        &[403],
        "Your role in the room does not allow this",
    ),
    code(
        "FRAME_TOO_LARGE",
        &[413],
        "A WebSocket frame is larger than the frame limit",
    ),
    code(
        "INTERNAL",
        &[500],
        "An unexpected failure on our side (the cause is logged with the request id)",
    ),
    code(
        "INVALID_CREDENTIALS",
        &[401],
        "The email/username or password is wrong",
    ),
    code(
        "INVALID_PATH",
        &[400],
        "A path parameter is malformed (e.g. not a UUID)",
    ),
    code(
        "INVALID_QUERY",
        &[400],
        "A query parameter is malformed, out of range or missing (details name it)",
    ),
    code("JOB_CLOSED", &[409], "The job is not taking applications"),
    code(
        "LAST_OWNER",
        &[409],
        "The last owner cannot leave, be removed or be demoted",
    ),
    code(
        "LINK_EXPIRED",
        &[403],
        "The signed download link has expired",
    ),
    code(
        "LINK_INVALID",
        &[403],
        "The signed download link is missing, tampered with or for another file",
    ),
    code(
        "MALFORMED_JSON",
        &[400],
        "The request body (or WebSocket frame) is not valid JSON",
    ),
    code(
        "MALFORMED_MULTIPART",
        &[400],
        "The upload could not be read as multipart/form-data",
    ),
    code("MESSAGE_DELETED", &[409], "The message was deleted"),
    code(
        "METHOD_NOT_ALLOWED",
        &[405],
        "The path exists but not with this method",
    ),
    code("NOT_AUTHOR", &[403], "Only the author can edit the message"),
    code(
        "NOT_A_MEMBER",
        &[403],
        "Only members of the room can do this",
    ),
    code(
        "NOT_FOUND",
        &[404],
        "No such resource, or not one you may see",
    ),
    code(
        "NOT_PENDING",
        &[409],
        "The scheduled message was already sent or cancelled",
    ),
    code(
        "ORIGIN_NOT_ALLOWED",
        &[403],
        "A WebSocket opened with the session cookie from another site",
    ),
    code(
        "PAYLOAD_TOO_LARGE",
        &[413],
        "The request body is larger than body_limit_bytes",
    ),
    code(
        "QUOTA_EXCEEDED",
        &[413],
        "The upload would take your stored files past your quota (see quota_bytes and used_bytes)",
    ),
    code(
        "RATE_LIMITED",
        &[429],
        "Too many requests from this client; retry after retry_after seconds",
    ),
    code(
        "SCORECARD_EXISTS",
        &[409],
        "You already submitted a scorecard for this application",
    ),
    code(
        "SESSION_REVOKED",
        &[401],
        "The session has ended (signed out, revoked or expired); sign in again",
    ),
    code(
        "SHUTTING_DOWN",
        &[503],
        "The server is not accepting live connections right now; retry shortly",
    ),
    code(
        "SLUG_TAKEN",
        &[409],
        "Another company already uses this slug",
    ),
    code(
        "STAGE_EXISTS",
        &[409],
        "The job already has a stage with this name",
    ),
    code(
        "STAGE_FIRST",
        &[409],
        "The first stage cannot be deleted: new applications enter there",
    ),
    code(
        "STAGE_NOT_EMPTY",
        &[409],
        "The stage still holds applications",
    ),
    code(
        "TIMEOUT",
        &[503, 408],
        "The request took longer than request_timeout_secs",
    ),
    code(
        "TOKEN_EXPIRED",
        &[401, 400],
        "The token has expired (401 for access and refresh tokens, 400 for emailed links)",
    ),
    code(
        "TOKEN_INVALID",
        &[401, 400],
        "The token is not valid (401 for access and refresh tokens, 400 for emailed links)",
    ),
    code(
        "TOKEN_MISSING",
        &[401],
        "This needs an access token (Authorization: Bearer) or a browser session",
    ),
    code(
        "TOKEN_REUSED",
        &[401],
        "A refresh token was used twice; its session has been revoked",
    ),
    code(
        "TOO_MANY_CONNECTIONS",
        &[429],
        "Too many live WebSocket connections for this account",
    ),
    code(
        "TOO_MANY_ROOMS",
        &[409],
        "One WebSocket connection may watch only so many rooms",
    ),
    code(
        "TOO_MANY_STAGES",
        &[409],
        "A job has at most 20 pipeline stages",
    ),
    code(
        "UNKNOWN_TYPE",
        &[400],
        "A WebSocket frame of an unknown type",
    ),
    code(
        "UNSUPPORTED_FILE_TYPE",
        &[415],
        "Only PNG, JPEG, GIF, WebP, PDF and UTF-8 text files can be uploaded",
    ),
    code(
        "UNSUPPORTED_FRAME",
        &[400],
        "Binary WebSocket frames are not supported",
    ),
    code(
        "UNSUPPORTED_MEDIA_TYPE",
        &[415],
        "The request body is not of the expected Content-Type (application/json)",
    ),
    code(
        "UPGRADE_REQUIRED",
        &[426],
        "The WebSocket endpoint was called without a WebSocket handshake",
    ),
    code("USERNAME_TAKEN", &[409], "This username is taken"),
    code(
        "USER_INACTIVE",
        &[403],
        "That account is deactivated: it cannot be messaged, invited or added",
    ),
    code(
        "VALIDATION_ERROR",
        &[422],
        "The input is well-formed but invalid: details lists each field and what is wrong",
    ),
];

/// The catalogue entry of `code`.
pub fn lookup(code: &str) -> Option<&'static ErrorCode> {
    ERROR_CODES.iter().find(|c| c.code == code)
}

/// Whether the catalogue allows `code` with `status` (`ERROR` goes with any status).
pub fn allows(code: &str, status: u16) -> bool {
    lookup(code).is_some_and(|c| c.statuses.is_empty() || c.statuses.contains(&status))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    #[test]
    fn the_catalogue_is_sorted_unique_and_well_formed() {
        let names: Vec<&str> = ERROR_CODES.iter().map(|c| c.code).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(
            names, sorted,
            "keep ERROR_CODES sorted and without duplicates"
        );
        for c in ERROR_CODES {
            assert!(
                c.code.len() >= 3 && c.code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{} is not SCREAMING_SNAKE_CASE",
                c.code
            );
            assert!(!c.meaning.is_empty(), "{} has no meaning", c.code);
            assert!(
                c.statuses.iter().all(|s| (400..600).contains(s)),
                "{} has a status that is not an error",
                c.code
            );
        }
        assert!(allows("ALREADY_APPLIED", 409));
        assert!(!allows("ALREADY_APPLIED", 400));
        assert!(allows("ERROR", 418));
        assert!(!allows("NO_SUCH_CODE", 400));
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Whether the text at `at` is inside a `//` comment.
    fn in_comment(src: &str, at: usize) -> bool {
        let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
        src[line_start..at].contains("//")
    }

    /// `(file, code, status)` for each code passed to an `AppError` constructor in `src` (status
    /// 0 where the call does not say it literally), and each code compared with `.code ==`.
    fn source_codes(file: &str, src: &str, found: &mut Vec<(String, String, u16)>) {
        const CALLS: [(&str, u16); 6] = [
            ("new", 0),
            ("bad_request", 400),
            ("unauthorized", 401),
            ("forbidden", 403),
            ("conflict", 409),
            ("<Self>", 0),
        ];
        for (name, status) in CALLS {
            let call = if name == "<Self>" {
                // The kernel's own constructors build on `Self::new(status, code, …)`.
                ["Self", "::new("].concat()
            } else {
                ["AppError::", name, "("].concat()
            };
            for (at, _) in src.match_indices(&call) {
                if in_comment(src, at) {
                    continue;
                }
                let mut args = src[at + call.len()..].trim_start();
                let mut status = status;
                if name == "new" || name == "<Self>" {
                    let Some((first, rest)) = args.split_once(',') else {
                        continue;
                    };
                    status = status_of(first.trim());
                    args = rest.trim_start();
                }
                let literal = args
                    .strip_prefix('"')
                    .map(|rest| rest.chars().take_while(|c| *c != '"').collect::<String>());
                match literal {
                    Some(code) => found.push((file.to_owned(), code, status)),
                    // Another type's `Self::new`, not an error.
                    None if name == "<Self>" => {}
                    None => found.push((
                        file.to_owned(),
                        format!("<not a string literal: {}>", &args[..args.len().min(40)]),
                        0,
                    )),
                }
            }
        }
        for op in [".code == \"", ".code != \""] {
            for (at, _) in src.match_indices(op) {
                if in_comment(src, at) {
                    continue;
                }
                let code: String = src[at + op.len()..]
                    .chars()
                    .take_while(|c| *c != '"')
                    .collect();
                found.push((file.to_owned(), code, 0));
            }
        }
    }

    /// The status of a `StatusCode::NAME` expression (0 when it is not one).
    fn status_of(expr: &str) -> u16 {
        let name = expr.rsplit("::").next().unwrap_or("");
        [
            ("BAD_REQUEST", 400),
            ("UNAUTHORIZED", 401),
            ("FORBIDDEN", 403),
            ("NOT_FOUND", 404),
            ("METHOD_NOT_ALLOWED", 405),
            ("REQUEST_TIMEOUT", 408),
            ("CONFLICT", 409),
            ("PAYLOAD_TOO_LARGE", 413),
            ("UNSUPPORTED_MEDIA_TYPE", 415),
            ("UNPROCESSABLE_ENTITY", 422),
            ("LOCKED", 423),
            ("UPGRADE_REQUIRED", 426),
            ("TOO_MANY_REQUESTS", 429),
            ("INTERNAL_SERVER_ERROR", 500),
            ("SERVICE_UNAVAILABLE", 503),
        ]
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0, |(_, s)| *s)
    }

    /// `(file, code, status)` for each `expect_error(STATUS, "CODE")` in the tests.
    fn expected_codes(file: &str, src: &str, found: &mut Vec<(String, String, u16)>) {
        for (at, _) in src.match_indices("expect_error(") {
            let args = &src[at + "expect_error(".len()..];
            let Some((status, rest)) = args.split_once(',') else {
                continue;
            };
            let Ok(status) = status.trim().parse::<u16>() else {
                continue;
            };
            let Some(rest) = rest.trim_start().strip_prefix('"') else {
                continue;
            };
            let code: String = rest.chars().take_while(|c| *c != '"').collect();
            found.push((file.to_owned(), code, status));
        }
    }

    /// Scans every crate's sources (constructor calls) and tests (`expect_error`) for codes that
    /// are not in the catalogue, or statuses it does not give them.
    #[test]
    fn every_code_in_the_repository_is_in_the_catalogue() {
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found = Vec::new();
        let mut scanned = 0;
        for krate in std::fs::read_dir(&crates).unwrap().flatten() {
            for (sub, tests) in [("src", false), ("tests", true)] {
                let mut files = Vec::new();
                rust_files(&krate.path().join(sub), &mut files);
                for path in files {
                    let src = std::fs::read_to_string(&path).unwrap();
                    let name = path.display().to_string();
                    scanned += 1;
                    if tests {
                        expected_codes(&name, &src, &mut found);
                    } else {
                        source_codes(&name, &src, &mut found);
                    }
                }
            }
        }
        assert!(scanned > 50, "only {scanned} files scanned from {crates:?}");
        assert!(found.len() > 100, "only {} codes found", found.len());
        let mut problems = BTreeSet::new();
        for (file, code, status) in &found {
            match lookup(code) {
                None => {
                    problems.insert(format!("{file}: {code} is not in ERROR_CODES"));
                }
                Some(_) if *status != 0 && !allows(code, *status) => {
                    problems.insert(format!(
                        "{file}: {code} with status {status}, which ERROR_CODES does not give it"
                    ));
                }
                Some(_) => {}
            }
        }
        assert!(
            problems.is_empty(),
            "add these to crates/kernel/src/error/codes.rs (or fix them):\n{}",
            problems.into_iter().collect::<Vec<_>>().join("\n")
        );
    }
}
