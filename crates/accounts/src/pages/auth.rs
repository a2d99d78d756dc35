//! Sign in, sign up, sign out, forgotten and reset passwords, email verification.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use vertechie_kernel::middleware::Client;
use vertechie_kernel::{AppState, CurrentUser};
use vertechie_web::{
    CsrfForm, FieldErrors, Page, PageCtx, SignedIn, redirect_with_flash, render, safe_next,
    set_session_cookie,
};

use super::{form_errors, is_form_error};
use crate::service::auth::{self as svc, LoginInput, RegisterInput, ResetConfirmInput};

/// The kernel's [`Client`] marked as a browser (its session also gets a cookie secret).
pub struct BrowserClient(pub crate::service::ClientInfo);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for BrowserClient {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Ok(client) = Client::from_request_parts(parts, state).await;
        Ok(BrowserClient(crate::service::ClientInfo {
            browser: true,
            ..client.into()
        }))
    }
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage<'a> {
    ctx: &'a PageCtx,
    email: String,
    next: String,
    errors: FieldErrors,
}

pub async fn signin_form(Page(ctx): Page, Query(q): Query<NextQuery>) -> Response {
    if ctx.signed_in() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    render(
        StatusCode::OK,
        &SigninPage {
            ctx: &ctx,
            email: String::new(),
            next: safe_next(q.next.as_deref()),
            errors: FieldErrors::default(),
        },
    )
}

#[derive(Deserialize)]
pub struct SigninForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn signin(
    State(state): State<AppState>,
    Page(ctx): Page,
    BrowserClient(client): BrowserClient,
    CsrfForm(f): CsrfForm<SigninForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    match svc::login(
        &state,
        LoginInput {
            email: f.email.clone(),
            password: f.password,
        },
        &client,
    )
    .await
    {
        Ok(tokens) => {
            let name = crate::people::display_name(
                tokens.user.full_name.as_deref(),
                &tokens.user.username,
            );
            let mut res = redirect_with_flash(&next, "success", &format!("Welcome back, {name}."));
            set_session_cookie(&state, &mut res, tokens.browser_cookie.as_deref());
            res
        }
        Err(err) if is_form_error(&err) => {
            let errors = if err.details.is_empty() {
                FieldErrors::form_error(err.message.clone())
            } else {
                form_errors(&err)
            };
            render(
                err.status,
                &SigninPage {
                    ctx: &ctx,
                    email: f.email,
                    next,
                    errors,
                },
            )
        }
        Err(err) => ctx.fail(err),
    }
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage<'a> {
    ctx: &'a PageCtx,
    form: SignupForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    password: String,
}

pub async fn signup_form(Page(ctx): Page) -> Response {
    if ctx.signed_in() {
        return Redirect::to("/dashboard").into_response();
    }
    render(
        StatusCode::OK,
        &SignupPage {
            ctx: &ctx,
            form: SignupForm::default(),
            errors: FieldErrors::default(),
        },
    )
}

pub async fn signup(
    State(state): State<AppState>,
    Page(ctx): Page,
    BrowserClient(client): BrowserClient,
    CsrfForm(f): CsrfForm<SignupForm>,
) -> Response {
    let input = RegisterInput {
        email: f.email.clone(),
        username: f.username.clone(),
        password: f.password.clone(),
        full_name: Some(f.full_name.clone()).filter(|s| !s.trim().is_empty()),
    };
    match svc::register(&state, input, &client).await {
        Ok(tokens) => {
            let msg = format!(
                "Welcome to VerTechie! We sent a confirmation link to {}.",
                tokens.user.email
            );
            let mut res = redirect_with_flash("/dashboard", "success", &msg);
            set_session_cookie(&state, &mut res, tokens.browser_cookie.as_deref());
            res
        }
        Err(err) if is_form_error(&err) => {
            let errors = form_errors(&err);
            render(
                err.status,
                &SignupPage {
                    ctx: &ctx,
                    form: SignupForm {
                        password: String::new(),
                        ..f
                    },
                    errors,
                },
            )
        }
        Err(err) => ctx.fail(err),
    }
}

#[derive(Deserialize)]
pub struct EmptyForm {}

pub async fn signout(
    State(state): State<AppState>,
    Page(ctx): Page,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Response {
    if let Some(viewer) = &ctx.user
        && let Err(err) = svc::logout(&state, viewer.current.id, viewer.current.session_id).await
    {
        return ctx.fail(err);
    }
    let mut res = redirect_with_flash("/", "info", "You are signed out.");
    set_session_cookie(&state, &mut res, None);
    res
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage<'a> {
    ctx: &'a PageCtx,
    email: String,
    sent: bool,
    errors: FieldErrors,
}

pub async fn forgot_form(Page(ctx): Page) -> Response {
    render(
        StatusCode::OK,
        &ForgotPage {
            ctx: &ctx,
            email: String::new(),
            sent: false,
            errors: FieldErrors::default(),
        },
    )
}

#[derive(Deserialize)]
pub struct ForgotForm {
    email: String,
}

pub async fn forgot(
    State(state): State<AppState>,
    Page(ctx): Page,
    CsrfForm(f): CsrfForm<ForgotForm>,
) -> Response {
    if f.email.trim().is_empty() {
        let errors = FieldErrors::field("email", "Enter the email address of your account");
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ForgotPage {
                ctx: &ctx,
                email: f.email,
                sent: false,
                errors,
            },
        );
    }
    match svc::request_password_reset(&state, &f.email).await {
        Ok(()) => render(
            StatusCode::OK,
            &ForgotPage {
                ctx: &ctx,
                email: f.email,
                sent: true,
                errors: FieldErrors::default(),
            },
        ),
        Err(err) => ctx.fail(err),
    }
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage<'a> {
    ctx: &'a PageCtx,
    token: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

pub async fn reset_form(Page(ctx): Page, Query(q): Query<TokenQuery>) -> Response {
    let token = q.token.unwrap_or_default();
    let errors = if token.is_empty() {
        FieldErrors::form_error("This link is incomplete. Ask for a new one.")
    } else {
        FieldErrors::default()
    };
    render(
        StatusCode::OK,
        &ResetPage {
            ctx: &ctx,
            token,
            errors,
        },
    )
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: String,
    new_password: String,
}

pub async fn reset(
    State(state): State<AppState>,
    Page(ctx): Page,
    CsrfForm(f): CsrfForm<ResetForm>,
) -> Response {
    match svc::confirm_password_reset(
        &state,
        ResetConfirmInput {
            token: f.token.clone(),
            new_password: f.new_password,
        },
    )
    .await
    {
        Ok(()) => {
            let mut res = redirect_with_flash(
                "/signin",
                "success",
                "Your password is changed. Sign in with the new one.",
            );
            set_session_cookie(&state, &mut res, None);
            res
        }
        Err(err) if is_form_error(&err) => render(
            err.status,
            &ResetPage {
                ctx: &ctx,
                token: f.token,
                errors: form_errors(&err),
            },
        ),
        Err(err) => ctx.fail(err),
    }
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage<'a> {
    ctx: &'a PageCtx,
    ok: bool,
    message: String,
}

pub async fn verify(
    State(state): State<AppState>,
    Page(ctx): Page,
    Query(q): Query<TokenQuery>,
) -> Response {
    let token = q.token.unwrap_or_default();
    match svc::verify_email(&state, &token).await {
        Ok(_) => render(
            StatusCode::OK,
            &VerifyPage {
                ctx: &ctx,
                ok: true,
                message: "Your email address is confirmed. Thank you!".into(),
            },
        ),
        Err(err) if is_form_error(&err) => render(
            err.status,
            &VerifyPage {
                ctx: &ctx,
                ok: false,
                message: err.message.clone(),
            },
        ),
        Err(err) => ctx.fail(err),
    }
}

pub async fn resend(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Response {
    let CurrentUser { id, .. } = user;
    match svc::resend_verification(&state, id).await {
        Ok(()) => redirect_with_flash(
            "/dashboard",
            "success",
            "We sent you a new confirmation link.",
        ),
        Err(err) if err.code == "ALREADY_VERIFIED" => redirect_with_flash(
            "/dashboard",
            "info",
            "Your email address is already confirmed.",
        ),
        Err(err) => ctx.fail(err),
    }
}
