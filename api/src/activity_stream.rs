//! `GET /v1/activity/stream`: the live tail of a tenant's activity log as Server-Sent Events.
//!
//! Streams do not query the database each: one hub per API process wakes when the projector
//! reports a committed batch (the outcome listener's notification), reads the new entries of
//! every tenant someone is streaming with one query, and fans them out on a broadcast channel
//! per tenant. A stream first catches up from the database (after `Last-Event-ID`, or from
//! now), then follows the broadcast, skipping what it has already sent: nothing is missed,
//! nothing is sent twice. A stream that falls behind the broadcast catches up from the database
//! again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::activity::ActivityEntry;
use futures::SinkExt;
use read_store::{activity, Store};
use schema::TenantId;
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// A comment line sent when nothing else was, so proxies keep the connection open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Entries a stream may fall behind the broadcast before it catches up from the database.
const BUFFER: usize = 1_024;
/// Entries read per tenant and query.
const PAGE: i64 = 500;
/// Reads even without a notification (a notification lost while the listener reconnects).
const FALLBACK: Duration = Duration::from_secs(1);

struct Feed {
    sender: broadcast::Sender<Arc<ActivityEntry>>,
    /// The last sequence broadcast.
    cursor: i64,
}

/// The per-process fan-out of new activity entries.
#[derive(Clone)]
pub struct ActivityHub {
    store: Store,
    feeds: Arc<Mutex<HashMap<TenantId, Feed>>>,
    shutdown: CancellationToken,
}

impl ActivityHub {
    pub fn start(store: Store, applied: watch::Receiver<u64>, shutdown: CancellationToken) -> Self {
        let hub = Self {
            store,
            feeds: Arc::default(),
            shutdown,
        };
        tokio::spawn(hub.clone().run(applied));
        hub
    }

    /// A receiver of the tenant's new entries, and a sequence from which the broadcast is
    /// complete: every entry after it will be sent.
    async fn subscribe(
        &self,
        tenant: TenantId,
    ) -> Result<(broadcast::Receiver<Arc<ActivityEntry>>, i64), ApiError> {
        if let Some(feed) = self.feeds.lock().expect("feeds lock").get(&tenant) {
            return Ok((feed.sender.subscribe(), feed.cursor));
        }
        let client = self.store.client().await?;
        let head = activity::head(&client, tenant).await?;
        let mut feeds = self.feeds.lock().expect("feeds lock");
        let feed = feeds.entry(tenant).or_insert_with(|| Feed {
            sender: broadcast::channel(BUFFER).0,
            cursor: head,
        });
        Ok((feed.sender.subscribe(), feed.cursor))
    }

    async fn run(self, mut applied: watch::Receiver<u64>) {
        loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                changed = applied.changed() => if changed.is_err() { return },
                _ = tokio::time::sleep(FALLBACK) => {}
            }
            if let Err(error) = self.fan_out().await {
                tracing::warn!(%error, "activity tail cannot read new entries");
            }
        }
    }

    /// Reads and broadcasts what is new for every tenant with a stream.
    async fn fan_out(&self) -> Result<(), read_store::StoreError> {
        loop {
            let cursors: Vec<(TenantId, i64)> = {
                let mut feeds = self.feeds.lock().expect("feeds lock");
                feeds.retain(|_, feed| feed.sender.receiver_count() > 0);
                feeds.iter().map(|(t, feed)| (*t, feed.cursor)).collect()
            };
            if cursors.is_empty() {
                return Ok(());
            }
            let client = self.store.client().await?;
            let entries = activity::after_each(&client, &cursors, PAGE).await?;
            drop(client);
            let mut per_tenant: HashMap<TenantId, i64> = HashMap::new();
            let mut feeds = self.feeds.lock().expect("feeds lock");
            for (tenant, entry) in entries {
                *per_tenant.entry(tenant).or_default() += 1;
                if let Some(feed) = feeds.get_mut(&tenant) {
                    if entry.sequence > feed.cursor {
                        feed.cursor = entry.sequence;
                        let _ = feed.sender.send(Arc::new(entry));
                    }
                }
            }
            if per_tenant.values().all(|count| *count < PAGE) {
                return Ok(());
            }
        }
    }
}

fn event(entry: &ActivityEntry) -> Bytes {
    let data = serde_json::to_string(entry).expect("entries serialize");
    Bytes::from(format!(
        "id: {}\nevent: {}\ndata: {data}\n\n",
        entry.sequence, entry.event_type
    ))
}

/// Where a stream starts: after `Last-Event-ID` (or `?after=`), else after the current head.
fn resume_point(request: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let query = crate::listing::Query::parse(request.query_string())?;
    let from_header = request
        .headers()
        .get("Last-Event-ID")
        .map(|value| ("Last-Event-ID", value.to_str().unwrap_or_default().trim()));
    let from_query = query.get("after").map(|after| ("after", after.as_str()));
    match from_header.or(from_query) {
        None => Ok(None),
        Some((field, text)) => text
            .parse::<i64>()
            .ok()
            .filter(|sequence| *sequence >= 0)
            .map(Some)
            .ok_or_else(|| {
                ApiError::field(
                    field,
                    "must be the sequence of an entry (an integer from 0 to 9223372036854775807)",
                )
            }),
    }
}

#[utoipa::path(get, path = "/v1/activity/stream", tag = "activity",
    params(("Last-Event-ID" = Option<i64>, Header, description = "Resume after this sequence (what the last event's `id:` said)"),
           ("after" = Option<i64>, Query, description = "Same as Last-Event-ID, for clients that cannot set headers")),
    responses((status = 200, description = "Server-Sent Events: `id:` the sequence, `event:` the type, `data:` the entry as JSON; a `: keep-alive` comment every 15 s",
               body = String, content_type = "text/event-stream"),
              (status = 400, description = "Bad Last-Event-ID", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn stream_activity(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let resume = resume_point(&request)?;
    let hub = state.activity.clone();
    let tenant = caller.tenant_id;
    // Subscribed before the catch-up read, so nothing falls between the two.
    let (mut live, _) = hub.subscribe(tenant).await?;
    let mut sent = match resume {
        Some(after) => after,
        None => activity::head(&state.store.client().await?, tenant).await?,
    };
    let (mut sink, body) = futures::channel::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    let store = state.store.clone();
    let open = state.signals.stream_opened();
    tokio::spawn(async move {
        let _open = open;
        let result: Result<(), Box<dyn std::error::Error + Send + Sync>> = async {
            // An initial comment, so the client sees the stream open at once.
            sink.send(Ok(Bytes::from_static(b": connected\n\n")))
                .await?;
            let mut catch_up = true;
            loop {
                if catch_up {
                    loop {
                        let client = store.client().await?;
                        let page = activity::after(&client, tenant, sent, PAGE).await?;
                        drop(client);
                        for entry in &page {
                            sink.send(Ok(event(entry))).await?;
                            sent = entry.sequence;
                        }
                        if (page.len() as i64) < PAGE {
                            break;
                        }
                    }
                    catch_up = false;
                }
                tokio::select! {
                    _ = hub.shutdown.cancelled() => return Ok(()),
                    received = live.recv() => match received {
                        Ok(entry) if entry.sequence > sent => {
                            sink.send(Ok(event(&entry))).await?;
                            sent = entry.sequence;
                        }
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Lagged(_)) => catch_up = true,
                        Err(broadcast::error::RecvError::Closed) => return Ok(()),
                    },
                    _ = tokio::time::sleep(KEEP_ALIVE) => {
                        sink.send(Ok(Bytes::from_static(b": keep-alive\n\n"))).await?;
                    }
                }
            }
        }
        .await;
        if let Err(error) = result {
            tracing::debug!(%error, "activity stream ended");
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}
