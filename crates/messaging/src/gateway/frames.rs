//! The JSON frames of the WebSocket protocol: parsing what clients send (field errors included)
//! and building what the server sends. See the module documentation of `gateway` for the list.

use axum::extract::ws::{Message, Utf8Bytes};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;
use vertechie_kernel::{AppError, FieldError};

/// Longest `ref` string a client may attach (characters).
pub const REF_MAX: usize = 100;

/// A client frame, parsed and checked for shape (the rules are the chat service's).
#[derive(Debug, Clone, PartialEq)]
pub enum ClientFrame {
    JoinRoom {
        room_id: Uuid,
    },
    LeaveRoom {
        room_id: Uuid,
    },
    SendMessage {
        room_id: Uuid,
        body: String,
        reply_to: Option<Uuid>,
        attachments: Vec<Uuid>,
    },
    SendDirectMessage {
        to: Uuid,
        body: String,
        reply_to: Option<Uuid>,
        attachments: Vec<Uuid>,
    },
    Typing {
        room_id: Uuid,
        is_typing: bool,
    },
    AddReaction {
        message_id: Uuid,
        emoji: String,
    },
    RemoveReaction {
        message_id: Uuid,
        emoji: String,
    },
    EditMessage {
        message_id: Uuid,
        body: String,
    },
    DeleteMessage {
        message_id: Uuid,
    },
    MarkRead {
        room_id: Uuid,
        message_id: Uuid,
    },
    Ping,
}

impl ClientFrame {
    /// The frame's `type`, echoed as `for` in its ack.
    pub fn name(&self) -> &'static str {
        match self {
            ClientFrame::JoinRoom { .. } => "join_room",
            ClientFrame::LeaveRoom { .. } => "leave_room",
            ClientFrame::SendMessage { .. } => "send_message",
            ClientFrame::SendDirectMessage { .. } => "send_direct_message",
            ClientFrame::Typing { .. } => "typing",
            ClientFrame::AddReaction { .. } => "add_reaction",
            ClientFrame::RemoveReaction { .. } => "remove_reaction",
            ClientFrame::EditMessage { .. } => "edit_message",
            ClientFrame::DeleteMessage { .. } => "delete_message",
            ClientFrame::MarkRead { .. } => "mark_read",
            ClientFrame::Ping => "ping",
        }
    }
}

/// A client frame's `ref` (if any, and valid) and the frame or why it is refused.
#[derive(Debug)]
pub struct Parsed {
    pub reference: Option<Value>,
    pub frame: Result<ClientFrame, AppError>,
}

/// Parses one text frame. `max_bytes` is the size limit of a frame (`FRAME_TOO_LARGE` beyond,
/// with the `ref` still read so the client can match the error).
pub fn parse(text: &str, max_bytes: usize) -> Parsed {
    if text.len() > max_bytes {
        return Parsed {
            reference: peek_ref(text),
            frame: Err(AppError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "FRAME_TOO_LARGE",
                format!("A frame may be at most {max_bytes} bytes"),
            )),
        };
    }
    let obj = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(obj)) => obj,
        Ok(_) => {
            return Parsed {
                reference: None,
                frame: Err(malformed("A frame is a JSON object with a `type`")),
            };
        }
        Err(e) => {
            return Parsed {
                reference: None,
                frame: Err(malformed(&format!("The frame is not valid JSON: {e}"))),
            };
        }
    };
    let reference = match valid_ref(obj.get("ref")) {
        Ok(r) => r,
        Err(e) => {
            return Parsed {
                reference: None,
                frame: Err(e),
            };
        }
    };
    Parsed {
        reference,
        frame: frame_of(&obj),
    }
}

fn malformed(message: &str) -> AppError {
    AppError::bad_request("MALFORMED_JSON", message)
}

/// The `ref` of an oversized frame, without building the whole value.
fn peek_ref(text: &str) -> Option<Value> {
    #[derive(Deserialize)]
    struct Head {
        #[serde(rename = "ref")]
        reference: Option<Value>,
    }
    let head: Head = serde_json::from_str(text).ok()?;
    valid_ref(head.reference.as_ref()).ok().flatten()
}

fn valid_ref(v: Option<&Value>) -> Result<Option<Value>, AppError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= REF_MAX => {
            Ok(Some(Value::String(s.clone())))
        }
        Some(Value::Number(n)) => Ok(Some(Value::Number(n.clone()))),
        Some(_) => Err(AppError::field(
            "ref",
            "must be a number or a string of at most 100 characters",
        )),
    }
}

fn frame_of(obj: &Map<String, Value>) -> Result<ClientFrame, AppError> {
    let kind = match obj.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(AppError::field("type", "must be a string")),
        None => return Err(AppError::field("type", "is required")),
    };
    let mut f = Fields {
        obj,
        errors: Vec::new(),
    };
    let frame = match kind {
        "join_room" => ClientFrame::JoinRoom {
            room_id: f.uuid("room_id"),
        },
        "leave_room" => ClientFrame::LeaveRoom {
            room_id: f.uuid("room_id"),
        },
        "send_message" => ClientFrame::SendMessage {
            room_id: f.uuid("room_id"),
            body: f.message_body(),
            reply_to: f.opt_uuid("reply_to"),
            attachments: f.uuid_list("attachments"),
        },
        "send_direct_message" => ClientFrame::SendDirectMessage {
            to: if obj.contains_key("to") || !obj.contains_key("user_id") {
                f.uuid("to")
            } else {
                f.uuid("user_id")
            },
            body: f.message_body(),
            reply_to: f.opt_uuid("reply_to"),
            attachments: f.uuid_list("attachments"),
        },
        "typing" => ClientFrame::Typing {
            room_id: f.uuid("room_id"),
            is_typing: f.opt_bool("is_typing", true),
        },
        "add_reaction" => ClientFrame::AddReaction {
            message_id: f.uuid("message_id"),
            emoji: f.text("emoji"),
        },
        "remove_reaction" => ClientFrame::RemoveReaction {
            message_id: f.uuid("message_id"),
            emoji: f.text("emoji"),
        },
        "edit_message" => ClientFrame::EditMessage {
            message_id: f.uuid("message_id"),
            body: f.text("body"),
        },
        "delete_message" => ClientFrame::DeleteMessage {
            message_id: f.uuid("message_id"),
        },
        "mark_read" => ClientFrame::MarkRead {
            room_id: f.uuid("room_id"),
            message_id: f.uuid("message_id"),
        },
        "ping" => ClientFrame::Ping,
        other => {
            let shown: String = other.chars().take(40).collect();
            return Err(AppError::bad_request(
                "UNKNOWN_TYPE",
                format!("Unknown frame type `{shown}`"),
            ));
        }
    };
    if f.errors.is_empty() {
        Ok(frame)
    } else {
        Err(AppError::validation(f.errors))
    }
}

/// Reads typed fields of a frame, collecting every problem.
struct Fields<'a> {
    obj: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Fields<'_> {
    fn uuid(&mut self, name: &str) -> Uuid {
        match self.obj.get(name) {
            None | Some(Value::Null) => {
                self.errors.push(FieldError::new(name, "is required"));
                Uuid::nil()
            }
            Some(v) => self.parse_uuid(name, v).unwrap_or_default(),
        }
    }

    fn opt_uuid(&mut self, name: &str) -> Option<Uuid> {
        match self.obj.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => self.parse_uuid(name, v),
        }
    }

    fn parse_uuid(&mut self, name: &str, v: &Value) -> Option<Uuid> {
        match v.as_str().map(Uuid::parse_str) {
            Some(Ok(id)) => Some(id),
            _ => {
                self.errors
                    .push(FieldError::new(name, "must be an id (UUID)"));
                None
            }
        }
    }

    fn text(&mut self, name: &str) -> String {
        match self.obj.get(name) {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => {
                self.errors.push(FieldError::new(name, "is required"));
                String::new()
            }
            Some(_) => {
                self.errors.push(FieldError::new(name, "must be a string"));
                String::new()
            }
        }
    }

    /// A message's `body`: required, unless files are attached (then it may be absent).
    fn message_body(&mut self) -> String {
        let with_files = self
            .obj
            .get("attachments")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        match self.obj.get("body") {
            None | Some(Value::Null) if with_files => String::new(),
            _ => self.text("body"),
        }
    }

    /// An optional list of ids (absent or `null`: empty); errors name the element, `name[i]`.
    fn uuid_list(&mut self, name: &str) -> Vec<Uuid> {
        match self.obj.get(name) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| self.parse_uuid(&format!("{name}[{i}]"), v))
                .collect(),
            Some(_) => {
                self.errors
                    .push(FieldError::new(name, "must be a list of ids"));
                Vec::new()
            }
        }
    }

    fn opt_bool(&mut self, name: &str, default: bool) -> bool {
        match self.obj.get(name) {
            None | Some(Value::Null) => default,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.errors
                    .push(FieldError::new(name, "must be true or false"));
                default
            }
        }
    }
}

/// A frame ready to send.
pub fn text(v: &Value) -> Message {
    Message::Text(Utf8Bytes::from(v.to_string()))
}

/// `error {code, message, ref, fields?}`; server failures become `INTERNAL` with a generic
/// message (the cause is logged).
pub fn error(e: &AppError, reference: Option<&Value>) -> Value {
    let (code, message) = if e.status.is_server_error() {
        if let Some(source) = &e.source {
            tracing::error!(error = %format!("{source:#}"), code = e.code, "a socket frame failed");
        }
        ("INTERNAL", "Something went wrong on our side".to_owned())
    } else {
        (e.code, e.message.clone())
    };
    let mut v = json!({"type": "error", "code": code, "message": message, "ref": reference});
    if !e.details.is_empty() {
        v["fields"] = json!(e.details);
    }
    v
}

/// `ack {ref, for, ...data}`.
pub fn ack(reference: Value, for_type: &str, data: Map<String, Value>) -> Value {
    let mut v = Map::new();
    v.insert("type".into(), json!("ack"));
    v.insert("ref".into(), reference);
    v.insert("for".into(), json!(for_type));
    v.extend(data);
    Value::Object(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Result<ClientFrame, AppError> {
        parse(text, 64 * 1024).frame
    }

    #[test]
    fn parses_every_client_frame() {
        let id = Uuid::now_v7();
        let cases = [
            (
                json!({"type": "join_room", "room_id": id}),
                ClientFrame::JoinRoom { room_id: id },
            ),
            (
                json!({"type": "send_direct_message", "user_id": id, "body": "hi"}),
                ClientFrame::SendDirectMessage {
                    to: id,
                    body: "hi".into(),
                    reply_to: None,
                    attachments: Vec::new(),
                },
            ),
            (
                json!({"type": "send_message", "room_id": id, "attachments": [id]}),
                ClientFrame::SendMessage {
                    room_id: id,
                    body: String::new(),
                    reply_to: None,
                    attachments: vec![id],
                },
            ),
            (
                json!({"type": "typing", "room_id": id}),
                ClientFrame::Typing {
                    room_id: id,
                    is_typing: true,
                },
            ),
            (
                json!({"type": "mark_read", "room_id": id, "message_id": id}),
                ClientFrame::MarkRead {
                    room_id: id,
                    message_id: id,
                },
            ),
            (json!({"type": "ping"}), ClientFrame::Ping),
        ];
        for (v, want) in cases {
            assert_eq!(frame(&v.to_string()).unwrap(), want);
        }
    }

    #[test]
    fn refuses_bad_frames_with_precise_errors() {
        assert_eq!(frame("{not json").unwrap_err().code, "MALFORMED_JSON");
        assert_eq!(frame("[1,2]").unwrap_err().code, "MALFORMED_JSON");
        assert_eq!(
            frame(r#"{"type":"dance"}"#).unwrap_err().code,
            "UNKNOWN_TYPE"
        );
        let e = frame(r#"{"type":"send_message","room_id":"nope","body":5}"#).unwrap_err();
        assert_eq!(e.code, "VALIDATION_ERROR");
        let fields: Vec<&str> = e.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["room_id", "body"]);
        let e = frame(r#"{"type":"send_message","room_id":"0192f0c1-0000-7000-8000-000000000000","attachments":["x",5]}"#)
            .unwrap_err();
        let fields: Vec<&str> = e.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["attachments[0]", "attachments[1]"]);
        let e = frame(r#"{"type":"send_message","room_id":"0192f0c1-0000-7000-8000-000000000000","body":"x","attachments":"nope"}"#)
            .unwrap_err();
        assert_eq!(e.details[0].field, "attachments");
        let p = parse(r#"{"type":"ping","ref":{"a":1}}"#, 1000);
        assert_eq!(p.frame.unwrap_err().details[0].field, "ref");
        let big = json!({"type": "ping", "ref": "r1", "pad": "x".repeat(200)}).to_string();
        let p = parse(&big, 100);
        assert_eq!(p.frame.unwrap_err().code, "FRAME_TOO_LARGE");
        assert_eq!(p.reference, Some(json!("r1")));
    }

    #[test]
    fn errors_hide_internal_detail() {
        let e = AppError::internal(anyhow::anyhow!("database exploded"));
        let v = error(&e, Some(&json!(7)));
        assert_eq!(v["code"], "INTERNAL");
        assert!(!v.to_string().contains("exploded"));
        assert_eq!(v["ref"], 7);
    }
}
