//! The event bus: domains publish events by topic, other parts of the app (the WebSocket
//! gateway in messaging) subscribe. In-process by default (a broadcast channel). With Redis, every
//! event is also published on the Redis channel [`CHANNEL`], and a background subscription
//! re-broadcasts locally the events of *other* instances, so subscribers on every instance see
//! every event exactly once. Delivery is best effort: durable state lives in the database.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

/// The Redis pub/sub channel shared by every instance.
pub const CHANNEL: &str = "vertechie:events";
/// Events a slow local subscriber may lag behind before it misses some.
pub const LOCAL_CAPACITY: usize = 4096;
/// Events waiting to be published to Redis before new ones are dropped (with a warning).
pub const REDIS_QUEUE: usize = 10_000;

/// One event. `origin` is the id of the instance that published it (stamped by `publish`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    pub topic: String,
    pub payload: serde_json::Value,
    pub origin: Uuid,
}

impl Event {
    pub fn new(topic: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            topic: topic.into(),
            payload,
            origin: Uuid::nil(),
        }
    }
}

#[derive(Clone)]
pub struct EventBus {
    inner: Arc<BusInner>,
}

struct BusInner {
    instance: Uuid,
    local: broadcast::Sender<Event>,
    /// To the task that PUBLISHes on Redis, in order.
    redis: Option<mpsc::Sender<Outgoing>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// What the Redis publisher task is handed: an event, or a request to say when everything
/// handed before it has been published.
enum Outgoing {
    Event(Event),
    Flushed(tokio::sync::oneshot::Sender<()>),
}

impl Drop for BusInner {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl EventBus {
    /// A bus for this process only.
    pub fn in_process() -> Self {
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        Self {
            inner: Arc::new(BusInner {
                instance: Uuid::now_v7(),
                local,
                redis: None,
                tasks: Vec::new(),
            }),
        }
    }

    /// A bus shared with the other instances through Redis. Subscribes before returning (so an
    /// event published elsewhere after this returns is received), then keeps the subscription
    /// in a background task that reconnects with backoff when Redis drops.
    pub async fn with_redis(
        client: redis::Client,
        conn: redis::aio::ConnectionManager,
    ) -> anyhow::Result<Self> {
        let instance = Uuid::now_v7();
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        let first = subscribe_redis(&client).await?;
        let listener = tokio::spawn(listen(client, first, local.clone(), instance));
        let (tx, rx) = mpsc::channel(REDIS_QUEUE);
        let publisher = tokio::spawn(publish_redis(conn, rx));
        Ok(Self {
            inner: Arc::new(BusInner {
                instance,
                local,
                redis: Some(tx),
                tasks: vec![listener, publisher],
            }),
        })
    }

    /// This instance's id (the `origin` of the events it publishes).
    pub fn instance_id(&self) -> Uuid {
        self.inner.instance
    }

    /// Whether events go to other instances through Redis.
    pub fn is_distributed(&self) -> bool {
        self.inner.redis.is_some()
    }

    /// Delivers `event` to this instance's subscribers at once and, with Redis, queues it for
    /// the other instances. Never blocks; having no subscribers is not an error.
    pub fn publish(&self, mut event: Event) {
        event.origin = self.inner.instance;
        if let Some(tx) = &self.inner.redis
            && let Err(e) = tx.try_send(Outgoing::Event(event.clone()))
        {
            tracing::warn!(topic = %event.topic, error = %e, "event not sent to Redis");
            metrics::counter!("bus_events_dropped_total").increment(1);
        }
        let _ = self.inner.local.send(event);
    }

    /// Every event published from now on, on this instance or (with Redis) any other.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.local.subscribe()
    }

    /// Waits (at most `timeout`) until the events published so far have been handed to Redis;
    /// at once without Redis. For shutdown, so the last events are not lost with the process.
    pub async fn flush(&self, timeout: Duration) {
        let Some(tx) = &self.inner.redis else {
            return;
        };
        let (done, wait) = tokio::sync::oneshot::channel();
        let _ = tokio::time::timeout(timeout, async {
            if tx.send(Outgoing::Flushed(done)).await.is_ok() {
                let _ = wait.await;
            }
        })
        .await;
    }
}

async fn subscribe_redis(client: &redis::Client) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(CHANNEL).await?;
    Ok(pubsub)
}

/// Re-broadcasts the events of other instances; resubscribes with backoff when Redis drops.
async fn listen(
    client: redis::Client,
    first: redis::aio::PubSub,
    local: broadcast::Sender<Event>,
    instance: Uuid,
) {
    let mut pubsub = Some(first);
    let mut backoff = Duration::from_millis(100);
    loop {
        let current = match pubsub.take() {
            Some(p) => p,
            None => match subscribe_redis(&client).await {
                Ok(p) => {
                    tracing::info!("event bus resubscribed to Redis");
                    p
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "event bus cannot subscribe to Redis");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            },
        };
        backoff = Duration::from_millis(100);
        let mut messages = current.into_on_message();
        while let Some(msg) = messages.next().await {
            let Ok(bytes) = msg.get_payload::<Vec<u8>>() else {
                continue;
            };
            match serde_json::from_slice::<Event>(&bytes) {
                Ok(event) if event.origin != instance => {
                    let _ = local.send(event);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "ignoring a malformed event from Redis"),
            }
        }
        tracing::warn!("event bus lost its Redis subscription; reconnecting");
        tokio::time::sleep(backoff).await;
    }
}

/// PUBLISHes queued events in order; ends when the bus is dropped.
async fn publish_redis(mut conn: redis::aio::ConnectionManager, mut rx: mpsc::Receiver<Outgoing>) {
    while let Some(out) = rx.recv().await {
        let event = match out {
            Outgoing::Event(e) => e,
            Outgoing::Flushed(done) => {
                let _ = done.send(());
                continue;
            }
        };
        let Ok(json) = serde_json::to_string(&event) else {
            continue;
        };
        let res: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(CHANNEL)
            .arg(json)
            .query_async(&mut conn)
            .await;
        if let Err(e) = res {
            tracing::warn!(topic = %event.topic, error = %e, "event not published to Redis");
            metrics::counter!("bus_events_dropped_total").increment(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_process_delivery_reaches_every_subscriber_once() {
        let bus = EventBus::in_process();
        assert!(!bus.is_distributed());
        // No subscriber: not an error.
        bus.publish(Event::new("nobody", serde_json::json!(null)));
        let mut a = bus.subscribe();
        let mut b = bus.clone().subscribe();
        bus.publish(Event::new(
            "greeting",
            serde_json::json!({"hello": "world"}),
        ));
        for rx in [&mut a, &mut b] {
            let ev = rx.recv().await.unwrap_or_else(|e| panic!("recv: {e}"));
            assert_eq!(ev.topic, "greeting");
            assert_eq!(ev.payload["hello"], "world");
            assert_eq!(ev.origin, bus.instance_id());
            assert!(matches!(
                rx.try_recv(),
                Err(broadcast::error::TryRecvError::Empty)
            ));
        }
        // Another bus is another instance: it does not see these events.
        let other = EventBus::in_process();
        assert_ne!(other.instance_id(), bus.instance_id());
        let mut c = other.subscribe();
        bus.publish(Event::new("x", serde_json::json!(1)));
        assert!(c.try_recv().is_err());
    }
}
