//! One typed configuration: defaults → optional TOML file → `VERTECHIE_*` env (plus `DATABASE_URL`,
//! `REDIS_URL`) → CLI flags. Validated once at start; secrets never appear in `Debug` or output.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::net::{Cidr, TrustedProxies};

/// A secret value: hidden from `Debug` and serialisation.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"********\"")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("********")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub bind: String,
    /// Directory for the SQLite database, the generated secret and local files.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: SQLite at `<data_dir>/vertechie.db`.
    pub database_url: Option<String>,
    /// Redis for cross-instance fan-out; optional.
    pub redis_url: Option<String>,
    /// Token signing secret; generated and stored under `data_dir` when absent.
    pub secret: Option<Secret>,
    /// Public base URL used in links (mails) and to decide `Secure` cookies and HSTS.
    pub public_url: Option<String>,
    /// Requests per minute per client IP on the API; 0 disables.
    pub rate_limit_per_min: u32,
    /// Requests per minute per client IP on `/api/v1/auth/*` and the sign-in, sign-up and
    /// password page forms; 0 disables.
    pub auth_rate_limit_per_min: u32,
    /// Writes (not GET/HEAD/OPTIONS) per minute per signed-in user, API and page forms; 0 disables.
    pub user_write_rate_limit_per_min: u32,
    /// `smtp://user:pass@host:port` or `smtps://…`; when absent mail goes to the outbox table.
    pub smtp_url: Option<Secret>,
    /// From address for outgoing mail.
    pub mail_from: String,
    /// Access token lifetime in seconds.
    pub access_token_ttl_secs: u64,
    /// Refresh token (session) lifetime in days.
    pub refresh_token_ttl_days: u64,
    /// Argon2id memory cost in KiB (OWASP minimum: 19456).
    pub argon2_memory_kib: u32,
    /// Argon2id iterations (OWASP minimum with 19 MiB: 2).
    pub argon2_iterations: u32,
    /// Argon2id parallelism.
    pub argon2_parallelism: u32,
    /// Origins allowed by CORS (exact match); empty allows none.
    #[serde(deserialize_with = "string_or_list")]
    pub cors_origins: Vec<String>,
    /// Largest accepted request body in bytes.
    pub body_limit_bytes: usize,
    /// Per-request timeout in seconds.
    pub request_timeout_secs: u64,
    /// How long shutdown waits for in-flight requests, in seconds.
    pub shutdown_timeout_secs: u64,
    /// Failed sign-ins within the window that lock an account.
    pub lockout_threshold: u32,
    /// Lockout window and duration in minutes.
    pub lockout_minutes: u32,
    /// Background job workers run by `serve`.
    pub queue_workers: usize,
    /// Attempts before a job is dead-lettered.
    pub queue_max_attempts: u32,
    /// Days a finished (`done`) queue task is kept before the hourly purge deletes it.
    pub queue_retention_days: u32,
    /// Database pool size.
    pub db_max_connections: u32,
    /// `json` or `pretty`.
    pub log_format: String,
    /// tracing filter, e.g. `info` or `vertechie=debug,info`.
    pub log_level: String,
    /// Networks of the reverse proxies whose `X-Forwarded-For` is believed (CIDR list, e.g.
    /// `["10.0.0.0/8", "::1/128"]`); empty: the socket peer is the client.
    #[serde(deserialize_with = "string_or_list")]
    pub trusted_proxies: Vec<String>,
    /// Deprecated: `true` adds the loopback networks to `trusted_proxies`.
    pub trust_proxy_headers: bool,
    /// When set, `/metrics` needs `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// Seconds a public job search page is reused by this instance (0: never). Job and
    /// application writes evict it at once on every instance; time-based flags lag by at most this.
    pub job_search_cache_secs: u64,
    /// Largest uploaded file in bytes (`POST /api/v1/files`); beyond it 413 `FILE_TOO_LARGE`.
    pub files_max_bytes: u64,
    /// Lifetime of a signed download link (`/files/{id}?exp=&sig=`) in seconds.
    pub file_link_ttl_secs: u64,
    /// Bytes all files of one user may take together; an upload past it is 413 `QUOTA_EXCEEDED`.
    pub files_quota_bytes: u64,
    /// S3 bucket for uploaded files; when absent they are stored under `<data_dir>/files`.
    /// Needs a binary built with the `s3` feature.
    pub s3_bucket: Option<String>,
    /// S3-compatible endpoint (MinIO, moto, …); absent means AWS.
    pub s3_endpoint: Option<String>,
    /// S3 region.
    pub s3_region: String,
    /// S3 access key id; absent: the `AWS_*` environment (or instance credentials) is used.
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key.
    pub s3_secret_access_key: Option<Secret>,
    /// Allow a plain `http://` S3 endpoint (local test servers).
    pub s3_allow_http: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            redis_url: None,
            secret: None,
            public_url: None,
            rate_limit_per_min: 100,
            auth_rate_limit_per_min: 10,
            user_write_rate_limit_per_min: 120,
            smtp_url: None,
            mail_from: "VerTechie <no-reply@vertechie.local>".into(),
            access_token_ttl_secs: 900,
            refresh_token_ttl_days: 30,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            cors_origins: Vec::new(),
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            shutdown_timeout_secs: 10,
            lockout_threshold: 5,
            lockout_minutes: 15,
            queue_workers: 2,
            queue_max_attempts: 5,
            queue_retention_days: 7,
            db_max_connections: 16,
            log_format: "json".into(),
            log_level: "info".into(),
            trusted_proxies: Vec::new(),
            trust_proxy_headers: false,
            metrics_token: None,
            job_search_cache_secs: 30,
            files_max_bytes: 10 * 1024 * 1024,
            file_link_ttl_secs: 3600,
            files_quota_bytes: 500 * 1024 * 1024,
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_allow_http: false,
        }
    }
}

fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        OneOrMany::Many(v) => v,
    })
}

/// A configuration problem, naming the key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

/// Every environment variable the configuration reads, for `--help` and the README.
pub const ENV_PREFIX: &str = "VERTECHIE_";

/// The largest `files_max_bytes` accepted (5 GiB): uploads stream to the store, so memory is not
/// the bound, but a bigger limit is almost certainly a typo.
pub const FILES_MAX_BYTES_CAP: u64 = 5 * 1024 * 1024 * 1024;

impl Config {
    /// Layers defaults, the optional TOML file, `VERTECHIE_*`, `DATABASE_URL`/`REDIS_URL`, then
    /// `overrides` (CLI flags), and validates the result.
    pub fn load(file: Option<&Path>, overrides: Figment) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::new(
                    "config",
                    format!("file {} not found", path.display()),
                ));
            }
            fig = fig.merge(Toml::file(path));
        }
        fig = fig
            .merge(Env::prefixed(ENV_PREFIX).ignore(&["config"]))
            .merge(Env::raw().only(&["database_url", "redis_url"]))
            .merge(overrides);
        let cfg: Config = fig.extract().map_err(|e| {
            let key = e.path.join(".");
            let key = if key.is_empty() {
                "config".to_owned()
            } else {
                key
            };
            ConfigError::new(&key, e.kind.to_string())
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        self.bind_addr()?;
        if let Some(url) = &self.database_url
            && !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "database_url",
                "must start with sqlite:// or postgres://",
            ));
        }
        if let Some(url) = &self.redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(ConfigError::new(
                "redis_url",
                "must start with redis:// or rediss://",
            ));
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::new(
                "public_url",
                "must start with http:// or https://",
            ));
        }
        if let Some(url) = &self.smtp_url
            && !(url.expose().starts_with("smtp://") || url.expose().starts_with("smtps://"))
        {
            return Err(ConfigError::new(
                "smtp_url",
                "must start with smtp:// or smtps://",
            ));
        }
        if let Some(s) = &self.secret
            && s.expose().len() < 32
        {
            return Err(ConfigError::new("secret", "must be at least 32 characters"));
        }
        if self.access_token_ttl_secs == 0 {
            return Err(ConfigError::new(
                "access_token_ttl_secs",
                "must be greater than 0",
            ));
        }
        if self.refresh_token_ttl_days == 0 {
            return Err(ConfigError::new(
                "refresh_token_ttl_days",
                "must be greater than 0",
            ));
        }
        if self.argon2_memory_kib < 8 * self.argon2_parallelism.max(1) {
            return Err(ConfigError::new(
                "argon2_memory_kib",
                "too small for the parallelism",
            ));
        }
        if self.argon2_iterations == 0 {
            return Err(ConfigError::new("argon2_iterations", "must be at least 1"));
        }
        if self.argon2_parallelism == 0 {
            return Err(ConfigError::new("argon2_parallelism", "must be at least 1"));
        }
        if self.body_limit_bytes < 1024 {
            return Err(ConfigError::new(
                "body_limit_bytes",
                "must be at least 1024",
            ));
        }
        if self.request_timeout_secs == 0 {
            return Err(ConfigError::new(
                "request_timeout_secs",
                "must be greater than 0",
            ));
        }
        if self.job_search_cache_secs > 3600 {
            return Err(ConfigError::new(
                "job_search_cache_secs",
                "must be at most 3600",
            ));
        }
        if self.lockout_threshold == 0 {
            return Err(ConfigError::new("lockout_threshold", "must be at least 1"));
        }
        if !(1..=3650).contains(&self.queue_retention_days) {
            return Err(ConfigError::new(
                "queue_retention_days",
                "must be between 1 and 3650",
            ));
        }
        if self.db_max_connections == 0 {
            return Err(ConfigError::new("db_max_connections", "must be at least 1"));
        }
        if !matches!(self.log_format.as_str(), "json" | "pretty") {
            return Err(ConfigError::new("log_format", "must be json or pretty"));
        }
        self.validate_files()?;
        self.trusted_proxies()?;
        if let Some(t) = &self.metrics_token
            && t.expose().trim().is_empty()
        {
            return Err(ConfigError::new("metrics_token", "must not be empty"));
        }
        for origin in &self.cors_origins {
            if http::HeaderValue::from_str(origin).is_err() || !origin.contains("://") {
                return Err(ConfigError::new(
                    "cors_origins",
                    format!("{origin:?} is not an origin"),
                ));
            }
        }
        Ok(())
    }

    /// The file upload and object storage settings.
    fn validate_files(&self) -> Result<(), ConfigError> {
        if self.files_max_bytes == 0 || self.files_max_bytes > FILES_MAX_BYTES_CAP {
            return Err(ConfigError::new(
                "files_max_bytes",
                format!("must be between 1 and {FILES_MAX_BYTES_CAP}"),
            ));
        }
        if self.files_quota_bytes == 0 {
            return Err(ConfigError::new("files_quota_bytes", "must be at least 1"));
        }
        if !(1..=7 * 86_400).contains(&self.file_link_ttl_secs) {
            return Err(ConfigError::new(
                "file_link_ttl_secs",
                "must be between 1 and 604800 (7 days)",
            ));
        }
        let Some(bucket) = &self.s3_bucket else {
            return Ok(());
        };
        if !cfg!(feature = "s3") {
            return Err(ConfigError::new(
                "s3_bucket",
                "S3 storage is configured but this binary was built without the `s3` feature \
                 (cargo build --features s3); unset s3_bucket to store files under data_dir",
            ));
        }
        if bucket.trim().is_empty() {
            return Err(ConfigError::new("s3_bucket", "must not be empty"));
        }
        if let Some(endpoint) = &self.s3_endpoint {
            if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                return Err(ConfigError::new(
                    "s3_endpoint",
                    "must start with http:// or https://",
                ));
            }
            if endpoint.starts_with("http://") && !self.s3_allow_http {
                return Err(ConfigError::new(
                    "s3_endpoint",
                    "is plain http://; set s3_allow_http = true to allow it",
                ));
            }
        }
        if self.s3_region.trim().is_empty() {
            return Err(ConfigError::new("s3_region", "must not be empty"));
        }
        if self.s3_access_key_id.is_some() != self.s3_secret_access_key.is_some() {
            return Err(ConfigError::new(
                "s3_access_key_id",
                "s3_access_key_id and s3_secret_access_key go together",
            ));
        }
        Ok(())
    }

    /// The parsed `trusted_proxies`, plus loopback when the deprecated `trust_proxy_headers` is on.
    pub fn trusted_proxies(&self) -> Result<TrustedProxies, ConfigError> {
        let mut nets = self
            .trusted_proxies
            .iter()
            .map(|s| s.parse::<Cidr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConfigError::new("trusted_proxies", e))?;
        if self.trust_proxy_headers {
            nets.extend(TrustedProxies::loopback());
        }
        Ok(TrustedProxies(nets))
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.bind.parse().map_err(|_| {
            ConfigError::new(
                "bind",
                format!(
                    "{:?} is not a socket address like 127.0.0.1:8080",
                    self.bind
                ),
            )
        })
    }

    /// The effective database URL (SQLite under `data_dir` by default).
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("vertechie.db").display()),
        }
    }

    /// True when the public URL is https (Secure cookies, HSTS).
    pub fn is_tls(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// The base URL links in mail point to.
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
        }
    }

    /// The configuration as TOML with secrets and URL passwords masked (for `vertechie config`).
    pub fn masked_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = Some(mask_url_password(&self.database_url()));
        shown.redis_url = self.redis_url.as_deref().map(mask_url_password);
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# could not render: {e}"))
    }

    /// Reads the signing secret, or creates `<data_dir>/secret.key` on first start.
    /// Returns the secret and whether it was generated now.
    pub fn resolve_secret(&mut self) -> anyhow::Result<(Secret, SecretSource)> {
        if let Some(s) = &self.secret {
            return Ok((s.clone(), SecretSource::Configured));
        }
        let path = self.data_dir.join("secret.key");
        if path.exists() {
            let s = std::fs::read_to_string(&path)?.trim().to_owned();
            if s.len() >= 32 {
                let secret = Secret::new(s);
                self.secret = Some(secret.clone());
                return Ok((secret, SecretSource::File(path)));
            }
        }
        std::fs::create_dir_all(&self.data_dir)?;
        let mut bytes = [0u8; 48];
        rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
        let s = hex::encode(bytes);
        write_private(&path, &s)?;
        let secret = Secret::new(s);
        self.secret = Some(secret.clone());
        Ok((secret, SecretSource::Generated(path)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Configured,
    File(PathBuf),
    Generated(PathBuf),
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// `postgres://user:pw@host/db` → `postgres://user:********@host/db`.
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:********@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_output_hide_secrets() {
        let cfg = Config {
            secret: Some(Secret::new("x".repeat(40))),
            database_url: Some("postgres://u:hunter2@localhost/db".into()),
            ..Config::default()
        };
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains(&"x".repeat(40)));
        let shown = cfg.masked_toml();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains(&"x".repeat(40)));
        assert!(shown.contains("postgres://u:********@localhost/db"));
    }

    #[test]
    fn invalid_values_name_the_key() {
        let err = Config::load(
            None,
            Figment::from(Serialized::globals(serde_json::json!({"bind": "nope"}))),
        )
        .unwrap_err();
        assert_eq!(err.key, "bind");
        let err = Config::load(
            None,
            Figment::from(Serialized::globals(
                serde_json::json!({"rate_limit_per_min": "many"}),
            )),
        )
        .unwrap_err();
        assert_eq!(err.key, "rate_limit_per_min");
    }

    #[test]
    fn file_settings_are_checked() {
        let load = |v: serde_json::Value| Config::load(None, Figment::from(Serialized::globals(v)));
        let cfg = load(serde_json::json!({})).unwrap();
        assert_eq!(cfg.files_max_bytes, 10_485_760);
        assert_eq!(cfg.file_link_ttl_secs, 3600);
        assert_eq!(cfg.files_quota_bytes, 500 * 1024 * 1024);
        assert_eq!(cfg.queue_retention_days, 7);
        assert_eq!(cfg.s3_region, "us-east-1");
        for (key, value) in [("files_quota_bytes", 0), ("queue_retention_days", 0)] {
            assert_eq!(
                load(serde_json::json!({ key: value })).unwrap_err().key,
                key
            );
        }
        assert_eq!(
            load(serde_json::json!({"files_max_bytes": 0}))
                .unwrap_err()
                .key,
            "files_max_bytes"
        );
        assert_eq!(
            load(serde_json::json!({"file_link_ttl_secs": 0}))
                .unwrap_err()
                .key,
            "file_link_ttl_secs"
        );
        let s3 = load(serde_json::json!({"s3_bucket": "b", "s3_secret_access_key": "k"}));
        let err = s3.unwrap_err();
        assert_eq!(
            err.key,
            if cfg!(feature = "s3") {
                "s3_access_key_id"
            } else {
                "s3_bucket"
            }
        );
        let shown = Config {
            s3_secret_access_key: Some(Secret::new("s3-secret-value")),
            ..Config::default()
        }
        .masked_toml();
        assert!(!shown.contains("s3-secret-value"), "{shown}");
    }

    #[cfg(not(feature = "s3"))]
    #[test]
    fn s3_without_the_feature_refuses_to_start_naming_the_key() {
        let err = Config::load(
            None,
            Figment::from(Serialized::globals(
                serde_json::json!({"s3_bucket": "files"}),
            )),
        )
        .unwrap_err();
        assert_eq!(err.key, "s3_bucket");
        assert!(err.to_string().contains("`s3` feature"), "{err}");
    }

    #[test]
    fn trusted_proxies_and_metrics_token_are_checked() {
        let load = |v: serde_json::Value| Config::load(None, Figment::from(Serialized::globals(v)));
        let cfg = load(serde_json::json!({"trusted_proxies": "10.0.0.0/8, ::1/128"})).unwrap();
        let nets = cfg.trusted_proxies().unwrap();
        assert!(nets.contains("10.2.3.4".parse().unwrap()));
        assert!(nets.contains("::1".parse().unwrap()));
        assert!(!nets.contains("127.0.0.1".parse().unwrap()));
        let err = load(serde_json::json!({"trusted_proxies": ["10.0.0.0/33"]})).unwrap_err();
        assert_eq!(err.key, "trusted_proxies");
        // The deprecated switch means loopback only.
        let old = load(serde_json::json!({"trust_proxy_headers": true})).unwrap();
        let nets = old.trusted_proxies().unwrap();
        assert!(nets.contains("127.0.0.1".parse().unwrap()));
        assert!(!nets.contains("10.0.0.1".parse().unwrap()));
        assert!(Config::default().trusted_proxies().unwrap().0.is_empty());
        assert_eq!(Config::default().user_write_rate_limit_per_min, 120);
        let err = load(serde_json::json!({"metrics_token": " "})).unwrap_err();
        assert_eq!(err.key, "metrics_token");
        let shown = Config {
            metrics_token: Some(Secret::new("scrape-me-secret")),
            ..Config::default()
        };
        assert!(!shown.masked_toml().contains("scrape-me-secret"));
        assert!(!format!("{shown:?}").contains("scrape-me-secret"));
    }

    #[test]
    fn cors_origins_accept_comma_list() {
        let cfg = Config::load(
            None,
            Figment::from(Serialized::globals(
                serde_json::json!({"cors_origins": "http://a.test, http://b.test"}),
            )),
        )
        .unwrap();
        assert_eq!(cfg.cors_origins, vec!["http://a.test", "http://b.test"]);
    }
}
