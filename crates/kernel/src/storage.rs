//! Object storage for uploaded files and the expiring links that download them.
//!
//! One [`ObjectStore`] per process: a local directory (`<data_dir>/files`) by default, an
//! S3-compatible bucket when `s3_bucket` is configured (cargo feature `s3`). Objects are written
//! through [`Storage::writer`], which buffers small objects and streams bigger ones as a multipart
//! upload, so an upload never sits in memory whole.
//!
//! A download link is `/files/{id}?exp=<unix seconds>&sig=<base64url HMAC-SHA256("{id}:{exp}")>`.
//! The HMAC key is derived from the app secret with a label of its own, so a link signature can
//! never be used as (or reveal anything about) a token signature, and changing the secret voids
//! every link. Expiry times are rounded up to a short step, so the links made for one file within
//! that step are identical and a browser can cache what it downloaded.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{GetResult, ObjectStore, ObjectStoreExt};
use sha2::Sha256;
use uuid::Uuid;

use crate::config::Config;

/// Objects up to this size are written with one request; bigger ones as a multipart upload in
/// parts of this size (S3's smallest part is 5 MiB).
const WRITE_CHUNK_BYTES: usize = 5 * 1024 * 1024;
/// Parts of one upload in flight at once: bounds the memory of a big upload to a few parts.
const WRITE_CONCURRENCY: usize = 2;
/// The label that derives the link key from the app secret (change it to void every link).
const LINK_KEY_LABEL: &[u8] = b"vertechie/file-links/v1";
/// Longest `sig` accepted before decoding (a SHA-256 MAC is 43 characters in base64url).
const SIG_MAX_CHARS: usize = 64;

type HmacSha256 = Hmac<Sha256>;

/// The object store, the link signer and the upload settings (in `AppState::storage`).
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    backend: &'static str,
    links: LinkSigner,
    /// `files_max_bytes`.
    pub max_bytes: u64,
    /// `file_link_ttl_secs`.
    pub link_ttl_secs: u64,
}

/// A signed download link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedLink {
    /// Relative to the server: `/files/{id}?exp=…&sig=…`.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a download link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Missing parts, a bad signature, or a signature for another file or time.
    Invalid,
    /// Correctly signed, but past its expiry.
    Expired,
}

impl Storage {
    /// The store the configuration names: S3 when `s3_bucket` is set, else `<data_dir>/files`
    /// (created if missing). `secret` is the app secret the link key is derived from.
    pub fn from_config(cfg: &Config, secret: &[u8]) -> anyhow::Result<Self> {
        let (store, backend): (Arc<dyn ObjectStore>, &'static str) = match &cfg.s3_bucket {
            Some(bucket) => (s3_store(cfg, bucket)?, "s3"),
            None => {
                let root = cfg.data_dir.join("files");
                std::fs::create_dir_all(&root).map_err(|e| {
                    anyhow::anyhow!("cannot create the file store {}: {e}", root.display())
                })?;
                let local = LocalFileSystem::new_with_prefix(&root)?.with_automatic_cleanup(true);
                (Arc::new(local), "local")
            }
        };
        Self::with_store(store, backend, cfg, secret)
    }

    /// A storage over any store (tests, or a store built elsewhere).
    pub fn with_store(
        store: Arc<dyn ObjectStore>,
        backend: &'static str,
        cfg: &Config,
        secret: &[u8],
    ) -> anyhow::Result<Self> {
        Ok(Self {
            store,
            backend,
            links: LinkSigner::new(secret)?,
            max_bytes: cfg.files_max_bytes,
            link_ttl_secs: cfg.file_link_ttl_secs,
        })
    }

    /// `local` or `s3`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// A writer for a new object at `key`: finish it with `shutdown()`, or `abort()` it (never
    /// after `shutdown()` was called) to leave nothing behind.
    pub fn writer(&self, key: &str) -> BufWriter {
        BufWriter::with_capacity(self.store.clone(), Path::from(key), WRITE_CHUNK_BYTES)
            .with_max_concurrency(WRITE_CONCURRENCY)
    }

    /// The object at `key`, to stream.
    pub async fn get(&self, key: &str) -> object_store::Result<GetResult> {
        self.store.get(&Path::from(key)).await
    }

    /// Deletes the object at `key` (deleting a missing object is not an error).
    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        match self.store.delete(&Path::from(key)).await {
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            other => other,
        }
    }

    /// A download link for file `id`, valid for at least `file_link_ttl_secs` from `now`.
    pub fn link(&self, id: Uuid, now: DateTime<Utc>) -> SignedLink {
        let step = link_step(self.link_ttl_secs);
        let wanted = now.timestamp() + self.link_ttl_secs as i64;
        // Rounded up to the step: links made within one step are the same URL.
        let exp = (wanted + step - 1).div_euclid(step) * step;
        SignedLink {
            url: format!("/files/{id}?exp={exp}&sig={}", self.links.sign(id, exp)),
            expires_at: DateTime::from_timestamp(exp, 0).unwrap_or(now),
        }
    }

    /// Checks a link's parts for file `id` (as written in the path): the seconds it has left, or
    /// why it is refused. The signature is checked (in constant time) before the expiry, so an
    /// unsigned request learns nothing about expiry.
    pub fn verify(
        &self,
        id: Uuid,
        exp: Option<&str>,
        sig: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64, LinkError> {
        let (Some(exp), Some(sig)) = (exp, sig) else {
            return Err(LinkError::Invalid);
        };
        let exp: i64 = exp.parse().map_err(|_| LinkError::Invalid)?;
        if !self.links.verify(id, exp, sig) {
            return Err(LinkError::Invalid);
        }
        let left = exp - now.timestamp();
        if left <= 0 {
            return Err(LinkError::Expired);
        }
        Ok(left as u64)
    }
}

/// How far expiry times are rounded up: a tenth of the lifetime, between 1 s and 5 minutes.
fn link_step(ttl_secs: u64) -> i64 {
    (ttl_secs / 10).clamp(1, 300) as i64
}

#[cfg(feature = "s3")]
fn s3_store(cfg: &Config, bucket: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    use object_store::aws::AmazonS3Builder;
    // From the environment first (AWS_* variables, instance credentials), then our settings.
    let mut b = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_region(&cfg.s3_region)
        .with_allow_http(cfg.s3_allow_http);
    if let Some(endpoint) = &cfg.s3_endpoint {
        // S3-compatible servers address buckets by path, not by host name.
        b = b
            .with_endpoint(endpoint)
            .with_virtual_hosted_style_request(false);
    }
    if let (Some(key), Some(secret)) = (&cfg.s3_access_key_id, &cfg.s3_secret_access_key) {
        b = b
            .with_access_key_id(key)
            .with_secret_access_key(secret.expose());
    }
    Ok(Arc::new(b.build().map_err(|e| {
        anyhow::anyhow!("s3_bucket: cannot configure S3 storage: {e}")
    })?))
}

#[cfg(not(feature = "s3"))]
fn s3_store(_cfg: &Config, _bucket: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    // `Config::validate` refuses this first; kept so the message is the same either way.
    anyhow::bail!(
        "invalid configuration: s3_bucket: S3 storage is configured but this binary was built \
         without the `s3` feature"
    )
}

/// HMAC-SHA256 over `"{id}:{exp}"` with a key derived from the app secret.
struct LinkSigner {
    mac: HmacSha256,
}

impl LinkSigner {
    fn new(secret: &[u8]) -> anyhow::Result<Self> {
        let mut derive = HmacSha256::new_from_slice(secret)
            .map_err(|e| anyhow::anyhow!("link key derivation: {e}"))?;
        derive.update(LINK_KEY_LABEL);
        let key = derive.finalize().into_bytes();
        let mac = HmacSha256::new_from_slice(&key).map_err(|e| anyhow::anyhow!("link key: {e}"))?;
        Ok(Self { mac })
    }

    fn keyed(&self, id: Uuid, exp: i64) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(format!("{id}:{exp}").as_bytes());
        mac
    }

    fn sign(&self, id: Uuid, exp: i64) -> String {
        URL_SAFE_NO_PAD.encode(self.keyed(id, exp).finalize().into_bytes())
    }

    fn verify(&self, id: Uuid, exp: i64, sig: &str) -> bool {
        if sig.len() > SIG_MAX_CHARS {
            return false;
        }
        match URL_SAFE_NO_PAD.decode(sig) {
            // `verify_slice` compares in constant time.
            Ok(bytes) => self.keyed(id, exp).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage(ttl: u64) -> Storage {
        let cfg = Config {
            file_link_ttl_secs: ttl,
            ..Config::default()
        };
        let store = Arc::new(object_store::memory::InMemory::new());
        Storage::with_store(store, "memory", &cfg, b"0123456789abcdef0123456789abcdef").unwrap()
    }

    fn parts(url: &str) -> (String, String) {
        let q = url.split_once('?').unwrap().1;
        let mut exp = String::new();
        let mut sig = String::new();
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            match &*k {
                "exp" => exp = v.into_owned(),
                "sig" => sig = v.into_owned(),
                _ => {}
            }
        }
        (exp, sig)
    }

    #[test]
    fn links_verify_until_they_expire() {
        let s = storage(3600);
        let id = Uuid::now_v7();
        let now = DateTime::from_timestamp(1_800_000_001, 0).unwrap();
        let link = s.link(id, now);
        assert!(link.url.starts_with(&format!("/files/{id}?exp=")));
        let (exp, sig) = parts(&link.url);
        let left = s.verify(id, Some(&exp), Some(&sig), now).unwrap();
        assert!((3600..=3900).contains(&left), "{left}");
        assert_eq!(link.expires_at.timestamp(), exp.parse::<i64>().unwrap());
        // Within one rounding step the same URL comes back (cacheable).
        assert_eq!(s.link(id, now + chrono::Duration::seconds(1)).url, link.url);
        let later = link.expires_at;
        assert_eq!(
            s.verify(id, Some(&exp), Some(&sig), later),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn tampered_links_are_invalid() {
        let s = storage(60);
        let id = Uuid::now_v7();
        let now = Utc::now();
        let (exp, sig) = parts(&s.link(id, now).url);
        let other = Uuid::now_v7();
        assert_eq!(
            s.verify(other, Some(&exp), Some(&sig), now),
            Err(LinkError::Invalid)
        );
        let longer = (exp.parse::<i64>().unwrap() + 3600).to_string();
        assert_eq!(
            s.verify(id, Some(&longer), Some(&sig), now),
            Err(LinkError::Invalid)
        );
        let mut flipped = sig.clone().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        for (e, s2) in [
            (Some(exp.as_str()), Some(flipped.as_str())),
            (Some(exp.as_str()), None),
            (None, Some(sig.as_str())),
            (Some("soon"), Some(sig.as_str())),
            (Some(exp.as_str()), Some("!!!")),
            (Some(exp.as_str()), Some(&*"A".repeat(500))),
        ] {
            assert_eq!(s.verify(id, e, s2, now), Err(LinkError::Invalid));
        }
        // Another secret signs differently.
        let cfg = Config::default();
        let other_secret = Storage::with_store(
            Arc::new(object_store::memory::InMemory::new()),
            "memory",
            &cfg,
            b"another secret another secret another",
        )
        .unwrap();
        assert_eq!(
            other_secret.verify(id, Some(&exp), Some(&sig), now),
            Err(LinkError::Invalid)
        );
    }

    #[tokio::test]
    async fn writes_read_back_and_abort_leaves_nothing() {
        use tokio::io::AsyncWriteExt;
        let s = storage(60);
        let mut w = s.writer("a/b/one");
        w.put(bytes::Bytes::from_static(b"hello ")).await.unwrap();
        w.put(bytes::Bytes::from_static(b"world")).await.unwrap();
        w.shutdown().await.unwrap();
        let got = s.get("a/b/one").await.unwrap().bytes().await.unwrap();
        assert_eq!(&got[..], b"hello world");
        let mut w = s.writer("a/b/two");
        w.put(bytes::Bytes::from_static(b"half")).await.unwrap();
        w.abort().await.unwrap();
        assert!(matches!(
            s.get("a/b/two").await,
            Err(object_store::Error::NotFound { .. })
        ));
        s.delete("a/b/one").await.unwrap();
        s.delete("a/b/one").await.unwrap();
    }
}
