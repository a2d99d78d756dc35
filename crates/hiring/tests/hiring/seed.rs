#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The hiring demo seed: companies, open jobs that search finds, applications with a stored
//! match spread over the pipeline; a second run adds nothing; impossible requests are refused.

use vertechie_accounts::service::seed as accounts_seed;
use vertechie_hiring::service::seed::{demo_slug, seed_demo};
use vertechie_server::testing::spawn;

#[tokio::test]
async fn seeds_companies_jobs_and_applications_once() {
    let app = spawn().await;
    let state = &app.state;
    accounts_seed::seed_demo(state, 60, "demo password 1")
        .await
        .unwrap();

    // Not enough users to own 61 companies, or to apply 40 times to 1 job after 30 owners.
    let err = seed_demo(state, 61, 10, 0, 60).await.unwrap_err();
    assert_eq!(err.details[0].field, "companies");
    let err = seed_demo(state, 30, 1, 40, 60).await.unwrap_err();
    assert_eq!(err.details[0].field, "applications");

    let report = seed_demo(state, 5, 40, 120, 60).await.unwrap();
    assert_eq!(
        (report.companies, report.jobs, report.applications),
        (5, 40, 120)
    );
    let res = app.get("/api/v1/jobs?limit=1").await;
    res.expect(200);
    assert_eq!(res.data()["pagination"]["total"], 40);
    // Full-text search and the skill filter see the seeded jobs.
    let res = app.get("/api/v1/jobs?q=backend&limit=100").await;
    let backend = res.data()["pagination"]["total"].as_u64().unwrap();
    assert!(backend > 0 && backend < 40, "{backend}");
    for j in res.data()["items"].as_array().unwrap() {
        assert!(j["title"].as_str().unwrap().contains("Backend"), "{j}");
    }
    let res = app.get("/api/v1/companies?q=Vector").await;
    res.expect(200);
    let names: Vec<&str> = res.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    assert_eq!(names, [demo_slug(1)]);
    // Every application is one per user and job, in a real stage, with its match explained.
    let db = &state.db;
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n, COUNT(DISTINCT job_id) AS jobs, MIN(match_score) AS lo, \
             MAX(match_score) AS hi FROM applications"
                .to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 120);
    assert_eq!(row.try_get::<i64>("", "jobs").unwrap(), 40);
    let (lo, hi) = (
        row.try_get::<i32>("", "lo").unwrap(),
        row.try_get::<i32>("", "hi").unwrap(),
    );
    assert!(lo < hi && hi <= 100, "{lo}..{hi}");
    // A second run adds nothing; a bigger one only the difference.
    let again = seed_demo(state, 5, 40, 120, 60).await.unwrap();
    assert_eq!((again.companies, again.jobs, again.applications), (0, 0, 0));
    let more = seed_demo(state, 6, 50, 130, 60).await.unwrap();
    assert_eq!((more.companies, more.jobs, more.applications), (1, 10, 10));
}
