//! Finishing the generated OpenAPI document: the error envelope and the closed catalogue of
//! error codes become components, and every operation documents the error responses its shape
//! implies (sign-in → 401, and 403 `CSRF_FAILED` on writes; path parameters → 400 `INVALID_PATH`
//! and 404; query parameters → 400 `INVALID_QUERY`; a body → 400, 413, 415, and 422 for JSON;
//! every operation → 429, 500, 503), each with the envelope as its schema. Responses written in
//! an operation's `#[utoipa::path]` keep their description and get the envelope schema.
//! Responses that return a resource (or a page of them) get OpenAPI `links` to the operations on
//! that resource's path, so clients and API fuzzers can follow created ids.

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;
use vertechie_kernel::error::ERROR_CODES;

const ENVELOPE_REF: &str = "#/components/schemas/ErrorEnvelope";
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The document with the error components and the implied error responses added. It stays
/// JSON: utoipa's typed document cannot read back every schema it writes (a field of any type).
pub fn finish(doc: &OpenApi) -> Value {
    let mut value = match serde_json::to_value(doc) {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "could not serialise the OpenAPI document");
            return Value::Null;
        }
    };
    add_error_components(&mut value);
    if let Some(paths) = value.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for method in METHODS {
                if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                    add_error_responses(method, op);
                }
            }
        }
    }
    add_links(&mut value);
    value
}

/// Operations whose results are resources under another path than their own.
const RESULTS_ELSEWHERE: &[(&str, &str, &str)] = &[
    ("post", "/api/v1/jobs/{id}/apply", "/api/v1/applications"),
    (
        "get",
        "/api/v1/jobs/{id}/applications",
        "/api/v1/applications",
    ),
    (
        "get",
        "/api/v1/users/me/applications",
        "/api/v1/applications",
    ),
    (
        "post",
        "/api/v1/chat/rooms/{id}/messages",
        "/api/v1/chat/messages",
    ),
    (
        "get",
        "/api/v1/chat/rooms/{id}/messages",
        "/api/v1/chat/messages",
    ),
    (
        "post",
        "/api/v1/chat/direct/{user_id}/messages",
        "/api/v1/chat/messages",
    ),
];

/// Follows `$ref`s to the schema they name.
fn deref<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..8 {
        match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| doc.pointer(p))
        {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}

fn has_id(doc: &Value, schema: &Value) -> bool {
    deref(doc, schema)
        .get("properties")
        .is_some_and(|p| p.get("id").is_some())
}

/// Where the id of the resource a success response returns is: `/data/id`, the first item of a
/// page (`/data/items/0/id`) or of a list (`/data/0/id`).
fn id_pointer(doc: &Value, response: &Value) -> Option<&'static str> {
    let schema = response.pointer("/content/application~1json/schema")?;
    let data = deref(doc, deref(doc, schema).pointer("/properties/data")?);
    if has_id(doc, data) {
        return Some("/data/id");
    }
    if let Some(items) = deref(doc, data).pointer("/properties/items/items")
        && has_id(doc, items)
    {
        return Some("/data/items/0/id");
    }
    if let Some(items) = data.get("items")
        && has_id(doc, items)
    {
        return Some("/data/0/id");
    }
    None
}

/// The `{name}`s of a path, in order.
fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// Adds `links` from each response returning a resource to the operations on its path: the
/// resource's id fills the path parameter after the collection, the source's own path
/// parameters fill the same names before it.
fn add_links(doc: &mut Value) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return;
    };
    let operations: Vec<(String, String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS.iter().filter_map(move |m| {
                let id = item.get(*m)?.get("operationId")?.as_str()?;
                Some((path.clone(), (*m).to_owned(), id.to_owned()))
            })
        })
        .collect();
    let mut links = Vec::new();
    for (path, method, _) in &operations {
        let base = RESULTS_ELSEWHERE
            .iter()
            .find(|(m, p, _)| m == method && p == path)
            .map(|(_, _, base)| (*base).to_owned())
            .or_else(|| (!path.ends_with('}')).then(|| path.clone()));
        let Some(base) = base else { continue };
        let Some(responses) = doc
            .pointer(&format!(
                "/paths/{}/{method}/responses",
                path.replace('/', "~1")
            ))
            .and_then(Value::as_object)
        else {
            continue;
        };
        let source_params = path_params(path);
        for (status, response) in responses {
            if !matches!(status.as_str(), "200" | "201") {
                continue;
            }
            let Some(pointer) = id_pointer(doc, response) else {
                continue;
            };
            let prefix = format!("{base}/{{");
            let mut out = Map::new();
            for (target, _, operation_id) in &operations {
                let Some(rest) = target.strip_prefix(&prefix) else {
                    continue;
                };
                // Only identifiers: `{emoji}` under a message is not the message's id.
                let Some(param) = rest
                    .split('}')
                    .next()
                    .filter(|p| *p == "id" || p.ends_with("_id"))
                else {
                    continue;
                };
                let mut parameters = Map::new();
                parameters.insert(param.to_owned(), json!(format!("$response.body#{pointer}")));
                for p in path_params(&base) {
                    if source_params.contains(&p) {
                        parameters.insert(p.to_owned(), json!(format!("$request.path.{p}")));
                    }
                }
                out.insert(
                    operation_id.clone(),
                    json!({"operationId": operation_id, "parameters": parameters}),
                );
            }
            if !out.is_empty() {
                links.push((path.clone(), method.clone(), status.clone(), out));
            }
        }
    }
    for (path, method, status, out) in links {
        let at = format!(
            "/paths/{}/{method}/responses/{status}",
            path.replace('/', "~1")
        );
        if let Some(response) = doc.pointer_mut(&at).and_then(Value::as_object_mut) {
            response.insert("links".into(), Value::Object(out));
        }
    }
}

fn envelope_content() -> Value {
    json!({"application/json": {"schema": {"$ref": ENVELOPE_REF}}})
}

fn retry_after_header() -> Value {
    json!({"Retry-After": {
        "description": "Seconds to wait before retrying (also in `error.retry_after`)",
        "schema": {"type": "integer", "minimum": 1}
    }})
}

/// `ErrorEnvelope`, `ErrorObject`, `ErrorCode` and `FieldError` schemas, and the shared
/// responses the operations refer to.
fn add_error_components(doc: &mut Value) {
    let codes: Vec<&str> = ERROR_CODES.iter().map(|c| c.code).collect();
    let mut table = String::from(
        "The closed catalogue of error codes (`error.code`). Clients may rely on a code; the \
         message is for people and may change.\n\n| code | status | meaning |\n| --- | --- | --- |\n",
    );
    for c in ERROR_CODES {
        let statuses: Vec<String> = c.statuses.iter().map(u16::to_string).collect();
        let statuses = if statuses.is_empty() {
            "any".to_owned()
        } else {
            statuses.join(", ")
        };
        table.push_str(&format!("| `{}` | {statuses} | {} |\n", c.code, c.meaning));
    }
    let catalogue: Vec<Value> = ERROR_CODES
        .iter()
        .map(|c| json!({"code": c.code, "statuses": c.statuses, "meaning": c.meaning}))
        .collect();
    let Some(root) = doc.as_object_mut() else {
        return;
    };
    let components = root
        .entry("components")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(components) = components else {
        return;
    };
    let schemas = components
        .entry("schemas")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(schemas) = schemas else {
        return;
    };
    schemas.insert(
        "ErrorEnvelope".into(),
        json!({
            "type": "object",
            "description": "The body of every failure, from a handler or from the framework.",
            "required": ["status", "error"],
            "properties": {
                "status": {"type": "string", "enum": ["error"]},
                "error": {"$ref": "#/components/schemas/ErrorObject"}
            }
        }),
    );
    schemas.insert(
        "ErrorObject".into(),
        json!({
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"$ref": "#/components/schemas/ErrorCode"},
                "message": {"type": "string", "description": "For people: kind, and free to change"},
                "details": {
                    "type": "array",
                    "description": "With VALIDATION_ERROR (and INVALID_QUERY, INVALID_PATH): each offending field and what is wrong with it",
                    "items": {"$ref": "#/components/schemas/FieldError"}
                },
                "retry_after": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "With RATE_LIMITED, ACCOUNT_LOCKED and BUSY: seconds to wait (also the Retry-After header)"
                }
            },
            "additionalProperties": true
        }),
    );
    schemas.insert(
        "ErrorCode".into(),
        json!({
            "type": "string",
            "description": table,
            "enum": codes,
            "x-error-codes": catalogue
        }),
    );
    schemas.insert(
        "FieldError".into(),
        json!({
            "type": "object",
            "description": "A field-level problem: the field's path in the input and what is wrong.",
            "required": ["field", "message"],
            "properties": {
                "field": {"type": "string"},
                "message": {"type": "string"}
            }
        }),
    );
    let responses = components
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else {
        return;
    };
    for (name, description, retry) in SHARED_RESPONSES {
        let mut r = json!({"description": description, "content": envelope_content()});
        if *retry {
            r["headers"] = retry_after_header();
        }
        responses.insert((*name).to_owned(), r);
    }
}

/// The shared error responses: component name, description, whether Retry-After is sent.
const SHARED_RESPONSES: &[(&str, &str, bool)] = &[
    (
        "Unauthorized",
        "Not signed in, or the credential is not valid: TOKEN_MISSING, TOKEN_INVALID, TOKEN_EXPIRED, SESSION_REVOKED, ACCOUNT_DISABLED",
        false,
    ),
    (
        "BadCredential",
        "An access token or session was sent but is not valid (none at all is fine): TOKEN_INVALID, TOKEN_EXPIRED, SESSION_REVOKED, ACCOUNT_DISABLED",
        false,
    ),
    (
        "PayloadTooLarge",
        "PAYLOAD_TOO_LARGE: the body is larger than the server's body_limit_bytes",
        false,
    ),
    (
        "UnsupportedMediaType",
        "UNSUPPORTED_MEDIA_TYPE: the body must be sent as application/json",
        false,
    ),
    (
        "ValidationFailed",
        "VALIDATION_ERROR: the input is well-formed but invalid; details lists {field, message} for each problem",
        false,
    ),
    (
        "TooManyRequests",
        "RATE_LIMITED: too many requests from this client; retry after Retry-After seconds",
        true,
    ),
    (
        "InternalError",
        "INTERNAL: an unexpected failure on our side (logged with the request id)",
        false,
    ),
    (
        "Unavailable",
        "BUSY (the server is overloaded) or TIMEOUT (the request took too long); retry shortly",
        true,
    ),
];

fn shared(name: &str) -> Value {
    json!({"$ref": format!("#/components/responses/{name}")})
}

/// What an operation's shape says about the errors it can answer with.
struct Shape {
    /// Signing in is required (a security requirement that is not empty, and no empty one).
    auth: bool,
    /// A credential is optional but checked when sent.
    optional_auth: bool,
    write: bool,
    path_params: bool,
    query_params: bool,
    body: bool,
    json_body: bool,
}

fn shape(method: &str, op: &Map<String, Value>) -> Shape {
    let requirements: Vec<&Map<String, Value>> = op
        .get("security")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let any_scheme = requirements.iter().any(|r| !r.is_empty());
    let anonymous = requirements.iter().any(|r| r.is_empty());
    let params: Vec<&str> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.get("in").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let body = op.get("requestBody");
    Shape {
        auth: any_scheme && !anonymous,
        optional_auth: any_scheme && anonymous,
        write: matches!(method, "post" | "put" | "patch" | "delete"),
        path_params: params.contains(&"path"),
        query_params: params.contains(&"query"),
        body: body.is_some(),
        json_body: body
            .and_then(|b| b.get("content"))
            .and_then(Value::as_object)
            .is_some_and(|c| c.contains_key("application/json")),
    }
}

/// The error responses implied by an operation's shape: status and response (shared or inline).
fn implied(shape: &Shape) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    if shape.path_params {
        bad.push("INVALID_PATH (a path parameter is malformed)");
    }
    if shape.query_params {
        bad.push("INVALID_QUERY (a query parameter is malformed or missing; details name it)");
    }
    if shape.json_body {
        bad.push("MALFORMED_JSON or BAD_REQUEST (the body is not JSON or cannot be read)");
    } else if shape.body {
        bad.push("BAD_REQUEST or MALFORMED_MULTIPART (the body cannot be read)");
    }
    if !bad.is_empty() {
        out.push((
            "400",
            json!({"description": bad.join("; "), "content": envelope_content()}),
        ));
    }
    if shape.auth {
        out.push(("401", shared("Unauthorized")));
    } else if shape.optional_auth {
        out.push(("401", shared("BadCredential")));
    }
    if (shape.auth || shape.optional_auth) && shape.write {
        out.push((
            "403",
            json!({
                "description": "CSRF_FAILED: a write authenticated by the browser session cookie needs the X-CSRF-Token header",
                "content": envelope_content()
            }),
        ));
    }
    if shape.path_params {
        out.push((
            "404",
            json!({
                "description": "NOT_FOUND: no such resource, or not one you may see",
                "content": envelope_content()
            }),
        ));
    }
    if shape.body {
        out.push(("413", shared("PayloadTooLarge")));
        out.push(("415", shared("UnsupportedMediaType")));
    }
    if shape.json_body {
        out.push(("422", shared("ValidationFailed")));
    }
    out.push(("429", shared("TooManyRequests")));
    out.push(("500", shared("InternalError")));
    out.push(("503", shared("Unavailable")));
    out
}

fn add_error_responses(method: &str, op: &mut Map<String, Value>) {
    let shape = shape(method, op);
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else {
        return;
    };
    // Written in the annotation: keep the description, the body is always the envelope.
    for (status, response) in responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if let Some(r) = response.as_object_mut()
            && is_error
            && !r.contains_key("$ref")
        {
            r.insert("content".into(), envelope_content());
            if matches!(status.as_str(), "423" | "429" | "503") {
                r.entry("headers").or_insert_with(retry_after_header);
            }
        }
    }
    for (status, response) in implied(&shape) {
        responses.entry(status).or_insert(response);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_finished_document_has_the_error_components() {
        let value = finish(&crate::raw_openapi());
        assert!(value["components"]["schemas"]["ErrorEnvelope"].is_object());
        assert_eq!(
            value["components"]["schemas"]["ErrorCode"]["enum"]
                .as_array()
                .unwrap()
                .len(),
            ERROR_CODES.len()
        );
        assert!(value["components"]["schemas"]["ErrorCode"]["x-error-codes"].is_array());
        assert!(
            value["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"]
                .is_object()
        );
    }

    #[test]
    fn the_shape_decides_the_implied_responses() {
        let op = json!({
            "security": [{"bearer": []}],
            "parameters": [{"in": "path", "name": "id"}],
            "requestBody": {"content": {"application/json": {}}},
            "responses": {"200": {"description": "ok"}, "404": {"description": "No such job"}}
        });
        let mut op = op.as_object().unwrap().clone();
        add_error_responses("post", &mut op);
        let r = &op["responses"];
        for s in [
            "400", "401", "403", "404", "413", "415", "422", "429", "500", "503",
        ] {
            assert!(r.get(s).is_some(), "{s} missing: {r}");
        }
        assert_eq!(r["404"]["description"], "No such job");
        assert_eq!(r["404"]["content"], envelope_content());
        assert!(
            r["400"]["description"]
                .as_str()
                .unwrap()
                .contains("INVALID_PATH")
        );

        let mut public = json!({"responses": {"200": {"description": "ok"}}})
            .as_object()
            .unwrap()
            .clone();
        add_error_responses("get", &mut public);
        let keys: Vec<&String> = public["responses"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["200", "429", "500", "503"]);
    }
}
