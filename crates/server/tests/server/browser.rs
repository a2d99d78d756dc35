#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Browser journeys: Debian's Chromium, headless, driven through the DevTools protocol
//! (chromiumoxide) against the real server on 127.0.0.1:0 with a fresh database per journey.
//!
//! Run with `VERTECHIE_BROWSER_TESTS=required cargo test -p vertechie-server --test browser --
//! --nocapture`. Without Chromium (`/usr/bin/chromium`, or the path in `VERTECHIE_CHROMIUM`) the
//! test says so and passes, unless `VERTECHIE_BROWSER_TESTS=required`.
//!
//! Every journey runs in its own task with its own app and browser(s); a failing or panicking
//! journey is reported and the next one still runs. The last line is the summary:
//! `browser journeys: N passed, M failed`.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::json;
use vertechie_kernel::testkit::TestApp;

const PASSWORD: &str = "correct horse battery";
/// How long a wait-for-condition polls before failing.
const WAIT: Duration = Duration::from_secs(10);
/// How long one whole journey may take.
const JOURNEY_LIMIT: Duration = Duration::from_secs(120);
const SCREENSHOT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/screenshots");
const VIEWPORTS: [(u32, u32); 3] = [(375, 812), (768, 1024), (1440, 900)];

fn chromium_path() -> PathBuf {
    std::env::var_os("VERTECHIE_CHROMIUM")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

fn required() -> bool {
    std::env::var("VERTECHIE_BROWSER_TESTS").is_ok_and(|v| v == "required")
}

type Journey = fn() -> Pin<Box<dyn Future<Output = Result<()>> + Send>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_journeys() {
    if std::env::var("VERTECHIE_BROWSER_TESTS").is_ok_and(|v| v == "skip") {
        vertechie_kernel::testkit::skipped(
            "browser tests not run: VERTECHIE_BROWSER_TESTS=skip (.ci/run runs them in their own step)",
        );
        return;
    }
    let chromium = chromium_path();
    if !chromium.is_file() {
        vertechie_kernel::testkit::skipped(&format!(
            "browser tests not run: chromium not found (looked for {})",
            chromium.display()
        ));
        assert!(
            !required(),
            "VERTECHIE_BROWSER_TESTS=required but chromium was not found at {}",
            chromium.display()
        );
        return;
    }

    let journeys: Vec<(&str, Journey)> = vec![
        (
            "sign up, verify, sign in, profile, public profile, sign out",
            || Box::pin(journey_signup_to_public_profile()),
        ),
        ("wrong password x5 shows the lock", || {
            Box::pin(journey_lockout())
        }),
        ("admin deactivation ends the user's browser session", || {
            Box::pin(journey_admin_deactivates())
        }),
        ("keyboard-only sign in", || {
            Box::pin(journey_keyboard_signin())
        }),
        ("dark theme toggle persists", || {
            Box::pin(journey_theme_persists())
        }),
        ("screenshots without horizontal overflow", || {
            Box::pin(journey_screenshots())
        }),
        (
            "hiring: company and job, search, match, apply, drag to interview, scorecard, status and mail",
            || Box::pin(journey_hiring()),
        ),
        (
            "messaging: room, live message, typing, reactions, reply, edit, delete, mention bell, DM seen, attachment, reconnect, older messages",
            || Box::pin(journey_messaging()),
        ),
    ];

    // `VERTECHIE_BROWSER_ONLY=<words>` runs only the journeys whose name contains them.
    let only = std::env::var("VERTECHIE_BROWSER_ONLY").unwrap_or_default();
    let (mut passed, mut failed) = (0usize, 0usize);
    let started = Instant::now();
    for (name, run) in journeys
        .into_iter()
        .filter(|(n, _)| n.contains(only.as_str()))
    {
        let t = Instant::now();
        let mut task = tokio::spawn(run());
        let outcome = match tokio::time::timeout(JOURNEY_LIMIT, &mut task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(format!("{e:#}")),
            Ok(Err(join)) => Err(match join.try_into_panic() {
                Ok(p) => format!(
                    "panicked: {}",
                    p.downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| p.downcast_ref::<&str>().copied())
                        .unwrap_or("(no message)")
                ),
                Err(e) => format!("task failed: {e}"),
            }),
            Err(_) => {
                task.abort();
                Err(format!("timed out after {JOURNEY_LIMIT:?}"))
            }
        };
        let secs = t.elapsed().as_secs_f32();
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("browser journey ok     ({secs:5.1}s): {name}");
            }
            Err(e) => {
                failed += 1;
                println!("browser journey FAILED ({secs:5.1}s): {name}\n    {e}");
            }
        }
    }
    println!(
        "browser journeys: {passed} passed, {failed} failed ({:.1}s)",
        started.elapsed().as_secs_f32()
    );
    assert_eq!(failed, 0, "{failed} browser journey(s) failed");
}

// ---------------------------------------------------------------------------------------------
// Harness: one Chromium process per browser, with its own profile and config directories.

struct Chrome {
    browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
    _xdg: tempfile::TempDir,
}

impl Chrome {
    async fn launch() -> Result<Self> {
        let profile = tempfile::tempdir()?;
        let xdg = tempfile::tempdir()?;
        let config = BrowserConfig::builder()
            .chrome_executable(chromium_path())
            // chromiumoxide adds "--headless" itself (HeadlessMode::True); `no_sandbox` adds
            // --no-sandbox and --disable-setuid-sandbox. Arguments are given without "--".
            .no_sandbox()
            .user_data_dir(profile.path())
            .args([
                "disable-gpu",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "no-first-run",
            ])
            .env("XDG_CONFIG_HOME", xdg.path().display().to_string())
            .env("XDG_CACHE_HOME", xdg.path().display().to_string())
            .viewport(None)
            .window_size(1440, 900)
            .launch_timeout(Duration::from_secs(30))
            .request_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| anyhow!("chromium configuration: {e}"))?;
        let (browser, mut handler) = Browser::launch(config).await.context("launch chromium")?;
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Ok(Self {
            browser,
            handler,
            _profile: profile,
            _xdg: xdg,
        })
    }

    /// A new tab at 1440×900 on `app`.
    async fn tab(&self, app: &TestApp) -> Result<Tab> {
        let page = self
            .browser
            .new_page("about:blank")
            .await
            .context("open a tab")?;
        // Record Content-Security-Policy violations from the first byte of every document.
        page.evaluate_on_new_document(
            "window.__vtCsp = []; document.addEventListener('securitypolicyviolation', (e) => \
             window.__vtCsp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '') + \
             ' at ' + location.pathname + ' line ' + e.lineNumber + ': ' + (e.sample || '')));",
        )
        .await
        .context("install the CSP listener")?;
        let tab = Tab {
            page,
            base: app.base_url.clone(),
        };
        tab.viewport(1440, 900).await?;
        Ok(tab)
    }

    async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.browser.close()).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.browser.wait()).await;
        self.handler.abort();
    }
}

/// Runs `f` with a fresh browser and always closes the browser afterwards (also on failure;
/// on panic or abort the process is killed when `Chrome` is dropped).
async fn with_chrome<T>(f: impl AsyncFnOnce(&Chrome) -> Result<T>) -> Result<T> {
    let chrome = Chrome::launch().await?;
    let res = f(&chrome).await;
    chrome.close().await;
    res
}

struct Tab {
    page: Page,
    base: String,
}

impl Tab {
    async fn viewport(&self, width: u32, height: u32) -> Result<()> {
        self.page
            .execute(SetDeviceMetricsOverrideParams::new(
                i64::from(width),
                i64::from(height),
                1.0,
                false,
            ))
            .await
            .context("set the viewport")?;
        Ok(())
    }

    async fn eval<T: DeserializeOwned>(&self, js: &str) -> Result<T> {
        self.page
            .evaluate(js)
            .await
            .with_context(|| format!("evaluate `{js}`"))?
            .into_value()
            .with_context(|| format!("result of `{js}`"))
    }

    /// The current path and query.
    async fn path(&self) -> String {
        self.eval::<String>("location.pathname + location.search")
            .await
            .unwrap_or_else(|e| format!("(unknown: {e})"))
    }

    async fn text(&self) -> String {
        self.eval::<String>("document.body ? document.body.innerText : ''")
            .await
            .unwrap_or_default()
    }

    /// Polls the JS condition until it is true, failing after `WAIT` with the page's state.
    async fn wait_for(&self, cond: &str, what: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        let js =
            format!("(() => {{ try {{ return !!({cond}); }} catch (e) {{ return false; }} }})()");
        loop {
            // Errors are normal while a navigation replaces the document.
            if let Ok(true) = self.eval::<bool>(&js).await {
                return Ok(());
            }
            if Instant::now() > deadline {
                let text = self.text().await;
                bail!(
                    "waited {WAIT:?} for {what}; at {} the page says: {}",
                    self.path().await,
                    excerpt(&text)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn wait_for_path(&self, path: &str) -> Result<()> {
        self.wait_for(
            &format!(
                "location.pathname === {} && document.readyState === 'complete'",
                json!(path)
            ),
            &format!("arrival at {path}"),
        )
        .await
    }

    async fn goto(&self, path: &str) -> Result<()> {
        let url = format!("{}{path}", self.base);
        self.page
            .goto(url.as_str())
            .await
            .with_context(|| format!("go to {path}"))?;
        self.wait_for(
            "document.readyState === 'complete'",
            &format!("{path} to load"),
        )
        .await
    }

    /// Marks the current document, runs `action`, and waits until a new document has loaded.
    async fn navigating<Fut: Future<Output = Result<()>>>(
        &self,
        what: &str,
        action: Fut,
    ) -> Result<()> {
        self.eval::<bool>("window.__vtOld = true").await?;
        action.await?;
        self.wait_for(
            "window.__vtOld !== true && document.readyState === 'complete'",
            &format!("a new page after {what}"),
        )
        .await
    }

    async fn find(&self, selector: &str) -> Result<chromiumoxide::Element> {
        match self.page.find_element(selector).await {
            Ok(el) => Ok(el),
            Err(e) => Err(anyhow!(e).context(format!("find {selector} at {}", self.path().await))),
        }
    }

    async fn click(&self, selector: &str) -> Result<()> {
        self.find(selector)
            .await?
            .click()
            .await
            .with_context(|| format!("click {selector}"))?;
        Ok(())
    }

    /// Clicks and waits for the page it leads to.
    async fn click_through(&self, selector: &str) -> Result<()> {
        self.navigating(&format!("clicking {selector}"), self.click(selector))
            .await
    }

    /// Empties a field, then types into it like a person.
    async fn fill(&self, selector: &str, text: &str) -> Result<()> {
        let el = self.find(selector).await?;
        el.call_js_fn("function() { this.value = ''; }", false)
            .await
            .with_context(|| format!("clear {selector}"))?;
        el.click()
            .await
            .with_context(|| format!("click {selector}"))?
            .type_str(text)
            .await
            .with_context(|| format!("type into {selector}"))?;
        Ok(())
    }

    /// Chooses an option of a select.
    async fn select(&self, selector: &str, value: &str) -> Result<()> {
        let el = self.find(selector).await?;
        el.call_js_fn(
            format!(
                "function() {{ this.value = {v}; this.dispatchEvent(new Event('change', {{ bubbles: true }})); }}",
                v = json!(value)
            ),
            false,
        )
        .await
        .with_context(|| format!("select {value} in {selector}"))?;
        let got: Option<String> = el
            .property("value")
            .await?
            .and_then(|v| v.as_str().map(str::to_owned));
        ensure!(
            got.as_deref() == Some(value),
            "{selector} has no option {value:?}"
        );
        Ok(())
    }

    /// Types digits into a date input (focus lands on its first segment; en-US order) and
    /// checks the resulting value.
    async fn type_date(&self, selector: &str, digits: &str, expect: &str) -> Result<()> {
        let el = self.find(selector).await?;
        el.focus().await?.type_str(digits).await?;
        let got: Option<String> = el
            .property("value")
            .await?
            .and_then(|v| v.as_str().map(str::to_owned));
        ensure!(
            got.as_deref() == Some(expect),
            "typing {digits} into {selector} gave {got:?}, not {expect}"
        );
        Ok(())
    }

    /// Presses a key in whatever has the focus.
    async fn press(&self, key: &str) -> Result<()> {
        self.page
            .find_element("html")
            .await?
            .press_key(key)
            .await
            .with_context(|| format!("press {key}"))?;
        Ok(())
    }

    async fn active_id(&self) -> String {
        self.eval::<String>("document.activeElement ? document.activeElement.id : ''")
            .await
            .unwrap_or_default()
    }

    async fn expect_text(&self, needle: &str) -> Result<()> {
        self.wait_for(
            &format!("document.body.innerText.includes({})", json!(needle)),
            &format!("the text {needle:?}"),
        )
        .await
    }

    async fn sign_in(&self, login: &str, password: &str) -> Result<()> {
        self.goto("/signin").await?;
        self.fill("#f-email", login).await?;
        self.fill("#f-password", password).await?;
        self.click_through("form[action='/signin'] button[type=submit]")
            .await?;
        self.wait_for_path("/dashboard").await
    }

    async fn sign_out(&self) -> Result<()> {
        self.click("details.menu > summary").await?;
        self.wait_for(
            "document.querySelector('details.menu').open",
            "the account menu to open",
        )
        .await?;
        self.click_through("form[action='/signout'] button").await?;
        self.wait_for_path("/").await?;
        self.expect_text("You are signed out").await
    }
}

fn excerpt(text: &str) -> String {
    let t: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() > 400 {
        format!("{}…", t.chars().take(400).collect::<String>())
    } else {
        t
    }
}

/// A unique-enough suffix for emails and usernames.
fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    )
}

/// Registers an account through the API (set-up, not part of what a journey checks).
async fn register(app: &TestApp, username: &str, full_name: &str) -> Result<String> {
    let email = format!("{username}@example.com");
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": email, "username": username, "password": PASSWORD, "full_name": full_name}),
        )
        .await;
    ensure!(
        res.status == 201 || res.status == 200,
        "register {username}: {} {}",
        res.status,
        res.text
    );
    Ok(email)
}

/// The path and query of the verification link in the newest mail to `email`.
async fn verification_path(app: &TestApp, email: &str) -> Result<String> {
    let mails = app.wait_for_mail(email, 1).await;
    let mail = mails
        .iter()
        .find(|m| m.body_text.contains("/verify-email?token="))
        .ok_or_else(|| anyhow!("no verification mail to {email}"))?;
    let start = mail
        .body_text
        .find("/verify-email?token=")
        .expect("found above");
    let path: String = mail.body_text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<' && *c != '>')
        .collect();
    Ok(path)
}

// ---------------------------------------------------------------------------------------------
// Journeys.

/// (1) Sign up → verification mail → verify → sign out → sign in → profile → public profile →
/// sign out.
async fn journey_signup_to_public_profile() -> Result<()> {
    let app = vertechie_server::testing::spawn().await;
    with_chrome(async |chrome| {
        let tab = chrome.tab(&app).await?;
        let username = unique("ada");
        let email = format!("{username}@example.com");

        tab.goto("/signup").await?;
        tab.fill("#f-full_name", "Ada Lovelace").await?;
        tab.fill("#f-email", &email).await?;
        tab.fill("#f-username", &username).await?;
        tab.fill("#f-password", PASSWORD).await?;
        tab.click_through("form[action='/signup'] button[type=submit]")
            .await?;
        tab.wait_for_path("/dashboard").await?;
        tab.expect_text("Hello, Ada").await?;
        tab.expect_text("Please confirm your email address").await?;

        let link = verification_path(&app, &email).await?;
        tab.goto(&link).await?;
        tab.expect_text("Your email address is confirmed").await?;

        tab.goto("/dashboard").await?;
        ensure!(
            !tab.text()
                .await
                .contains("Please confirm your email address"),
            "the dashboard still asks to confirm the email after verification"
        );
        tab.sign_out().await?;
        tab.goto("/dashboard").await?;
        tab.wait_for_path("/signin").await?;

        tab.sign_in(&email, PASSWORD).await?;
        tab.expect_text("Hello, Ada").await?;

        profile_and_public_page(&tab, &username, &email).await?;

        tab.sign_out().await
    })
    .await
}

/// The profile part of journey (1): add two skills and one experience at /profile, then check
/// the public page /u/{username} shows them (and not the email address).
async fn profile_and_public_page(tab: &Tab, username: &str, email: &str) -> Result<()> {
    tab.goto("/profile").await?;
    for (skill, level) in [("Rust", "4"), ("PostgreSQL", "3")] {
        tab.fill("#skill-name", skill).await?;
        tab.select("#skill-level", level).await?;
        tab.click_through("form[action='/profile/skills#skills'] button[type=submit]")
            .await
            .with_context(|| format!("add the skill {skill}"))?;
        tab.wait_for_path("/profile").await?;
        tab.wait_for(
            &format!(
                "[...document.querySelectorAll('#skills .skill-name')].some(e => e.textContent.trim() === {})",
                json!(skill)
            ),
            &format!("{skill} in the skills list"),
        )
        .await?;
    }

    tab.fill("#exp-new-title", "Analyst").await?;
    tab.fill("#exp-new-company", "Analytical Engines").await?;
    tab.fill("#exp-new-location", "London").await?;
    tab.type_date("#exp-new-start_date", "01152020", "2020-01-15")
        .await?;
    tab.click("#exp-new-is_current").await?;
    tab.fill("#exp-new-description", "Wrote the first published program.")
        .await?;
    tab.click_through("form[action='/profile/experiences#experiences'] button[type=submit]")
        .await
        .context("add the experience")?;
    tab.wait_for_path("/profile").await?;
    tab.wait_for(
        "[...document.querySelectorAll('#experiences .entry-title')].some(e => e.textContent.includes('Analyst') && e.textContent.includes('Analytical Engines'))",
        "the experience in the list",
    )
    .await?;

    tab.goto(&format!("/u/{username}")).await?;
    tab.expect_text("Ada Lovelace").await?;
    for needle in [
        "Rust",
        "PostgreSQL",
        "Analyst · Analytical Engines",
        "London",
    ] {
        tab.expect_text(needle)
            .await
            .context("the public profile")?;
    }
    let text = tab.text().await;
    ensure!(
        !text.contains(email),
        "the public profile shows the email address"
    );
    Ok(())
}

/// (2) Five wrong passwords lock the account and the sign-in page says when to try again.
async fn journey_lockout() -> Result<()> {
    let app = vertechie_server::testing::spawn().await;
    let email = register(&app, &unique("grace"), "Grace Hopper").await?;
    with_chrome(async |chrome| {
        let tab = chrome.tab(&app).await?;
        tab.goto("/signin").await?;
        for attempt in 1..=5 {
            tab.fill("#f-email", &email).await?;
            tab.fill("#f-password", "not the password").await?;
            tab.click_through("form[action='/signin'] button[type=submit]")
                .await
                .with_context(|| format!("attempt {attempt}"))?;
            tab.wait_for_path("/signin").await?;
            if attempt < 5 {
                ensure!(
                    !tab.text().await.contains("try again in"),
                    "locked already after {attempt} attempt(s)"
                );
            }
        }
        tab.expect_text("try again in").await?;
        // The right password is refused too while locked.
        tab.fill("#f-email", &email).await?;
        tab.fill("#f-password", PASSWORD).await?;
        tab.click_through("form[action='/signin'] button[type=submit]")
            .await?;
        tab.wait_for_path("/signin").await?;
        tab.expect_text("try again in").await
    })
    .await
}

/// (3) An admin deactivates a user at /admin/users; the user's next navigation lands on /signin
/// and signing in again is refused.
async fn journey_admin_deactivates() -> Result<()> {
    let app = vertechie_server::testing::spawn().await;
    let username = unique("mallory");
    let email = register(&app, &username, "Mallory Example").await?;
    let admin_email = "boss@example.com";
    vertechie_accounts::service::admin::create_admin(&app.state, admin_email, PASSWORD)
        .await
        .map_err(|e| anyhow!("create admin: {e:?}"))?;
    with_chrome(async |user_chrome| {
        let user = user_chrome.tab(&app).await?;
        user.sign_in(&email, PASSWORD).await?;

        with_chrome(async |admin_chrome| {
            let admin = admin_chrome.tab(&app).await?;
            admin.sign_in(admin_email, PASSWORD).await?;
            admin.goto("/admin/users").await?;
            admin.fill("#f-q", &username).await?;
            admin
                .click_through("form[action='/admin/users'] button[type=submit]")
                .await?;
            admin
                .click_through(&format!("button[aria-label='Deactivate @{username}']"))
                .await?;
            admin.wait_for_path("/admin/users").await?;
            admin
                .expect_text(&format!("@{username} is deactivated"))
                .await
        })
        .await?;

        user.goto("/dashboard").await?;
        user.wait_for_path("/signin").await?;
        user.fill("#f-email", &email).await?;
        user.fill("#f-password", PASSWORD).await?;
        user.click_through("form[action='/signin'] button[type=submit]")
            .await?;
        user.wait_for_path("/signin").await?;
        user.expect_text("This account has been disabled").await
    })
    .await
}

/// (4) Sign in with the keyboard only: Tab to the fields, type, Enter.
async fn journey_keyboard_signin() -> Result<()> {
    let app = vertechie_server::testing::spawn().await;
    let email = register(&app, &unique("alan"), "Alan Turing").await?;
    with_chrome(async |chrome| {
        let tab = chrome.tab(&app).await?;
        tab.goto("/signin").await?;
        let mut order = Vec::new();
        loop {
            tab.press("Tab").await?;
            let id = tab.active_id().await;
            if id == "f-email" {
                break;
            }
            order.push(id);
            ensure!(
                order.len() < 30,
                "30 Tabs did not reach the email field; focus went through {order:?}"
            );
        }
        tab.page
            .find_element("html")
            .await?
            .type_str(&email)
            .await?;
        tab.press("Tab").await?;
        let id = tab.active_id().await;
        ensure!(
            id == "f-password",
            "Tab from the email field went to {id:?}, not the password field"
        );
        // Keyboard focus is visible: an outline or a focus shadow on the field.
        let ring: String = tab
            .eval(
                "(() => { const s = getComputedStyle(document.activeElement); \
                 return s.outlineStyle + ' ' + s.outlineWidth + ' / ' + s.boxShadow; })()",
            )
            .await?;
        ensure!(
            !ring.starts_with("none") || !ring.ends_with("/ none"),
            "the focused password field shows no focus ring ({ring})"
        );
        tab.page
            .find_element("html")
            .await?
            .type_str(PASSWORD)
            .await?;
        tab.navigating("pressing Enter", tab.press("Enter")).await?;
        tab.wait_for_path("/dashboard").await?;
        tab.expect_text("Hello, Alan").await
    })
    .await
}

/// (5) The theme button switches to dark and the choice survives a reload.
async fn journey_theme_persists() -> Result<()> {
    let app = vertechie_server::testing::spawn().await;
    with_chrome(async |chrome| {
        let tab = chrome.tab(&app).await?;
        tab.goto("/").await?;
        let before: String = tab.eval("document.documentElement.dataset.theme").await?;
        ensure!(
            before != "dark",
            "a fresh browser starts dark ({before:?})"
        );
        tab.click("[data-theme-toggle]").await?;
        // With JS the toggle switches at once and writes the cookie; without it the form posts
        // to /theme, which sets the cookie and redirects back. Either way the cookie appears.
        tab.wait_for(
            "document.cookie.split('; ').includes('vt_theme=dark')",
            "the vt_theme=dark cookie",
        )
        .await?;
        tab.navigating("reload", async {
            tab.page.reload().await.context("reload")?;
            Ok(())
        })
        .await?;
        let after: String = tab.eval("document.documentElement.dataset.theme").await?;
        ensure!(
            after == "dark",
            "after reload data-theme is {after:?}, not \"dark\""
        );
        let bg: String = tab
            .eval("getComputedStyle(document.body).backgroundColor")
            .await?;
        let dark_bg = tab
            .eval::<bool>(
                "(() => { const m = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number); \
                 return (m[0] + m[1] + m[2]) / 3 < 100; })()",
            )
            .await?;
        ensure!(dark_bg, "dark theme but the body background is {bg}");
        Ok(())
    })
    .await
}

/// Screenshots of landing, dashboard and profile at three sizes, checked for horizontal overflow.
async fn journey_screenshots() -> Result<()> {
    let app = vertechie_server::testing::spawn().await;
    let username = unique("linus");
    let email = register(&app, &username, "Linus Example").await?;
    std::fs::create_dir_all(SCREENSHOT_DIR).context("create target/screenshots")?;
    with_chrome(async |chrome| {
        let tab = chrome.tab(&app).await?;
        let mut problems = Vec::new();
        let mut saved = Vec::new();

        for (w, h) in VIEWPORTS {
            tab.viewport(w, h).await?;
            tab.goto("/").await?;
            shoot(&tab, "landing", w, h, &mut saved, &mut problems).await?;
        }

        tab.viewport(1440, 900).await?;
        tab.sign_in(&email, PASSWORD).await?;
        for (page, path) in [("dashboard", "/dashboard"), ("profile", "/profile")] {
            for (w, h) in VIEWPORTS {
                tab.viewport(w, h).await?;
                tab.goto(path).await?;
                let at = tab.path().await;
                if !at.starts_with(path) {
                    problems.push(format!("{page} {w}x{h}: {path} went to {at}"));
                    continue;
                }
                if tab
                    .eval::<bool>("document.title.startsWith('Page not found')")
                    .await?
                {
                    problems.push(format!(
                        "{page} {w}x{h}: not done: {path} does not exist yet (404)"
                    ));
                    continue;
                }
                shoot(&tab, page, w, h, &mut saved, &mut problems).await?;
            }
        }
        println!("screenshots: {}", saved.join(", "));
        ensure!(problems.is_empty(), "{}", problems.join("\n    "));
        Ok(())
    })
    .await
}

/// Checks the page at the current viewport for horizontal overflow, then saves a viewport
/// screenshot (`{name}-{w}x{h}.png`) and a full-page one (`{name}-{w}x{h}-full.png`, taken with
/// the viewport stretched to the page height so fixed bars sit at the bottom).
async fn shoot(
    tab: &Tab,
    name: &str,
    width: u32,
    height: u32,
    saved: &mut Vec<String>,
    problems: &mut Vec<String>,
) -> Result<()> {
    let report: serde_json::Value = tab.eval(OVERFLOW_JS).await?;
    let scroll_width = report["scrollWidth"].as_f64().unwrap_or(0.0);
    let inner_width = report["innerWidth"].as_f64().unwrap_or(0.0);
    if scroll_width > inner_width || inner_width > f64::from(width) {
        problems.push(format!(
            "{name} {width}x{height}: document scrollWidth {scroll_width} > viewport {inner_width}"
        ));
    }
    if let Some(bad) = report["offenders"].as_array()
        && !bad.is_empty()
    {
        let list: Vec<String> = bad
            .iter()
            .map(|b| b.as_str().unwrap_or("?").to_owned())
            .collect();
        problems.push(format!(
            "{name} {width}x{height}: elements past the right edge: {}",
            list.join("; ")
        ));
    }
    let csp: Vec<String> = tab.eval("window.__vtCsp || []").await?;
    if !csp.is_empty() {
        // The pages must work under our own Content-Security-Policy (no inline styles or scripts).
        problems.push(format!(
            "{name} {width}x{height}: CSP violations: {}",
            csp.join("; ")
        ));
    }

    let png = || {
        ScreenshotParams::builder()
            .format(CaptureScreenshotFormat::Png)
            .build()
    };
    let file = format!("{name}-{width}x{height}.png");
    tab.page
        .save_screenshot(png(), Path::new(SCREENSHOT_DIR).join(&file))
        .await
        .with_context(|| format!("save {file}"))?;
    saved.push(file);

    let full: f64 = tab
        .eval("Math.max(document.documentElement.scrollHeight, window.innerHeight)")
        .await?;
    // Whole pixels; at least the viewport, at most a sane bound for a screenshot.
    let full = full.ceil().clamp(f64::from(height), 20_000.0) as u32;
    tab.viewport(width, full).await?;
    let file = format!("{name}-{width}x{height}-full.png");
    let res = tab
        .page
        .save_screenshot(png(), Path::new(SCREENSHOT_DIR).join(&file))
        .await
        .with_context(|| format!("save {file}"));
    tab.viewport(width, height).await?;
    res?;
    saved.push(file);
    Ok(())
}

/// Reports the page width and every visible element whose right edge is more than 1px past the
/// viewport, except those clipped by a scrolling/clipping ancestor that itself fits (a wide table
/// in `.table-wrap` scrolls inside its box and does not widen the page).
const OVERFLOW_JS: &str = r#"(() => {
  const vw = window.innerWidth;
  const clippedByFittingAncestor = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox !== 'visible') return a.getBoundingClientRect().right <= vw + 1;
    }
    return false;
  };
  const describe = (el) => {
    let d = el.tagName.toLowerCase();
    if (el.id) d += '#' + el.id;
    if (typeof el.className === 'string' && el.className.trim()) d += '.' + el.className.trim().split(/\s+/).join('.');
    const r = el.getBoundingClientRect();
    return d + ' (right ' + Math.round(r.right) + 'px, width ' + Math.round(r.width) + 'px)';
  };
  const offenders = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right <= vw + 1) continue;
    if (clippedByFittingAncestor(el)) continue;
    offenders.push(describe(el));
    if (offenders.length >= 15) break;
  }
  return { scrollWidth: document.documentElement.scrollWidth, innerWidth: vw, offenders };
})()"#;

/// (7) Hiring from both sides. A recruiter creates a company and posts a job with skills and a
/// screening question in the pages; a candidate finds it by search, sees how they match and
/// applies; the recruiter drags the card to "interview" on the kanban and submits a scorecard;
/// the candidate sees the new stage and has an email about it.
async fn journey_hiring() -> Result<()> {
    let app = vertechie_server::testing::spawn().await;
    let recruiter = register(&app, &unique("rhea"), "Rhea Recruiter").await?;
    // Creating a company and posting a job need a confirmed address.
    let link = verification_path(&app, &recruiter).await?;
    ensure!(
        app.get(&link.replace("/verify-email", "/api/v1/auth/verify-email"))
            .await
            .status
            == 200,
        "verify the recruiter's address"
    );
    let candidate_name = unique("cleo");
    let candidate = register(&app, &candidate_name, "Cleo Candidate").await?;
    // The candidate's skills (set-up through the API).
    let token = app
        .post(
            "/api/v1/auth/login",
            json!({"email": candidate, "password": PASSWORD}),
        )
        .await
        .data()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for (name, level) in [("Rust", 4), ("Docker", 3)] {
        let res = app
            .req(reqwest::Method::POST, "/api/v1/users/me/skills")
            .token(&token)
            .json(&json!({"name": name, "level": level}))
            .send()
            .await;
        ensure!(
            res.status == 201 || res.status == 200,
            "add skill: {}",
            res.text
        );
    }

    with_chrome(async |recruiter_chrome| {
        let r = recruiter_chrome.tab(&app).await?;
        r.sign_in(&recruiter, PASSWORD).await?;
        r.goto("/hiring").await?;
        r.click_through("a[href='/hiring/companies/new']").await?;
        r.fill("#f-name", "Kestrel Labs").await?;
        r.click_through("form[action='/hiring/companies/new'] button[type=submit]")
            .await?;
        r.expect_text("Kestrel Labs").await?;
        ensure!(
            r.path().await.starts_with("/hiring/companies/"),
            "after creating the company: {}",
            r.path().await
        );
        r.goto("/hiring").await?;
        r.click_through("a[href$='/jobs/new']").await?;
        r.fill("#f-title", "Rust Platform Engineer").await?;
        r.fill(
            "#f-description",
            "Build the platform our engineers deploy on.",
        )
        .await?;
        r.fill("#f-location", "Berlin").await?;
        r.select("#f-remote", "remote").await?;
        r.select("#f-employment_type", "full_time").await?;
        r.select("#f-experience_level", "mid").await?;
        r.select("#f-status", "open").await?;
        r.fill("#skill-0-name", "Rust").await?;
        r.fill("#skill-0-weight", "5").await?;
        r.click("#skill-0-required").await?;
        r.fill("#skill-1-name", "PostgreSQL").await?;
        r.fill("#skill-1-weight", "3").await?;
        r.fill("#question-0-text", "Can you work in the EU?").await?;
        r.select("#question-0-kind", "yes_no").await?;
        r.click("#question-0-required").await?;
        r.click_through("form.hiring-job-form button[type=submit]")
            .await?;
        let path = r.path().await;
        let job_id = path
            .strip_prefix("/hiring/jobs/")
            .and_then(|p| p.strip_suffix("/edit"))
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("after posting the job the page is {path}"))?;

        let application_id = with_chrome(async |candidate_chrome| {
            let c = candidate_chrome.tab(&app).await?;
            c.sign_in(&candidate, PASSWORD).await?;
            c.goto("/jobs").await?;
            c.fill("#f-q", "platform engineer").await?;
            c.click_through("form[action='/jobs'] button[type=submit]")
                .await?;
            c.expect_text("1 job").await?;
            c.click_through(&format!("a[href='/jobs/{job_id}']")).await?;
            c.expect_text("How you match").await?;
            let panel: String = c
                .eval("[...document.querySelectorAll('section')].find(s => s.innerText.includes('How you match')).innerText")
                .await?;
            ensure!(
                panel.contains("Rust") && panel.contains("PostgreSQL"),
                "the match panel names the matched and the missing skill: {}",
                excerpt(&panel)
            );
            c.click("form[action$='/apply#apply'] input[type=radio][value=yes]")
                .await?;
            c.click_through("form[action$='/apply#apply'] button[type=submit]")
                .await?;
            let path = c.path().await;
            let id = path
                .strip_prefix("/applications/")
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("after applying the page is {path}"))?;
            c.expect_text("Applied on").await?;
            Ok::<_, anyhow::Error>(id)
        })
        .await?;

        // The recruiter drags the card from "applied" to "interview".
        r.goto(&format!("/hiring/jobs/{job_id}/pipeline")).await?;
        let card = format!("[data-card][data-app-id='{application_id}']");
        r.wait_for(
            &format!("document.querySelector(\"[data-column][data-stage-name='applied'] {card}\")"),
            "the new card in the applied column",
        )
        .await?;
        r.eval::<bool>(&format!(
            "(() => {{ const card = document.querySelector(\"{card}\"); \
               const to = document.querySelector(\"[data-column][data-stage-name='interview'] [data-dropzone]\"); \
               const dt = new DataTransfer(); \
               card.dispatchEvent(new DragEvent('dragstart', {{bubbles: true, dataTransfer: dt}})); \
               to.dispatchEvent(new DragEvent('dragover', {{bubbles: true, cancelable: true, dataTransfer: dt}})); \
               to.dispatchEvent(new DragEvent('drop', {{bubbles: true, cancelable: true, dataTransfer: dt}})); \
               card.dispatchEvent(new DragEvent('dragend', {{bubbles: true, dataTransfer: dt}})); \
               return true; }})()"
        ))
        .await?;
        r.wait_for(
            &format!(
                "document.querySelector(\"[data-column][data-stage-name='interview'] {card}:not([aria-busy])\") \
                 && document.getElementById('kanban-status').textContent.includes('moved to interview')"
            ),
            "the card to land in interview and the move to be announced",
        )
        .await?;
        // The move was saved: a fresh load shows it there.
        r.goto(&format!("/hiring/jobs/{job_id}/pipeline")).await?;
        r.wait_for(
            &format!("document.querySelector(\"[data-column][data-stage-name='interview'] {card}\")"),
            "the card in interview after a reload",
        )
        .await?;

        // The scorecard, in the candidate drawer.
        r.click_through(&format!("{card} a.hiring-card-name")).await?;
        r.select("#criterion-0-rating", "4").await?;
        r.select("#criterion-1-rating", "3").await?;
        r.select("#f-recommendation", "strong_yes").await?;
        r.fill("#f-notes", "Clear thinking about failure modes.")
            .await?;
        r.click_through("form[action$='/scorecards#scorecards'] button[type=submit]")
            .await?;
        r.expect_text("Strong yes").await?;
        r.expect_text("Clear thinking about failure modes.").await?;

        // The candidate sees the new stage, and was mailed about it.
        with_chrome(async |candidate_chrome| {
            let c = candidate_chrome.tab(&app).await?;
            c.sign_in(&candidate, PASSWORD).await?;
            c.goto(&format!("/applications/{application_id}")).await?;
            c.expect_text("Moved from Applied to Interview").await
        })
        .await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mails = app.outbox(&candidate).await;
            if mails
                .iter()
                .any(|m| m.body_text.contains("moved to the interview stage"))
            {
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "no mail to {candidate} about the interview stage; subjects: {:?}",
                mails.iter().map(|m| m.subject.clone()).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Messaging: two people, each in their own browser.

/// A 1×1 PNG for the attachment upload.
const PIXEL_PNG: [u8; 70] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0x60, 0xf8, 0x5f,
    0x0f, 0x00, 0x02, 0x87, 0x01, 0x80, 0xeb, 0x47, 0xba, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Registers through the API and returns (email, user id).
async fn register_with_id(
    app: &TestApp,
    username: &str,
    full_name: &str,
) -> Result<(String, String)> {
    let email = format!("{username}@example.com");
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": email, "username": username, "password": PASSWORD, "full_name": full_name}),
        )
        .await;
    ensure!(
        res.status == 201,
        "register {username}: {} {}",
        res.status,
        res.text
    );
    let id = res.data()["user"]["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no user id for {username}"))?
        .to_owned();
    Ok((email, id))
}

impl Tab {
    /// Waits until the page's realtime connection is open.
    async fn wait_live(&self) -> Result<()> {
        self.wait_for(
            "document.documentElement.dataset.realtime === 'open'",
            "the realtime connection",
        )
        .await
    }

    /// Waits until a message containing `text` is in the conversation.
    async fn wait_message(&self, text: &str, what: &str) -> Result<()> {
        self.wait_for(
            &format!(
                "[...document.querySelectorAll('[data-messages] .msg')].some((m) => m.textContent.includes({}))",
                json!(text)
            ),
            what,
        )
        .await
    }

    /// The id of the (first) message containing `text`.
    async fn message_id(&self, text: &str) -> Result<String> {
        let id: String = self
            .eval(&format!(
                "[...document.querySelectorAll('[data-messages] .msg')]\
                 .find((m) => m.textContent.includes({}))?.dataset.id || ''",
                json!(text)
            ))
            .await?;
        ensure!(
            !id.is_empty(),
            "no message with {text:?} at {}",
            self.path().await
        );
        Ok(id)
    }

    /// Types into the composer and presses Enter.
    async fn say(&self, text: &str) -> Result<()> {
        self.fill("#composer-body", text).await?;
        self.press("Enter").await
    }

    async fn no_csp_violations(&self, who: &str) -> Result<()> {
        let csp: Vec<String> = self.eval("window.__vtCsp || []").await?;
        ensure!(
            csp.is_empty(),
            "{who}: Content-Security-Policy violations: {}",
            csp.join("; ")
        );
        Ok(())
    }
}

/// (8) Ada creates a public room, Bob joins it; Ada's message reaches Bob live, Bob's typing
/// shows on Ada's screen, a mention raises Bob's bell; Ada messages Bob from his profile and sees
/// "Seen" once Bob opens the conversation; an image uploaded with progress reaches Bob.
async fn journey_messaging() -> Result<()> {
    let app = vertechie_server::testing::spawn().await;
    let ada_name = unique("ada");
    let bob_name = unique("bob");
    let (ada_email, ada_id) = register_with_id(&app, &ada_name, "Ada Lovelace").await?;
    let (bob_email, bob_id) = register_with_id(&app, &bob_name, "Bob Babbage").await?;
    let files = tempfile::tempdir()?;
    let png = files.path().join("diagram.png");
    std::fs::write(&png, PIXEL_PNG)?;

    with_chrome(async |ada_chrome| {
        let a = ada_chrome.tab(&app).await?;
        a.sign_in(&ada_email, PASSWORD).await?;
        a.goto("/messages").await?;
        a.expect_text("Talk with your team").await?;
        a.click_through(".chat-main a[href='/messages/rooms/new']")
            .await?;
        a.fill("#f-name", "Launch team").await?;
        a.fill("#f-topic", "Shipping v1").await?;
        a.click_through("form[action='/messages/rooms/new'] button[type=submit]")
            .await?;
        let path = a.path().await;
        let room = path
            .strip_prefix("/messages/rooms/")
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("after creating the room the page is {path}"))?;
        a.expect_text("Launch team is created").await?;
        a.wait_live().await?;

        with_chrome(async |bob_chrome| {
            let b = bob_chrome.tab(&app).await?;
            b.sign_in(&bob_email, PASSWORD).await?;
            b.goto("/messages/rooms").await?;
            b.click_through(&format!(
                "form[action='/messages/rooms/{room}/join'] button[type=submit]"
            ))
            .await?;
            b.wait_for_path(&format!("/messages/rooms/{room}")).await?;
            b.expect_text("You joined Launch team").await?;
            b.wait_live().await?;

            // Ada's message reaches Bob without a reload.
            b.eval::<bool>("window.__vtStay = true").await?;
            a.say("Hello from Ada").await?;
            a.wait_message("Hello from Ada", "Ada's own message").await?;
            ensure!(
                a.eval::<bool>("document.querySelector('#composer-body').value === ''")
                    .await?,
                "the composer was not emptied after sending"
            );
            b.wait_message("Hello from Ada", "Ada's message to reach Bob live")
                .await?;
            ensure!(
                b.eval::<bool>("window.__vtStay === true").await?,
                "Bob's page reloaded instead of receiving the message live"
            );

            // Bob types: Ada sees it; Bob sends: the indicator goes and the message comes.
            b.fill("#composer-body", "Thinking about it").await?;
            a.wait_for(
                "document.querySelector('[data-typing]').textContent.includes('Bob Babbage is typing')",
                "Ada to see that Bob is typing",
            )
            .await?;
            b.press("Enter").await?;
            a.wait_message("Thinking about it", "Bob's message to reach Ada")
                .await?;
            a.wait_for(
                "document.querySelector('[data-typing]').textContent === ''",
                "the typing indicator to go",
            )
            .await?;

            // Bob reacts to Ada's message with the picker; Ada sees it; Bob takes it back.
            let hello = b.message_id("Hello from Ada").await?;
            b.click(&format!("#m-{hello} .reaction-picker summary"))
                .await?;
            b.click(&format!("#m-{hello} .reaction-menu button[value='🎉']"))
                .await?;
            let party = format!(
                "(() => {{ const r = document.querySelector('#m-{hello} .reaction[value=\"🎉\"]'); \
                 return r && r.textContent.includes('1'); }})()"
            );
            a.wait_for(&party, "Bob's reaction on Ada's page").await?;
            b.wait_for(
                &format!(
                    "document.querySelector('#m-{hello} .reaction[value=\"🎉\"]')\
                     ?.getAttribute('aria-pressed') === 'true'"
                ),
                "Bob's own reaction pressed",
            )
            .await?;
            b.click(&format!("#m-{hello} .reaction[value='🎉']")).await?;
            a.wait_for(
                &format!("!document.querySelector('#m-{hello} .reaction')"),
                "Bob's reaction to go from Ada's page",
            )
            .await?;

            // Ada replies to Bob, edits the reply in place, and deletes it.
            let thinking = a.message_id("Thinking about it").await?;
            a.click(&format!("#m-{thinking} [data-reply-to]")).await?;
            a.wait_for(
                "!document.querySelector('[data-reply]').hidden && \
                 document.querySelector('[data-reply]').textContent.includes('Bob Babbage')",
                "the composer to show the reply",
            )
            .await?;
            a.say("Take your time").await?;
            b.wait_for(
                "[...document.querySelectorAll('.msg')].some((m) => m.textContent.includes('Take your time') \
                 && m.querySelector('.msg-quote')?.textContent.includes('Thinking about it'))",
                "Ada's reply with its quote on Bob's page",
            )
            .await?;
            let reply = a.message_id("Take your time").await?;
            a.click(&format!("#m-{reply} [data-edit]")).await?;
            a.wait_for(
                &format!("!!document.querySelector('#m-{reply} [data-inline-edit] textarea')"),
                "the editor",
            )
            .await?;
            a.find(&format!("#m-{reply} [data-inline-edit] textarea"))
                .await?
                .focus()
                .await?;
            a.press("End").await?;
            a.page
                .find_element("html")
                .await?
                .type_str(", really")
                .await?;
            a.press("Enter").await?;
            b.wait_for(
                &format!(
                    "(() => {{ const m = document.querySelector('#m-{reply}'); return m && \
                     m.textContent.includes('Take your time, really') && m.textContent.includes('(edited)'); }})()"
                ),
                "the edit on Bob's page",
            )
            .await?;
            a.eval::<bool>("(window.confirm = () => true, true)").await?;
            a.click(&format!("#m-{reply} [data-delete] button")).await?;
            b.wait_for(
                &format!(
                    "document.querySelector('#m-{reply}')?.textContent.includes('This message was deleted.')"
                ),
                "the tombstone on Bob's page",
            )
            .await?;

            // A mention raises Bob's bell; the dropdown lists it.
            ensure!(
                b.eval::<bool>("document.querySelector('[data-bell-count]').hidden")
                    .await?,
                "Bob's bell shows a count before any notification"
            );
            a.say(&format!("@{bob_name} can you review?")).await?;
            b.wait_for(
                "(() => { const c = document.querySelector('[data-bell-count]'); \
                 return !c.hidden && c.textContent === '1'; })()",
                "Bob's bell count to rise to 1",
            )
            .await?;
            b.click("[data-bell-toggle]").await?;
            b.wait_for(
                "(() => { const p = document.querySelector('#bell-panel'); \
                 return p && !p.hidden && p.textContent.includes('Ada Lovelace mentioned you'); })()",
                "the bell's dropdown to list the mention",
            )
            .await?;
            b.press("Escape").await?;

            // Ada messages Bob from his profile; Bob opens it; Ada sees "Seen".
            a.goto(&format!("/u/{bob_name}")).await?;
            a.click_through(&format!("a[href='/messages/direct/{bob_id}']"))
                .await?;
            a.wait_for_path(&format!("/messages/direct/{bob_id}")).await?;
            a.wait_live().await?;
            a.say("A private hello").await?;
            a.wait_message("A private hello", "Ada's direct message").await?;
            ensure!(
                a.eval::<bool>("!document.querySelector('[data-seen]')").await?,
                "\"Seen\" before Bob opened the conversation"
            );
            b.goto(&format!("/messages/direct/{ada_id}")).await?;
            b.wait_message("A private hello", "the direct message on Bob's page")
                .await?;
            a.wait_for(
                "!!document.querySelector('[data-seen]')",
                "Ada to see that Bob has seen the message",
            )
            .await?;
            b.wait_live().await?;

            // An image: uploaded with a progress bar, sent, shown inline to both.
            let input = a.find("[data-file-input]").await?;
            a.page
                .execute(
                    chromiumoxide::cdp::browser_protocol::dom::SetFileInputFilesParams::builder()
                        .files(vec![png.display().to_string()])
                        .backend_node_id(input.backend_node_id)
                        .build()
                        .map_err(|e| anyhow!("file input parameters: {e}"))?,
                )
                .await
                .context("choose the file")?;
            a.wait_for(
                "!!document.querySelector('[data-upload][data-file-id]')",
                "the upload to finish",
            )
            .await?;
            a.say("The diagram").await?;
            let image_loaded = "[...document.querySelectorAll('.msg-attachments img')]\
                 .some((i) => i.complete && i.naturalWidth > 0)";
            a.wait_for(image_loaded, "the image in Ada's conversation").await?;
            b.wait_for(image_loaded, "the image to reach Bob").await?;
            ensure!(
                a.eval::<bool>("!document.querySelector('[data-upload]')").await?,
                "the upload chip stayed after sending"
            );

            // Bob's connection drops: "Reconnecting…"; what Ada sent meanwhile arrives once back.
            // (`emulateNetworkConditions` is deprecated for `…ByRule` + `overrideNetworkState`,
            // which Debian's Chromium may not have yet; the old command still takes sockets down.)
            #[allow(deprecated)]
            use chromiumoxide::cdp::browser_protocol::network::EmulateNetworkConditionsParams as Offline;
            use chromiumoxide::cdp::browser_protocol::network::EnableParams;
            b.eval::<bool>("window.__vtDm = true").await?;
            b.page.execute(EnableParams::default()).await?;
            b.page
                .execute(
                    #[allow(deprecated)]
                    Offline::new(true, 0.0, -1.0, -1.0),
                )
                .await
                .context("take Bob offline")?;
            b.wait_for(
                "(() => { const x = document.querySelector('[data-realtime-banner]'); \
                 return document.documentElement.dataset.realtime !== 'open' && x && !x.hidden \
                 && x.textContent.includes('Reconnecting'); })()",
                "the Reconnecting banner on Bob's page",
            )
            .await?;
            a.say("Sent while you were away").await?;
            a.wait_message("Sent while you were away", "Ada's message while Bob is offline")
                .await?;
            b.page
                .execute(
                    #[allow(deprecated)]
                    Offline::new(false, 0.0, -1.0, -1.0),
                )
                .await
                .context("bring Bob back online")?;
            b.wait_live().await?;
            b.wait_message(
                "Sent while you were away",
                "the missed message after reconnecting",
            )
            .await?;
            ensure!(
                b.eval::<bool>("document.querySelector('[data-realtime-banner]').hidden")
                    .await?,
                "the Reconnecting banner stayed after reconnecting"
            );
            ensure!(
                b.eval::<bool>("window.__vtDm === true").await?,
                "Bob's page reloaded instead of catching up"
            );

            // Scrolling up loads older messages: 60 more in the room, Bob reads from the top.
            let token = app
                .post(
                    "/api/v1/auth/login",
                    json!({"email": ada_email, "password": PASSWORD}),
                )
                .await
                .data()["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            for i in 0..60 {
                app.req(
                    reqwest::Method::POST,
                    &format!("/api/v1/chat/rooms/{room}/messages"),
                )
                .token(&token)
                .json(&json!({"body": format!("Status update {i:02}")}))
                .send()
                .await
                .expect(201);
            }
            b.goto(&format!("/messages/rooms/{room}")).await?;
            b.wait_message("Status update 59", "the newest message").await?;
            ensure!(
                b.eval::<bool>("!document.body.innerText.includes('Hello from Ada')")
                    .await?,
                "the first page already holds the oldest message"
            );
            b.wait_for(
                "(() => { const s = document.querySelector('[data-chat-scroll]'); \
                 s.scrollTop = -s.scrollHeight; \
                 return document.body.innerText.includes('Hello from Ada') \
                 && !!document.querySelector('[data-start]'); })()",
                "older messages to load on scrolling up",
            )
            .await?;
            let shown: u32 = b
                .eval("document.querySelectorAll('[data-messages] .msg').length")
                .await?;
            ensure!(shown == 64, "after scrolling up {shown} messages, not 64");

            // Ada renames the room in its settings, reached from the room's header.
            a.goto(&format!("/messages/rooms/{room}")).await?;
            a.click_through(&format!(
                ".chat-head a[href='/messages/rooms/{room}/settings']"
            ))
            .await?;
            a.fill("#f-name", "Launch crew").await?;
            a.click_through("[data-room-settings] button[type=submit]")
                .await?;
            a.wait_for_path(&format!("/messages/rooms/{room}/settings"))
                .await?;
            a.expect_text("now called Launch crew").await?;

            // Send later: the picker takes local time; the message waits on the scheduled page.
            a.goto(&format!("/messages/rooms/{room}")).await?;
            a.wait_live().await?;
            a.eval::<bool>(
                "(() => { const d = new Date(Date.now() + 3 * 3600e3); \
                 const p = (n) => String(n).padStart(2, '0'); \
                 document.querySelector('[data-send-at]').value = \
                 `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`; \
                 return true; })()",
            )
            .await?;
            a.say("See you in three hours").await?;
            a.wait_for(
                "document.querySelector('[data-scheduled-notice]')?.textContent.includes('Scheduled for')",
                "the scheduled notice",
            )
            .await?;
            ensure!(
                a.eval::<bool>("!document.body.innerText.includes('See you in three hours')")
                    .await?,
                "the scheduled message was posted at once"
            );
            a.goto("/messages/scheduled").await?;
            a.expect_text("See you in three hours").await?;

            // On a phone the bottom bar reaches Messages.
            b.viewport(360, 740).await?;
            b.goto("/dashboard").await?;
            ensure!(
                b.eval::<bool>(
                    "(() => { const l = document.querySelector('.bottomnav a[href=\"/messages\"]'); \
                     return !!l && l.getBoundingClientRect().width > 0; })()"
                )
                .await?,
                "no Messages entry in the phone's bottom bar"
            );
            b.viewport(1440, 900).await?;
            let thinking_thread = format!("/messages/messages/{thinking}/thread");

            a.no_csp_violations("Ada").await?;
            b.no_csp_violations("Bob").await?;

            // The messaging pages at each size: no horizontal overflow, no CSP violation.
            std::fs::create_dir_all(SCREENSHOT_DIR).context("create target/screenshots")?;
            let (mut saved, mut problems) = (Vec::new(), Vec::new());
            for (tab, name, path) in [
                (&a, "messages-room", format!("/messages/rooms/{room}")),
                (&a, "messages-direct", format!("/messages/direct/{bob_id}")),
                (&b, "messages-rooms", "/messages/rooms".to_owned()),
                (&b, "notifications", "/notifications".to_owned()),
                (&b, "notification-settings", "/settings/notifications".to_owned()),
                (&a, "messages-room-settings", format!("/messages/rooms/{room}/settings")),
                (&a, "messages-scheduled", "/messages/scheduled".to_owned()),
                (&b, "messages-thread", thinking_thread.clone()),
            ] {
                for (w, h) in VIEWPORTS {
                    tab.viewport(w, h).await?;
                    tab.goto(&path).await?;
                    shoot(tab, name, w, h, &mut saved, &mut problems).await?;
                }
                tab.viewport(1440, 900).await?;
            }
            println!("screenshots: {}", saved.join(", "));
            ensure!(problems.is_empty(), "{}", problems.join("\n    "));
            Ok(())
        })
        .await
    })
    .await
}
