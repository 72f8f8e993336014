//! The task that serves a link's socket: it reads it, routing each answer
//! to its caller and each notification to its live query, checks the
//! connection with a heartbeat, and when the connection drops fails the
//! calls in flight, reconnects as the policy says, restores the sessions
//! and starts the live queries again.
//!
//! A call writes its own request, on its caller's thread, to the connection
//! being served ([`Current`]): handing it to the driver instead cost a wake
//! of a runtime thread, and its sleep after, for every call. Only while
//! there is no connection (reconnecting) do requests wait in the driver's
//! queue, which it sends first on the next one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::stream::SplitSink;
use futures::{SinkExt, StreamExt};
use surrealdb::types::SurrealValue;
use surrealdb::types::{Action, Notification, Value};
use surrealdb_rpc::{DbResult, QueryType};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Notify};
use tokio::time::{sleep_until, timeout, Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use super::restart;
use super::transcode::{self, fb};
use super::{
    connection_error, encode_request, Answer, LiveRecord, LiveStart, Outgoing, Shared, State,
};
use crate::error::{FfiError, FfiResult};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Where the server is, and how to reach it.
pub(super) struct Endpoint {
    url: url::Url,
    connector: Option<native_tls::TlsConnector>,
}

impl Endpoint {
    pub fn new(url: &str, connector: Option<native_tls::TlsConnector>) -> FfiResult<Self> {
        let url = url::Url::parse(url)
            .and_then(|url| url.join("rpc"))
            .map_err(|error| FfiError::invalid_argument(format!("'{url}': {error}")))?;
        Ok(Self { url, connector })
    }

    /// Opens a WebSocket to the server's RPC endpoint, within `limit`.
    pub async fn open(&self, limit: Duration) -> Result<Socket, String> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|error| error.to_string())?;
        request.headers_mut().insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("flatbuffers"),
        );
        let connector = self.connector.clone().map(Connector::NativeTls);
        // Nagle's algorithm off: requests are small and answered one by one.
        let open = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(socket_config()),
            true,
            connector,
        );
        match timeout(limit, open).await {
            Ok(Ok((socket, _))) => Ok(socket),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!(
                "no WebSocket handshake within {} ms",
                limit.as_millis()
            )),
        }
    }
}

/// The socket's buffers and limits: the SDK's, but for a read buffer of
/// 32 KiB instead of 128 (tungstenite zeroes the whole read buffer before
/// every read, which was 5% of a small call's time). A result travels in
/// one message and one frame, so both take up to 64 MiB (tungstenite's own
/// 16 MiB frame limit dropped the connection under a 100,000-row SELECT).
fn socket_config() -> WebSocketConfig {
    const LARGEST_MESSAGE: usize = 64 << 20;
    WebSocketConfig::default()
        .read_buffer_size(32 * 1024)
        .write_buffer_size(128 * 1024)
        .max_write_buffer_size(usize::MAX)
        .max_message_size(Some(LARGEST_MESSAGE))
        .max_frame_size(Some(LARGEST_MESSAGE))
}

/// Why serving a connection ended.
enum Ended {
    /// The link was closed: the driver ends.
    Closed,
    /// The connection dropped, for this reason.
    Lost(String),
}

/// A call on the wire, waiting for its answer.
struct Pending {
    reply: tokio::sync::oneshot::Sender<surrealdb::Result<Answer>>,
    /// A `query`: its answer is one result per statement.
    query: bool,
    /// A `query` whose results are wanted as CBOR.
    encoded: bool,
    live: Option<LiveStart>,
}

/// The connection the driver serves, if it serves one now.
#[derive(Default)]
pub(super) struct Current(Mutex<Option<Arc<Connection>>>);

impl Current {
    fn get(&self) -> Option<Arc<Connection>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, connection: Option<Arc<Connection>>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = connection;
    }
}

/// One open WebSocket: its write half, which the callers and the driver
/// share, and the calls in flight on it.
pub(super) struct Connection {
    sink: tokio::sync::Mutex<SplitSink<Socket, Message>>,
    /// The calls waiting for their answer. None once the connection has
    /// ended and failed them: nothing is registered on it after that.
    pending: Mutex<Option<HashMap<i64, Pending>>>,
    /// Which connection of the link it is (see `Status::generation`).
    generation: u64,
    /// Why a caller's write failed; the driver then ends the connection.
    failure: Mutex<Option<String>>,
    failed: Notify,
}

impl Connection {
    fn new(sink: SplitSink<Socket, Message>, generation: u64) -> Self {
        Self {
            sink: tokio::sync::Mutex::new(sink),
            pending: Mutex::new(Some(HashMap::new())),
            generation,
            failure: Mutex::new(None),
            failed: Notify::new(),
        }
    }

    fn pending(&self) -> MutexGuard<'_, Option<HashMap<i64, Pending>>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn has_failed(&self) -> bool {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Reports that the connection failed under a write; the driver ends it.
    fn fail(&self, reason: String) {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(reason);
        self.failed.notify_one();
    }

    /// Waits until a write has failed, and says why.
    async fn failed(&self) -> String {
        loop {
            self.failed.notified().await;
            if let Some(reason) = self
                .failure
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
            {
                return reason;
            }
        }
    }

    /// Writes `messages` and flushes them, under `sink`, this connection's
    /// (locked). The heartbeat's timeout bounds the writing, not the wait
    /// for the lock.
    async fn write(
        &self,
        mut sink: tokio::sync::MutexGuard<'_, SplitSink<Socket, Message>>,
        messages: Vec<Message>,
        heartbeat: &super::Heartbeat,
    ) -> Result<(), String> {
        if self.has_failed() {
            // Its calls have failed (or will) with the connection.
            return Ok(());
        }
        let written = quietly(timeout(heartbeat.timeout, async {
            for message in messages {
                sink.feed(message).await?;
            }
            sink.flush().await
        }))
        .await;
        match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(stalled(heartbeat)),
        }
    }

    /// Registers the calls of `batch` and writes their requests; answers
    /// the ones it did not register (the connection has ended: they wait
    /// for the next). A call of a transaction begun on another connection
    /// fails at once.
    async fn send(
        &self,
        shared: &Shared,
        sink: tokio::sync::MutexGuard<'_, SplitSink<Socket, Message>>,
        batch: Vec<Outgoing>,
    ) -> Result<Vec<Outgoing>, String> {
        let mut messages = Vec::with_capacity(batch.len());
        {
            let mut guard = self.pending();
            let Some(pending) = guard.as_mut() else {
                return Ok(batch);
            };
            for outgoing in batch {
                if outgoing.reply.is_closed() {
                    // Its caller stopped waiting (cancelled, or out of
                    // time) while it queued: it is not sent.
                    continue;
                }
                if outgoing
                    .generation
                    .is_some_and(|began| began != self.generation)
                {
                    let _ = outgoing.reply.send(Err(transaction_lost(&shared.url)));
                    continue;
                }
                pending.insert(
                    outgoing.id,
                    Pending {
                        reply: outgoing.reply,
                        query: outgoing.query,
                        encoded: outgoing.encoded,
                        live: outgoing.live,
                    },
                );
                messages.push(Message::Binary(outgoing.message.into()));
            }
        }
        if !messages.is_empty() {
            self.write(sink, messages, &shared.heartbeat).await?;
        }
        Ok(Vec::new())
    }
}

/// Runs `write`, a write to the socket, so that its task is woken only
/// while the write waits (for room in the socket, or for its timeout).
///
/// tokio-tungstenite keeps the waker of the last write, and wakes it, beside
/// the reader's, whenever the socket becomes readable (its `compat.rs`
/// registers a write's waker in its read proxy too). A caller that wrote a
/// request and then sleeps for its answer was so woken for nothing, at the
/// next answer read for anyone: a third of R7's calls slept twice. The write
/// here sees a waker that is disarmed once it is done.
async fn quietly<F: std::future::Future>(write: F) -> F::Output {
    /// Passes a wake on to the writing task while armed; nothing after.
    struct Quiet {
        armed: std::sync::atomic::AtomicBool,
        task: futures::task::AtomicWaker,
    }
    impl futures::task::ArcWake for Quiet {
        fn wake_by_ref(quiet: &Arc<Self>) {
            if quiet.armed.load(std::sync::atomic::Ordering::Acquire) {
                quiet.task.wake();
            }
        }
    }

    let quiet = Arc::new(Quiet {
        armed: std::sync::atomic::AtomicBool::new(true),
        task: futures::task::AtomicWaker::new(),
    });
    let waker = futures::task::waker(Arc::clone(&quiet));
    let mut write = std::pin::pin!(write);
    let output = std::future::poll_fn(|cx| {
        quiet.task.register(cx.waker());
        write
            .as_mut()
            .poll(&mut std::task::Context::from_waker(&waker))
    })
    .await;
    quiet
        .armed
        .store(false, std::sync::atomic::Ordering::Release);
    output
}

/// A call's caller, waiting for the answer. If it stops waiting first
/// (cancelled, or out of time), the call's pending entry is forgotten: it
/// would otherwise stay until the connection ends if the answer never came
/// (a request never written). A live query's start is kept: its answer
/// registers the live query, which the server runs either way.
pub(super) struct Waiting<'a> {
    current: &'a Current,
    id: i64,
}

impl<'a> Waiting<'a> {
    pub(super) fn new(current: &'a Current, id: i64) -> Self {
        Self { current, id }
    }

    /// The answer came (or the call failed): its entry is gone already.
    pub(super) fn answered(self) {
        std::mem::forget(self);
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.current.get() {
            if let Some(pending) = connection.pending().as_mut() {
                if pending
                    .get(&self.id)
                    .is_some_and(|call| call.live.is_none())
                {
                    pending.remove(&self.id);
                }
            }
        }
    }
}

/// Sends a request: on the connection being served, from the caller's own
/// task, or through the driver's queue when there is none or another
/// caller is writing (waiting for that writer would put this caller's
/// thread to sleep and cost a wake; the driver sends what queued up meanwhile in
/// one write). Its answer comes through `outgoing.reply`.
pub(super) async fn send(
    shared: &Shared,
    current: &Current,
    queue: &mpsc::UnboundedSender<Outgoing>,
    outgoing: Outgoing,
) -> surrealdb::Result<()> {
    let unsent = match current.get() {
        Some(connection) => match connection.sink.try_lock() {
            Ok(sink) => match connection.send(shared, sink, vec![outgoing]).await {
                Ok(unsent) => unsent,
                Err(reason) => {
                    // Its call fails with the others in flight.
                    connection.fail(reason);
                    Vec::new()
                }
            },
            Err(_) => vec![outgoing],
        },
        None => vec![outgoing],
    };
    for outgoing in unsent {
        if queue.send(outgoing).is_err() {
            return Err(connection_error(format!(
                "the connection to {} is closed",
                shared.url
            )));
        }
    }
    Ok(())
}

/// Runs the link until it is closed, or its connection is lost for good.
pub(super) async fn run(
    shared: Arc<Shared>,
    endpoint: Endpoint,
    socket: Socket,
    current: Arc<Current>,
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
) {
    let mut socket = Some(socket);
    let final_reason = loop {
        let Some(open) = socket.take() else {
            break None;
        };
        match serve(&shared, open, &current, &mut queue).await {
            Ended::Closed => break None,
            Ended::Lost(reason) => {
                if !shared.policy.enabled {
                    break Some(format!("{reason}; reconnecting is off"));
                }
                shared.set_state(State::Reconnecting, Some(reason.clone()));
                match reconnect(&shared, &endpoint, &reason).await {
                    Ok(new) => {
                        socket = Some(new);
                        shared.set_state(State::Connected, None);
                    }
                    Err(reason) => break reason,
                }
            }
        }
    };
    shared.set_state(State::Disconnected, final_reason.clone());
    // Whatever was queued meanwhile fails, and so does all that comes later
    // (the channel closes with this receiver).
    queue.close();
    let message = match &final_reason {
        Some(reason) => format!("the connection to {} is closed: {reason}", shared.url),
        None => format!("the connection to {} is closed", shared.url),
    };
    while let Ok(outgoing) = queue.try_recv() {
        let _ = outgoing.reply.send(Err(connection_error(message.clone())));
    }
    shared.hub.end_all();
}

/// Opens the connection again, as the policy says, and restores the
/// sessions and live queries on it. Err(None) when the link was closed
/// meanwhile; Err(Some(reason)) when the attempts are spent.
async fn reconnect(
    shared: &Shared,
    endpoint: &Endpoint,
    lost: &str,
) -> Result<Socket, Option<String>> {
    let policy = &shared.policy;
    let mut attempt = 0u32;
    let mut last = lost.to_owned();
    loop {
        if policy.attempts.is_some_and(|attempts| attempt >= attempts) {
            return Err(Some(format!(
                "{lost}; {attempt} reconnect attempt{} failed (the last: {last})",
                if attempt == 1 { "" } else { "s" }
            )));
        }
        let wait = policy.delay(attempt);
        attempt += 1;
        tokio::select! {
            _ = shared.closed.cancelled() => return Err(None),
            _ = tokio::time::sleep(wait) => {}
        }
        let opened = tokio::select! {
            _ = shared.closed.cancelled() => return Err(None),
            opened = endpoint.open(shared.heartbeat.timeout) => opened,
        };
        match opened {
            Ok(mut socket) => match restore(shared, &mut socket).await {
                Ok(()) => return Ok(socket),
                Err(reason) => last = reason,
            },
            Err(reason) => last = reason,
        }
    }
}

/// Serves one connection: until it is lost, or the link is closed.
async fn serve(
    shared: &Shared,
    socket: Socket,
    current: &Current,
    queue: &mut mpsc::UnboundedReceiver<Outgoing>,
) -> Ended {
    let generation = shared.status.borrow().generation;
    let (sink, mut stream) = socket.split();
    let connection = Arc::new(Connection::new(sink, generation));
    current.set(Some(Arc::clone(&connection)));
    let heartbeat = shared.heartbeat.clone();
    let mut ticks =
        tokio::time::interval_at(Instant::now() + heartbeat.interval, heartbeat.interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // The heartbeat in flight: its request id and its deadline.
    let mut beat: Option<(i64, Instant)> = None;
    let ended = loop {
        let deadline = beat.map(|(_, deadline)| deadline);
        tokio::select! {
            biased;
            _ = shared.closed.cancelled() => {
                let sink = connection.sink.lock().await;
                let _ = connection.write(sink, vec![Message::Close(None)], &heartbeat).await;
                break Ended::Closed;
            }
            reason = connection.failed() => break Ended::Lost(reason),
            message = stream.next() => match message {
                Some(Ok(Message::Binary(bytes))) => {
                    let unclaimed = dispatch(shared, &connection, &bytes);
                    if unclaimed.is_some() && unclaimed == beat.map(|(id, _)| id) {
                        beat = None;
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    break Ended::Lost(match frame {
                        Some(frame) if !frame.reason.is_empty() => {
                            format!("the server closed the connection ({})", frame.reason)
                        }
                        _ => "the server closed the connection".to_owned(),
                    })
                }
                Some(Ok(_)) => {} // pings are answered by tungstenite; text is not ours
                Some(Err(error)) => break Ended::Lost(error.to_string()),
                None => break Ended::Lost("the server closed the connection".to_owned()),
            },
            outgoing = queue.recv() => {
                let Some(first) = outgoing else { break Ended::Closed };
                // Whatever else is queued goes in the same write.
                let mut batch = vec![first];
                while batch.len() < 256 {
                    match queue.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let sink = connection.sink.lock().await;
                match connection.send(shared, sink, batch).await {
                    // It serves no other connection: its own is served.
                    Ok(unsent) => debug_assert!(unsent.is_empty()),
                    Err(reason) => break Ended::Lost(reason),
                }
            }
            _ = ticks.tick(), if beat.is_none() => {
                let id = shared.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Ok(ping) = encode_request(id, "ping", Vec::new(), None, None) else { continue };
                let sink = connection.sink.lock().await;
                match connection.write(sink, vec![Message::Binary(ping.into())], &heartbeat).await {
                    Ok(()) => beat = Some((id, Instant::now() + heartbeat.timeout)),
                    Err(reason) => break Ended::Lost(reason),
                }
            }
            _ = async { sleep_until(deadline.unwrap_or_else(Instant::now)).await }, if deadline.is_some() => {
                break Ended::Lost(format!(
                    "the server did not answer a heartbeat within {} ms",
                    heartbeat.timeout.as_millis()
                ));
            }
        }
    };
    current.set(None);
    // No call is registered on it from here on: those that come wait in the
    // queue for the next connection.
    let pending = connection.pending().take().unwrap_or_default();
    let message = match &ended {
        Ended::Closed => format!("the connection to {} was closed", shared.url),
        Ended::Lost(reason) => format!(
            "the connection to {} was lost ({reason}) while the call was in flight: \
             its outcome is unknown, and a write may or may not have been applied",
            shared.url
        ),
    };
    for (_, call) in pending {
        let _ = call.reply.send(Err(connection_error(message.clone())));
    }
    ended
}

fn stalled(heartbeat: &super::Heartbeat) -> String {
    format!(
        "the server took no data for {} ms",
        heartbeat.timeout.as_millis()
    )
}

/// A call inside a transaction whose connection is gone.
pub(super) fn transaction_lost(url: &str) -> surrealdb::Error {
    connection_error(format!(
        "the connection to {url} was lost since the transaction began: the server has \
         discarded it, and nothing of it was committed"
    ))
}

/// A message from the server, verified but not yet decoded.
enum Incoming<'a> {
    /// The answer to request `id`: its result (None: the message has
    /// none), or its error.
    Answer(i64, surrealdb::Result<Option<fb::Value<'a>>>),
    Notification(Notification),
    /// Not for anyone (an answer without an id, or undecodable).
    Other,
}

/// Reads a message. Not through `surrealdb_rpc::db_response_from_bytes`,
/// which refuses a KILLED notification and takes any answer that is an
/// object with `id` and `action` fields (a record, say) for a notification.
fn decode(bytes: &[u8]) -> Incoming<'_> {
    let Some(message) = transcode::root(bytes) else {
        return Incoming::Other;
    };
    match transcode::field(message, "id") {
        Some(id) => match id.value_as_int_64() {
            Some(id) => {
                let answer = match transcode::field(message, "error") {
                    Some(error) => Err(server_error(error)),
                    None => Ok(transcode::field(message, "result")),
                };
                Incoming::Answer(id.value(), answer)
            }
            None => Incoming::Other,
        },
        None => match transcode::field(message, "result")
            .and_then(|result| transcode::decode(result).ok())
            .and_then(notification)
        {
            Some(notification) => Incoming::Notification(notification),
            None => Incoming::Other,
        },
    }
}

/// The error a server answered.
fn server_error(error: fb::Value<'_>) -> surrealdb::Error {
    transcode::decode(error)
        .and_then(surrealdb::Error::from_value)
        .unwrap_or_else(|error| {
            surrealdb::Error::internal(format!("undecodable error from the server: {error}"))
        })
}

/// An answer's result as a value (NONE where it has none).
fn value(result: Option<fb::Value<'_>>) -> surrealdb::Result<Value> {
    result.map_or(Ok(Value::None), transcode::decode)
}

/// A live query's notification: `{id, action, record, result}`.
fn notification(value: Value) -> Option<Notification> {
    let Value::Object(mut object) = value else {
        return None;
    };
    let Some(Value::Uuid(id)) = object.remove("id") else {
        return None;
    };
    let action = match object.remove("action") {
        Some(Value::String(action)) => match action.as_str() {
            "CREATE" => Action::Create,
            "UPDATE" => Action::Update,
            "DELETE" => Action::Delete,
            "KILLED" => Action::Killed,
            _ => return None,
        },
        _ => return None,
    };
    Some(Notification::new(
        id,
        None,
        action,
        object.remove("record").unwrap_or_default(),
        object.remove("result").unwrap_or_default(),
    ))
}

/// A query's answer: one result per statement.
fn query_results(value: Value) -> surrealdb::Result<Vec<surrealdb_rpc::QueryResult>> {
    let Value::Array(results) = value else {
        return Err(super::not_results());
    };
    results
        .into_iter()
        .map(surrealdb_rpc::QueryResult::from_value)
        .collect()
}

/// Routes one message: an answer to its caller, a notification to its live
/// query's subscriber. Answers the id of an answer nobody waits for.
fn dispatch(shared: &Shared, connection: &Connection, bytes: &[u8]) -> Option<i64> {
    match decode(bytes) {
        Incoming::Answer(id, answer) => {
            let call = connection
                .pending()
                .as_mut()
                .and_then(|pending| pending.remove(&id));
            let Some(call) = call else {
                return Some(id);
            };
            let result = match answer {
                Err(error) => Err(error),
                Ok(Some(result)) if call.encoded => {
                    transcode::statements(result).map(Answer::Encoded)
                }
                Ok(result) if call.query => value(result).and_then(query_results).map(|results| {
                    if let Some(start) = call.live {
                        register_live(shared, start, &results);
                    }
                    Answer::Decoded(DbResult::Query(results))
                }),
                Ok(result) => value(result).map(|value| Answer::Decoded(DbResult::Other(value))),
            };
            let _ = call.reply.send(result);
            None
        }
        Incoming::Notification(notification) => {
            notify(shared, notification);
            None
        }
        Incoming::Other => None,
    }
}

/// The id of the one live query `results` started, if exactly one did.
pub(super) fn started_live(results: &[surrealdb_rpc::QueryResult]) -> Option<Uuid> {
    let mut started =
        results
            .iter()
            .filter_map(|result| match (&result.result, result.query_type) {
                (Ok(Value::Uuid(id)), QueryType::Live) => Some(id.into_inner()),
                _ => None,
            });
    let first = started.next()?;
    started.next().is_none().then_some(first)
}

/// Subscribes the sink of a live query that just started, before any of its
/// notifications can be read. If the SurrealQL did not start exactly one,
/// the sink is dropped (its subscriber ends) and the caller reports it.
pub(super) fn register_live(
    shared: &Shared,
    start: LiveStart,
    results: &[surrealdb_rpc::QueryResult],
) {
    let Some(id) = started_live(results) else {
        return;
    };
    let Some(sink) = start.sink.take() else {
        return;
    };
    let restartable = is_live_alone(&start.sql);
    {
        let mut lives = shared.lives();
        lives.routes.insert(id, id);
        lives.records.insert(
            id,
            LiveRecord {
                session: start.session,
                sql: start.sql,
                bindings: start.bindings,
                server_id: id,
                restartable,
                subscribers: vec![id],
            },
        );
    }
    shared.hub.subscribe(id, start.serial, sink);
}

/// Hands a notification to its subscriber, under the id the subscriber
/// knows. The server's notifications carry the record's id, which the
/// subscriber gets as it is.
pub(super) fn notify(shared: &Shared, notification: Notification) {
    let server_id = notification.id.into_inner();
    let subscribers = {
        let mut lives = shared.lives();
        let Some(key) = lives.routes.get(&server_id).copied() else {
            return;
        };
        let subscribers = match lives.records.get(&key) {
            Some(record) => record.subscribers.clone(),
            None => return,
        };
        if matches!(notification.action, Action::Killed) {
            lives.routes.remove(&server_id);
            lives.records.remove(&key);
        }
        subscribers
    };
    deliver_to(
        shared,
        &subscribers,
        notification.action,
        notification.record,
        notification.result,
    );
}

/// Hands one notification to each of `subscribers`, under its own id.
fn deliver_to(shared: &Shared, subscribers: &[Uuid], action: Action, record: Value, result: Value) {
    let Some((last, others)) = subscribers.split_last() else {
        return;
    };
    for id in others {
        let copy = Notification::new((*id).into(), None, action, record.clone(), result.clone());
        shared.hub.deliver(copy);
    }
    shared.hub.deliver(Notification::new(
        (*last).into(),
        None,
        action,
        record,
        result,
    ));
}

/// Whether `sql` is one statement (a LIVE SELECT, when it starts a live
/// query): running it again runs nothing else again.
pub(super) fn is_live_alone(sql: &str) -> bool {
    surrealdb_syn::parse(sql).is_ok_and(|ast| ast.expressions.len() == 1)
}

/// One request on a connection being restored, and its answer; whatever
/// else arrives meanwhile is not for anyone yet.
async fn exchange(
    shared: &Shared,
    socket: &mut Socket,
    method: &str,
    params: Vec<Value>,
    session: Uuid,
) -> Result<surrealdb::Result<DbResult>, String> {
    let limit = shared.heartbeat.answer_limit();
    let id = shared
        .next_id
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let message = encode_request(id, method, params, Some(session), None)
        .map_err(|error| error.message().to_owned())?;
    match timeout(limit, socket.send(Message::Binary(message.into()))).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return Err(error.to_string()),
        Err(_) => return Err(stalled(&shared.heartbeat)),
    }
    let deadline = Instant::now() + limit;
    loop {
        let message = match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => {
                return Err(format!(
                    "the server did not answer '{method}' within {} ms while the connection was restored",
                    limit.as_millis()
                ))
            }
            Ok(None) => return Err("the server closed the connection".to_owned()),
            Ok(Some(Err(error))) => return Err(error.to_string()),
            Ok(Some(Ok(message))) => message,
        };
        let Message::Binary(bytes) = message else {
            continue;
        };
        if let Incoming::Answer(answer, outcome) = decode(&bytes) {
            if answer == id {
                return Ok(outcome.and_then(value).and_then(|value| match method {
                    "query" => query_results(value).map(DbResult::Query),
                    _ => Ok(DbResult::Other(value)),
                }));
            }
        }
    }
}

/// Restores every session on a new connection, then starts every live
/// query again. Err: the connection failed meanwhile.
async fn restore(shared: &Shared, socket: &mut Socket) -> Result<(), String> {
    let sessions: Vec<_> = shared.sessions().values().cloned().collect();
    let generation = shared.status.borrow().generation + 1;
    let mut unattached = HashMap::new();
    for record in sessions {
        let mut replay = record.replay();
        while let Some((method, params)) = replay.next_step() {
            let outcome = exchange(shared, socket, method, params, record.id).await?;
            replay.answer(outcome);
        }
        // One the server refused to attach is set up again at its next
        // call; its live queries end.
        if let Err(error) = record.restored(replay, generation) {
            unattached.insert(record.id, error);
        }
    }
    for live in restart::restarts(shared, &unattached) {
        let outcome = exchange(shared, socket, "query", live.params, live.session).await?;
        match restart::restarted(outcome) {
            Ok(server_id) => restart::reroute(shared, live.key, server_id),
            Err(message) => end_live(shared, live.key, message),
        }
    }
    Ok(())
}

/// Ends a live query the link can no longer keep: its subscriber gets the
/// reason as an error notification, then its end.
pub(super) fn end_live(shared: &Shared, key: Uuid, message: String) {
    let subscribers = {
        let mut lives = shared.lives();
        let Some(record) = lives.records.remove(&key) else {
            return;
        };
        lives.routes.remove(&record.server_id);
        record.subscribers
    };
    deliver_to(
        shared,
        &subscribers,
        Action::Error,
        Value::None,
        Value::String(message),
    );
    deliver_to(
        shared,
        &subscribers,
        Action::Killed,
        Value::None,
        Value::None,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll};
    use tokio::net::TcpListener;
    use tokio_tungstenite::tungstenite::protocol::Role;

    /// Counts the wakes of the task it stands for.
    #[derive(Default)]
    struct Wakes(AtomicUsize);
    impl futures::task::ArcWake for Wakes {
        fn wake_by_ref(wakes: &Arc<Self>) {
            wakes.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A client socket (split) and the server's end of it.
    async fn pair() -> (
        SplitSink<WebSocketStream<TcpStream>, Message>,
        futures::stream::SplitStream<WebSocketStream<TcpStream>>,
        WebSocketStream<TcpStream>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        let client = WebSocketStream::from_raw_socket(client.unwrap(), Role::Client, None).await;
        let server =
            WebSocketStream::from_raw_socket(accepted.unwrap().0, Role::Server, None).await;
        let (sink, stream) = client.split();
        (sink, stream, server)
    }

    /// Writes "request" from a task whose wakes `wakes` counts, as a caller
    /// does, then lets the reader read the server's answer, and answers how
    /// often the writer was woken after its write was done.
    async fn wakes_of_a_writer_when_an_answer_is_read(quiet: bool) -> usize {
        let (mut sink, mut stream, mut server) = pair().await;
        let wakes = Arc::new(Wakes::default());
        let waker = futures::task::waker(Arc::clone(&wakes));
        let mut cx = Context::from_waker(&waker);
        let write = async {
            sink.feed(Message::Binary("request".into())).await?;
            sink.flush().await
        };
        let written = if quiet {
            std::pin::pin!(quietly(write)).poll(&mut cx)
        } else {
            std::pin::pin!(write).poll(&mut cx)
        };
        assert!(
            matches!(written, Poll::Ready(Ok(()))),
            "a small write is done at once"
        );
        // The reader waits for the answer, the server sends it, the reader reads it.
        let mut reader_cx = Context::from_waker(futures::task::noop_waker_ref());
        assert!(stream.poll_next_unpin(&mut reader_cx).is_pending());
        assert_eq!(
            server.next().await.unwrap().unwrap(),
            Message::Binary("request".into())
        );
        server.send(Message::Binary("answer".into())).await.unwrap();
        let answer = stream.next().await.unwrap().unwrap();
        assert_eq!(answer, Message::Binary("answer".into()));
        wakes.0.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn a_caller_that_stops_waiting_leaves_no_pending_call() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, _accepted) = tokio::join!(client, listener.accept());
        let client = MaybeTlsStream::Plain(client.unwrap());
        let client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        let connection = Arc::new(Connection::new(client.split().0, 1));
        let current = Current::default();
        current.set(Some(Arc::clone(&connection)));
        unsafe extern "C" fn ignore(_: *mut std::ffi::c_void, _: *const u8, _: usize) {}
        let mut answers = Vec::new();
        for id in [1, 2, 3] {
            let (reply, answer) = tokio::sync::oneshot::channel();
            answers.push(answer);
            // Call 3 starts a live query.
            let live = (id == 3).then(|| LiveStart {
                session: Uuid::new_v4(),
                serial: 0,
                sql: "LIVE SELECT * FROM person".to_owned(),
                bindings: None,
                sink: super::super::PendingSink::new(
                    crate::live::Sink::new(Some(ignore), std::ptr::null_mut()).unwrap(),
                ),
            });
            let call = Pending {
                reply,
                query: true,
                encoded: false,
                live,
            };
            connection.pending().as_mut().unwrap().insert(id, call);
        }
        let pending = |id| connection.pending().as_ref().unwrap().contains_key(&id);
        // Call 1's caller stops waiting; call 2's is answered; call 3's
        // caller stops waiting, but its live query will start regardless.
        drop(Waiting::new(&current, 1));
        Waiting::new(&current, 2).answered();
        drop(Waiting::new(&current, 3));
        assert!(!pending(1));
        assert!(pending(2));
        assert!(pending(3));
    }

    #[tokio::test]
    async fn a_caller_that_wrote_is_not_woken_by_the_answers_read_after() {
        assert_eq!(wakes_of_a_writer_when_an_answer_is_read(true).await, 0);
    }

    /// What `quietly` is for: without it, tokio-tungstenite wakes the last
    /// writer whenever the socket becomes readable. If this starts failing,
    /// a newer tokio-tungstenite has stopped doing so and `quietly` can go.
    #[tokio::test]
    async fn without_quietly_the_last_writer_is_woken_by_a_read() {
        assert!(wakes_of_a_writer_when_an_answer_is_read(false).await >= 1);
    }
}
