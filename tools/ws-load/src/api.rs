//! The REST calls of the set-up: users (register, or sign in when they exist), rooms, joins.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use futures::{StreamExt, TryStreamExt, stream};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

/// A signed-in load user.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub token: String,
}

#[derive(Clone)]
pub struct Api {
    http: Client,
    base: String,
}

impl Api {
    pub fn new(base: &str) -> Result<Api> {
        let http = Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .context("building the HTTP client")?;
        Ok(Api {
            http,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// `POST` a JSON body (with a bearer token when given); the status and the JSON answer
    /// (`null` when it is not JSON). Only a failed connection is an error.
    async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> Result<(StatusCode, Value)> {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.with_context(|| format!("POST {path}"))?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// Registers `username` (argon2 at the server's configured cost); an existing account (a
    /// re-run with the same `--prefix`) signs in instead.
    pub async fn user(&self, username: &str, password: &str) -> Result<User> {
        let email = format!("{username}@load.vertechie.test");
        let (status, body) = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": email, "username": username, "password": password,
                       "full_name": format!("Load {username}")}),
            )
            .await?;
        let body = match status {
            StatusCode::CREATED => body,
            StatusCode::CONFLICT => {
                let (status, body) = self
                    .post(
                        "/api/v1/auth/login",
                        None,
                        json!({"email": email, "password": password}),
                    )
                    .await?;
                if status != StatusCode::OK {
                    bail!("login of {username}: {status} {body}");
                }
                body
            }
            _ => bail!("register {username}: {status} {body}"),
        };
        let data = &body["data"];
        Ok(User {
            id: text(&data["user"]["id"]).context("no user id in the answer")?,
            token: text(&data["access_token"]).context("no access token in the answer")?,
        })
    }

    /// Users `<prefix>00000` … in order, `parallel` requests at a time.
    pub async fn users(
        &self,
        prefix: &str,
        count: usize,
        password: &str,
        parallel: usize,
    ) -> Result<Vec<User>> {
        let started = Instant::now();
        let this = Arc::new(self.clone());
        let users: Vec<User> = stream::iter(0..count)
            .map(|i| {
                let api = this.clone();
                let name = format!("{prefix}{i:05}");
                let password = password.to_owned();
                async move { api.user(&name, &password).await }
            })
            .buffered(parallel.max(1))
            .try_collect()
            .await?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "   {count} users registered or signed in in {secs:.1} s ({:.0}/s)",
            count as f64 / secs.max(1e-9)
        );
        Ok(users)
    }

    /// A public room owned by `owner`; its id.
    pub async fn room(&self, owner: &User, name: &str) -> Result<String> {
        let (status, body) = self
            .post(
                "/api/v1/chat/rooms",
                Some(&owner.token),
                json!({"name": name, "kind": "public"}),
            )
            .await?;
        if status != StatusCode::CREATED {
            bail!("creating room {name}: {status} {body}");
        }
        text(&body["data"]["id"]).context("no room id in the answer")
    }

    /// Every user in `members` joins `room` (idempotent on the server).
    pub async fn join_all(&self, room: &str, members: &[User], parallel: usize) -> Result<()> {
        let started = Instant::now();
        let path = format!("/api/v1/chat/rooms/{room}/join");
        stream::iter(members)
            .map(|u| {
                let path = path.clone();
                async move {
                    let (status, body) = self.post(&path, Some(&u.token), json!({})).await?;
                    if status.is_success() {
                        Ok(())
                    } else {
                        Err(anyhow!("joining room {room} as {}: {status} {body}", u.id))
                    }
                }
            })
            .buffer_unordered(parallel.max(1))
            .try_collect::<Vec<()>>()
            .await?;
        println!(
            "   {} members joined room {room} in {:.1} s",
            members.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}
