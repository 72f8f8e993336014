//! A client for SurrealDB's RPC protocol over WebSocket (`ws://`, `wss://`)
//! and gRPC (`grpc://`, `grpcs://`, in `grpc.rs`: the same rules, with a
//! typed call for each request), written for connections that must survive: the SDK's own WebSocket client
//! neither fails the calls in flight when its socket drops nor tells anyone
//! it is reconnecting, retries at a fixed second, pings without waiting for
//! an answer, and ends every live query on a reconnect.
//!
//! One [`Link`] per server connection; every session of a `Database` is a
//! [`Session`] over it, multiplexed by SurrealDB 3's session ids. The
//! connection itself belongs to one task, the driver (`driver.rs`), which
//! owns the socket and the calls in flight:
//!
//! - **A drop fails every call in flight at once** with a connection error
//!   saying that a write's outcome is unknown. A socket that stops answering
//!   without closing (a half-open connection) is found by the heartbeat: a
//!   `ping` whose answer does not come within the heartbeat's timeout counts
//!   as a drop.
//! - **Reconnects follow the policy** ([`ReconnectPolicy`]): a growing,
//!   jittered delay, a cap, and a number of attempts. Calls made meanwhile
//!   wait for the connection (up to their own deadline); with reconnecting
//!   off, or once the attempts are spent, they fail at once.
//! - **Every session comes back as it was** (`session.rs`): namespace,
//!   database, variables and authentication, replayed before any call of the
//!   application runs on the new connection. A session whose authentication
//!   cannot be restored says so on its next call instead of going on signed
//!   out.
//! - **Live queries survive**: each is started again on the new connection
//!   and its notifications go on reaching the same subscriber, under the id
//!   it was first given.
//! - **The state is visible**: [`State`], read at any time, and delivered in
//!   order to listeners ([`Listeners`]).
//!
//! Requests and answers are encoded as the SDK's own client encodes them
//! (`surrealdb_types::encode`, the `flatbuffers` sub-protocol), and decoded
//! with `surrealdb_rpc`'s own decoder.

mod driver;
mod grpc;
mod listeners;
mod restart;
mod session;
mod transcode;
pub mod verbs;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use surrealdb::types::{ConnectionError, Number, Object, Value};
use surrealdb_rpc::DbResult;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::error::{FfiError, FfiResult};
use crate::live::{LiveHub, Sink};
use crate::runtime;

pub use listeners::{Listeners, SurrealStateListener};
use session::SessionRecord;
pub use session::{Session, Transaction};

/// The state of a connection, as the C ABI numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum State {
    Connecting = 0,
    Connected = 1,
    Reconnecting = 2,
    Disconnected = 3,
}

/// When and how often a dropped connection is opened again.
#[derive(Debug, Clone)]
pub struct ReconnectPolicy {
    pub enabled: bool,
    /// None: no limit.
    pub attempts: Option<u32>,
    /// Before the first attempt.
    pub delay: Duration,
    /// The cap of the growing delay.
    pub max_delay: Duration,
    pub multiplier: f64,
    /// The fraction each delay varies by, at random, either way.
    pub jitter: f64,
}

impl Default for ReconnectPolicy {
    /// A production client's: it keeps trying, first soon, then every 10 s
    /// at most, spread so that many clients of one restarted server do not
    /// all come back in the same millisecond.
    fn default() -> Self {
        Self {
            enabled: true,
            attempts: None,
            delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            multiplier: 2.0,
            jitter: 0.1,
        }
    }
}

impl ReconnectPolicy {
    /// The delay before attempt `attempt` (0 for the first).
    pub fn delay(&self, attempt: u32) -> Duration {
        let grown = self.delay.as_secs_f64() * self.multiplier.powi(attempt.min(1_000) as i32);
        let capped = grown.min(self.max_delay.as_secs_f64());
        let spread = capped * self.jitter * (2.0 * fastrand::f64() - 1.0);
        Duration::from_secs_f64((capped + spread).max(0.0))
    }
}

/// How a socket that stopped answering is found.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    /// How often the connection is checked.
    pub interval: Duration,
    /// How long an answer may take before the connection counts as dropped;
    /// also the limit of a reconnect's handshake.
    pub timeout: Duration,
}

impl Heartbeat {
    /// How long a call made by the connection itself may wait for its answer:
    /// a session's replay after a reconnect, or a live query's subscription.
    /// The heartbeat's deadline, but never under a second, so that a short
    /// heartbeat tuned to find dead sockets fast does not fail a replay that a
    /// busy server answers a little late.
    pub fn answer_limit(&self) -> Duration {
        self.timeout.max(Duration::from_secs(1))
    }
}

impl Default for Heartbeat {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(5),
        }
    }
}

/// A connection's state, and which connection it is: each successful
/// (re)connect counts one up, so that a transaction can tell that the
/// connection it began on is gone.
#[derive(Debug, Clone)]
struct Status {
    state: State,
    generation: u64,
    /// Why it is reconnecting or disconnected.
    reason: Option<String>,
}

/// A live query of a session over this link: what starts it again on a new
/// connection, and where its notifications go.
///
/// A session's live queries with the same SurrealQL (the LIVE statement
/// alone) and the same bindings share one on the server, and each
/// notification is handed to every subscriber: SurrealDB sends a
/// connection's notifications through a queue of 100
/// (`SURREAL_WEBSOCKET_RESPONSE_CHANNEL_SIZE`) and closes the connection
/// when a write fills it, which 1,000 live queries on one table did with
/// every write.
struct LiveRecord {
    session: Uuid,
    sql: String,
    bindings: Option<Value>,
    /// Its id on the current connection.
    server_id: Uuid,
    /// Whether its SurrealQL is the LIVE statement alone, and so can run
    /// again (or be shared) without running anything else a second time.
    restartable: bool,
    /// The ids its subscribers know: the first is the id the server gave
    /// it first; the others are this library's.
    subscribers: Vec<Uuid>,
}

/// What forgetting a subscriber of a live query leaves to do.
pub enum Forgotten {
    /// No live query of this link has it.
    Unknown,
    /// Others share its live query, which goes on.
    Shared,
    /// It was the last: the live query with this id on the server is to be
    /// killed.
    Last(Uuid),
}

/// The live queries of a link, by the id their subscriber knows, and the
/// route from the current connection's ids to those.
#[derive(Default)]
struct Lives {
    records: HashMap<Uuid, LiveRecord>,
    routes: HashMap<Uuid, Uuid>,
}

/// A query answered with something other than one result per statement.
fn not_results() -> surrealdb::Error {
    surrealdb::Error::internal(
        "the server answered a query with something other than its results".to_owned(),
    )
}

/// A call's answer.
pub(super) enum Answer {
    /// Decoded into SurrealDB values.
    Decoded(DbResult),
    /// A query's statements, each result CBOR already (a call that asked
    /// for it, on a WebSocket connection: see transcode.rs).
    Encoded(Vec<transcode::Statement>),
}

/// A request for the driver: the encoded message, and where its answer goes.
struct Outgoing {
    id: i64,
    message: Vec<u8>,
    reply: oneshot::Sender<surrealdb::Result<Answer>>,
    /// A `query`: its answer is one result per statement.
    query: bool,
    /// A `query` whose results are wanted as CBOR (`Answer::Encoded`).
    encoded: bool,
    /// Set for a call inside a transaction: the connection it began on. On
    /// any other the transaction is gone, so the call is not sent.
    generation: Option<u64>,
    /// Set for a live query's start: its subscriber, registered by the
    /// driver when the answer arrives, before the next message (which may
    /// be its first notification) is read.
    live: Option<LiveStart>,
}

struct LiveStart {
    session: Uuid,
    serial: u64,
    sql: String,
    bindings: Option<Value>,
    sink: PendingSink,
}

/// The subscriber of a live query being started: the driver takes it when
/// the live query has started, and it stays with the caller otherwise (so
/// that a start that lost a conflict can try again with it).
#[derive(Clone)]
pub struct PendingSink(Arc<Mutex<Option<Sink>>>);

impl PendingSink {
    pub fn new(sink: Sink) -> Self {
        Self(Arc::new(Mutex::new(Some(sink))))
    }

    fn take(&self) -> Option<Sink> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// What the link and its driver share.
struct Shared {
    url: String,
    policy: ReconnectPolicy,
    heartbeat: Heartbeat,
    status: watch::Sender<Status>,
    listeners: Arc<Listeners>,
    sessions: Mutex<HashMap<Uuid, Arc<SessionRecord>>>,
    lives: Mutex<Lives>,
    /// Held while a live query that may be shared starts, so that the same
    /// one started many times at once is started on the server once (and
    /// the starts of different ones, which write the same table catalog,
    /// do not conflict).
    live_starts: tokio::sync::Mutex<()>,
    hub: Arc<LiveHub>,
    next_id: AtomicI64,
    /// Cancelled when the last handle closes: the driver ends.
    closed: CancellationToken,
    /// Numbers the sessions for the live hub.
    serials: AtomicU64,
}

impl Shared {
    fn new(
        url: &str,
        policy: ReconnectPolicy,
        heartbeat: Heartbeat,
        hub: Arc<LiveHub>,
    ) -> Arc<Shared> {
        let (status, _) = watch::channel(Status {
            state: State::Connecting,
            generation: 0,
            reason: None,
        });
        Arc::new(Shared {
            url: url.to_owned(),
            policy,
            heartbeat,
            status,
            listeners: Arc::default(),
            sessions: Mutex::default(),
            lives: Mutex::default(),
            live_starts: tokio::sync::Mutex::new(()),
            hub,
            next_id: AtomicI64::new(1),
            closed: CancellationToken::new(),
            serials: AtomicU64::new(0),
        })
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<Uuid, Arc<SessionRecord>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lives(&self) -> MutexGuard<'_, Lives> {
        self.lives.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves to `state`, telling the listeners.
    fn set_state(&self, state: State, reason: Option<String>) {
        let mut changed = false;
        self.status.send_modify(|status| {
            changed = status.state != state;
            if state == State::Connected && changed {
                status.generation += 1;
            }
            status.state = state;
            status.reason = reason;
        });
        if changed {
            self.listeners.notify(state);
        }
    }
}

/// A connection error, as the SDK's own are made.
fn connection_error(message: String) -> surrealdb::Error {
    surrealdb::Error::connection(message, ConnectionError::ConnectionFailed)
}

/// How a link reaches its server.
#[derive(Clone)]
enum Transport {
    /// A WebSocket, which the driver serves (`driver.rs`): a request is
    /// written by its caller to the connection being served, and goes
    /// through the driver's queue only while there is none.
    Socket {
        current: Arc<driver::Current>,
        queue: mpsc::UnboundedSender<Outgoing>,
    },
    /// SurrealDB's gRPC service (`grpc.rs`).
    Grpc(Arc<grpc::Wire>),
}

/// One server connection, shared by its sessions. Closing the last handle
/// ends the driver and closes the socket.
#[derive(Clone)]
pub struct Link {
    shared: Arc<Shared>,
    transport: Transport,
}

impl Link {
    /// Connects to the server at `url` (`ws://` or `wss://`): answers once the
    /// first connection is open, or its error. A first connection is not
    /// retried: a wrong address should say so at once.
    pub async fn connect(
        url: &str,
        connector: Option<native_tls::TlsConnector>,
        policy: ReconnectPolicy,
        heartbeat: Heartbeat,
        hub: Arc<LiveHub>,
    ) -> FfiResult<Link> {
        let endpoint = driver::Endpoint::new(url, connector)?;
        let shared = Shared::new(url, policy, heartbeat, hub);
        let socket = endpoint
            .open(shared.heartbeat.timeout)
            .await
            .map_err(|reason| FfiError::connection(format!("cannot open {url}: {reason}")))?;
        let (requests, queue) = mpsc::unbounded_channel();
        let current = Arc::new(driver::Current::default());
        shared.set_state(State::Connected, None);
        runtime::spawn(driver::run(
            Arc::clone(&shared),
            endpoint,
            socket,
            Arc::clone(&current),
            queue,
        ))?;
        Ok(Link {
            shared,
            transport: Transport::Socket {
                current,
                queue: requests,
            },
        })
    }

    /// Connects to the server at `url` (`grpc://` or `grpcs://`), as
    /// [`Link::connect`] does; `ca_file` adds certificate authorities to the
    /// system's for `grpcs://`.
    pub async fn connect_grpc(
        url: &str,
        ca_file: Option<&std::path::Path>,
        policy: ReconnectPolicy,
        heartbeat: Heartbeat,
        hub: Arc<LiveHub>,
    ) -> FfiResult<Link> {
        let (wire, drops) = grpc::Wire::new(url, ca_file, &heartbeat)?;
        let shared = Shared::new(url, policy, heartbeat, hub);
        let conn = wire
            .open(1, shared.heartbeat.timeout)
            .await
            .map_err(|reason| FfiError::connection(format!("cannot open {url}: {reason}")))?;
        wire.install(conn);
        shared.set_state(State::Connected, None);
        runtime::spawn(grpc::run(Arc::clone(&shared), Arc::clone(&wire), drops))?;
        Ok(Link {
            shared,
            transport: Transport::Grpc(wire),
        })
    }

    pub fn state(&self) -> State {
        self.shared.status.borrow().state
    }

    pub fn listeners(&self) -> Arc<Listeners> {
        Arc::clone(&self.shared.listeners)
    }

    /// A new session: no namespace, database, authentication or variables.
    pub fn session(&self) -> Session {
        Session::new(self.clone())
    }

    /// Ends the driver: calls in flight fail, the socket closes.
    pub fn close(&self) {
        self.shared.closed.cancel();
    }

    /// Waits until the connection is up (or fails as the policy says), and
    /// answers which connection it is.
    async fn connected(&self) -> surrealdb::Result<u64> {
        let mut status = self.shared.status.subscribe();
        loop {
            {
                let now = status.borrow_and_update();
                match now.state {
                    State::Connected => return Ok(now.generation),
                    State::Disconnected => {
                        let reason = now.reason.clone().unwrap_or_default();
                        return Err(connection_error(format!(
                            "the connection to {} is closed{}",
                            self.shared.url,
                            if reason.is_empty() {
                                String::new()
                            } else {
                                format!(": {reason}")
                            }
                        )));
                    }
                    State::Connecting | State::Reconnecting => {}
                }
            }
            if status.changed().await.is_err() {
                return Err(connection_error(format!(
                    "the connection to {} is closed",
                    self.shared.url
                )));
            }
        }
    }

    /// Sends one request and waits for its answer.
    async fn send(
        &self,
        method: &str,
        params: Vec<Value>,
        session: Uuid,
        txn: Option<(Uuid, u64)>,
        live: Option<LiveStart>,
    ) -> surrealdb::Result<DbResult> {
        match self
            .request(method, params, session, txn, live, false)
            .await?
        {
            Answer::Decoded(answer) => Ok(answer),
            Answer::Encoded(_) => Err(surrealdb::Error::internal(
                "the results of a query came encoded where values were asked for".to_owned(),
            )),
        }
    }

    /// Sends one request and waits for its answer; a `query` whose results
    /// are wanted `encoded` gets them as CBOR where the connection reads
    /// them in place (WebSocket), else as values.
    async fn request(
        &self,
        method: &str,
        params: Vec<Value>,
        session: Uuid,
        txn: Option<(Uuid, u64)>,
        live: Option<LiveStart>,
        encoded: bool,
    ) -> surrealdb::Result<Answer> {
        let (current, queue) = match &self.transport {
            Transport::Socket { current, queue } => (current, queue),
            // Boxed: the gRPC call's future is large, and would otherwise
            // be part of every call's (see database.rs's
            // the_future_of_a_call_stays_small).
            Transport::Grpc(wire) => {
                let call = grpc::send(self, wire, method, params, session, txn, live);
                return Box::pin(call).await.map(Answer::Decoded);
            }
        };
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let message = encode_request(id, method, params, Some(session), txn.map(|(id, _)| id))?;
        // Declared first, so dropped last: once it runs, the call's reply
        // channel is closed, and a writer that finds it queued skips it.
        let waiting = driver::Waiting::new(current, id);
        let (reply, answer) = oneshot::channel();
        let outgoing = Outgoing {
            id,
            message,
            reply,
            query: method == "query",
            encoded: encoded && method == "query",
            generation: txn.map(|(_, generation)| generation),
            live,
        };
        driver::send(&self.shared, current, queue, outgoing).await?;
        let answer = answer.await;
        waiting.answered();
        answer.unwrap_or_else(|_| {
            Err(connection_error(format!(
                "the connection to {} closed before answering",
                self.shared.url
            )))
        })
    }
}

/// Encodes one RPC request as the SDK does.
fn encode_request(
    id: i64,
    method: &str,
    params: Vec<Value>,
    session: Option<Uuid>,
    txn: Option<Uuid>,
) -> surrealdb::Result<Vec<u8>> {
    let mut request = Object::new();
    request.insert("id".to_owned(), Value::Number(Number::Int(id)));
    request.insert("method".to_owned(), Value::String(method.to_owned()));
    request.insert("params".to_owned(), Value::Array(params.into()));
    if let Some(session) = session {
        request.insert("session".to_owned(), Value::Uuid(session.into()));
    }
    if let Some(txn) = txn {
        request.insert("txn".to_owned(), Value::Uuid(txn.into()));
    }
    surrealdb::types::encode(&Value::Object(request)).map_err(|error| {
        surrealdb::Error::serialization(
            format!("{method}: cannot encode the request: {error}"),
            None,
        )
    })
}
