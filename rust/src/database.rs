//! The native database handle: an endpoint, and once connected, one SDK
//! session over a datastore this crate owns, or over a connection to a
//! SurrealDB server. Further sessions over the same datastore (or
//! connection) come from [`SurrealDatabase::new_session`].
//!
//! The datastore is built here rather than by `surrealdb::engine::any` so
//! that closing is deterministic. The SDK offers no close: the last handle's
//! drop merely tells a background task to shut the datastore down, and
//! RocksDB's directory lock is released only when the last reference to the
//! datastore goes. [`Connection::close`] therefore shuts the datastore down
//! itself and returns once that background task has let go of it, so the
//! same directory can be opened again straight away.
//!
//! A session also owns its transactions (by id: `begin` answers it) and its
//! live queries (by id, their notifications routed by [`LiveHub`]). Closing
//! the session cancels the one and kills the other.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::Either;
use futures::{FutureExt, StreamExt};
use surrealdb::engine::local::Db;
use surrealdb::method::StreamItem;
use surrealdb::opt::auth;
use surrealdb::opt::capabilities::Capabilities;
use surrealdb::types::{Notification, Object, Value};
use surrealdb::Surreal;
use surrealdb_engine_local::Datastore;
use surrealdb_rpc::QueryType;
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::cancel::SurrealCancel;
use crate::client::{on_client, Client, ClientTransaction};
use crate::error::{self, FfiError, FfiResult};
use crate::live::{self, LiveHub};
use crate::operation::{Auth, Operation, CONFLICT_ATTEMPTS};
use crate::response::{is_conflict, is_unknown_live_query, sdk_error, SurrealResponse};
use crate::{remote, rpc, runtime};

/// Live-query notifications the datastore buffers before its writers wait,
/// as the SDK's own engine sets it up.
const NOTIFICATIONS_CHANNEL_SIZE: usize = 15_000;

/// How long close waits for the SDK's session task to release the datastore
/// after shutting it down. It normally takes well under a millisecond.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a database lives: a datastore this crate opens, or a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Memory,
    /// A directory, possibly followed by the datastore's own options
    /// (`?versioned=true`), as the datastore builder takes it.
    RocksDb(String),
    SurrealKv(String),
    /// A `ws://`, `wss://`, `grpc://`, `grpcs://`, `http://` or `https://`
    /// URL.
    Remote(String),
}

/// The schemes of a remote server, with the protocol each speaks.
const REMOTE_SCHEMES: &[(&str, &str)] = &[
    ("ws://", "WebSocket"),
    ("wss://", "WebSocket"),
    ("grpc://", "gRPC"),
    ("grpcs://", "gRPC"),
    ("http://", "HTTP"),
    ("https://", "HTTP"),
];

impl Endpoint {
    pub fn parse(text: &str) -> FfiResult<Self> {
        if matches!(text, "mem://" | "memory") {
            return Ok(Endpoint::Memory);
        }
        let directory = |scheme: &str, path: &str| {
            if path.is_empty() || path.starts_with('?') {
                Err(FfiError::invalid_argument(format!(
                    "the {scheme} endpoint needs a directory path, as in {scheme}path/to/dir"
                )))
            } else {
                Ok(path.to_owned())
            }
        };
        if let Some(path) = text.strip_prefix("rocksdb://") {
            return directory("rocksdb://", path).map(Endpoint::RocksDb);
        }
        if let Some(path) = text.strip_prefix("surrealkv://") {
            return directory("surrealkv://", path).map(Endpoint::SurrealKv);
        }
        for (scheme, _) in REMOTE_SCHEMES {
            if let Some(address) = text.strip_prefix(scheme) {
                if address.is_empty() || address.starts_with('/') {
                    return Err(FfiError::invalid_argument(format!(
                        "the {scheme} endpoint needs a host, as in {scheme}127.0.0.1:8000"
                    )));
                }
                return Ok(Endpoint::Remote(text.to_owned()));
            }
        }
        Err(FfiError::invalid_argument(format!(
            "unsupported endpoint '{text}': use mem://, rocksdb://<path>, surrealkv://<path>, \
             or a server's ws://, wss://, grpc://, grpcs://, http:// or https:// address"
        )))
    }

    /// The endpoint as the datastore builder or the SDK takes it.
    fn address(&self) -> String {
        match self {
            Endpoint::Memory => "mem://".to_owned(),
            Endpoint::RocksDb(path) => format!("rocksdb://{path}"),
            Endpoint::SurrealKv(path) => format!("surrealkv://{path}"),
            Endpoint::Remote(url) => url.clone(),
        }
    }

    /// The network protocol a remote endpoint speaks; None for a datastore.
    pub fn protocol(&self) -> Option<&'static str> {
        let Endpoint::Remote(url) = self else {
            return None;
        };
        REMOTE_SCHEMES
            .iter()
            .find(|(scheme, _)| url.starts_with(scheme))
            .map(|(_, protocol)| *protocol)
    }
}

/// How to open the datastore: `surreal_db_configure`'s options, decoded.
#[derive(Default)]
pub struct Options {
    /// Root credentials: set, the datastore enforces authentication (it
    /// creates this root user if it has no users yet) and the first session
    /// signs in as it.
    root: Option<auth::Root>,
    query_timeout: Option<Duration>,
    transaction_timeout: Option<Duration>,
    capabilities: Capabilities,
    /// A PEM file of certificates to trust, besides the system's, for
    /// `wss://`, `grpcs://` and `https://`.
    ca_file: Option<PathBuf>,
    /// The options given that only a datastore this crate opens takes (a
    /// server has its own settings), for a remote endpoint to refuse.
    datastore_only: Vec<String>,
    /// How a WebSocket or gRPC connection comes back after a drop, and how a drop
    /// that closes nothing is found. Nothing else keeps a connection: a
    /// datastore this crate opens has none, and HTTP opens one per call.
    reconnect: rpc::ReconnectPolicy,
    heartbeat: rpc::Heartbeat,
}

fn option_error(message: impl std::fmt::Display) -> FfiError {
    FfiError::invalid_argument(format!("connect options: {message}"))
}

fn option_bool(value: Value, key: &str) -> FfiResult<bool> {
    match value {
        Value::Bool(flag) => Ok(flag),
        _ => Err(option_error(format!("'{key}' must be a boolean"))),
    }
}

fn option_string(value: Value, key: &str) -> FfiResult<String> {
    match value {
        Value::String(text) => Ok(text),
        _ => Err(option_error(format!("'{key}' must be a string"))),
    }
}

fn option_duration(value: Value, key: &str) -> FfiResult<Option<Duration>> {
    match value {
        Value::None | Value::Null => Ok(None),
        Value::Duration(duration) => Ok(Some(duration.into_inner())),
        _ => Err(option_error(format!("'{key}' must be a duration"))),
    }
}

/// An allow or deny list: `true` (all), `false` (none), or an array of names.
enum Targets {
    All,
    Nothing,
    Some(Vec<String>),
}

/// `reconnect`: `{enabled, attempts, delay, max_delay, multiplier, jitter}`,
/// each optional (absent: the default); `attempts` NONE or absent is no limit.
fn reconnect_policy(value: Value) -> FfiResult<rpc::ReconnectPolicy> {
    let Value::Object(object) = value else {
        return Err(option_error("'reconnect' must be an object"));
    };
    let mut policy = rpc::ReconnectPolicy::default();
    for (key, value) in object {
        let name = format!("reconnect.{key}");
        match key.as_str() {
            "enabled" => policy.enabled = option_bool(value, &name)?,
            "attempts" => {
                policy.attempts = match value {
                    Value::None | Value::Null => None,
                    Value::Number(number) => match number.to_int() {
                        Some(attempts) if attempts >= 0 => {
                            Some(attempts.min(u32::MAX as i64) as u32)
                        }
                        _ => {
                            return Err(option_error(format!(
                                "'{name}' must be a count, 0 or more"
                            )))
                        }
                    },
                    _ => {
                        return Err(option_error(format!(
                            "'{name}' must be a count, or NONE for no limit"
                        )))
                    }
                }
            }
            "delay" => policy.delay = required_duration(value, &name)?,
            "max_delay" => policy.max_delay = required_duration(value, &name)?,
            "multiplier" => policy.multiplier = option_number(value, &name, 1.0, 1_000.0)?,
            "jitter" => policy.jitter = option_number(value, &name, 0.0, 1.0)?,
            other => return Err(option_error(format!("unknown option 'reconnect.{other}'"))),
        }
    }
    if policy.max_delay < policy.delay {
        return Err(option_error(
            "'reconnect.max_delay' is shorter than 'reconnect.delay'",
        ));
    }
    Ok(policy)
}

/// `heartbeat`: `{interval, timeout}`, durations above zero.
fn heartbeat(value: Value) -> FfiResult<rpc::Heartbeat> {
    let Value::Object(object) = value else {
        return Err(option_error("'heartbeat' must be an object"));
    };
    let mut heartbeat = rpc::Heartbeat::default();
    for (key, value) in object {
        let name = format!("heartbeat.{key}");
        let duration = required_duration(value, &name)?;
        if duration.is_zero() {
            return Err(option_error(format!("'{name}' must be longer than zero")));
        }
        match key.as_str() {
            "interval" => heartbeat.interval = duration,
            "timeout" => heartbeat.timeout = duration,
            other => return Err(option_error(format!("unknown option 'heartbeat.{other}'"))),
        }
    }
    Ok(heartbeat)
}

fn required_duration(value: Value, key: &str) -> FfiResult<Duration> {
    option_duration(value, key)?.ok_or_else(|| option_error(format!("'{key}' must be a duration")))
}

/// A number from `low` to `high`.
fn option_number(value: Value, key: &str, low: f64, high: f64) -> FfiResult<f64> {
    let number = match value {
        Value::Number(number) => number.to_f64(),
        _ => None,
    };
    match number {
        Some(number) if (low..=high).contains(&number) => Ok(number),
        _ => Err(option_error(format!(
            "'{key}' must be a number from {low} to {high}"
        ))),
    }
}

fn option_targets(value: Value, key: &str) -> FfiResult<Targets> {
    match value {
        Value::Bool(true) => Ok(Targets::All),
        Value::Bool(false) => Ok(Targets::Nothing),
        Value::Array(items) => items
            .into_iter()
            .map(|item| option_string(item, key))
            .collect::<FfiResult<Vec<_>>>()
            .map(Targets::Some),
        _ => Err(option_error(format!(
            "'{key}' must be true, false or an array of names"
        ))),
    }
}

/// Sets one allow or deny list of `caps`: `all`, `none`, or `one` per name.
fn apply_targets<E: std::fmt::Display>(
    caps: &mut Capabilities,
    targets: Targets,
    all: impl FnOnce(&mut Capabilities),
    none: impl FnOnce(&mut Capabilities),
    one: impl Fn(&mut Capabilities, &str) -> Result<(), E>,
) -> FfiResult<()> {
    match targets {
        Targets::All => all(caps),
        Targets::Nothing => none(caps),
        Targets::Some(names) => {
            for name in &names {
                one(caps, name).map_err(option_error)?;
            }
        }
    }
    Ok(())
}

impl Options {
    /// Reads a map: `root` `{user, pass}`, `ca_file` (a path), `query_timeout` and
    /// `transaction_timeout` (durations), `guest_access` and
    /// `live_query_notifications` (booleans), and `allow_functions`,
    /// `deny_functions`, `allow_net`, `deny_net` (`true`, `false` or an array
    /// of names). Absent keys keep the SDK's defaults.
    pub fn from_value(value: Value) -> FfiResult<Self> {
        let Value::Object(object) = value else {
            return Err(option_error("must be an object (a CBOR map)"));
        };
        let mut options = Options::default();
        let mut caps = Capabilities::new();
        for (key, value) in object {
            if !matches!(key.as_str(), "root" | "ca_file" | "reconnect" | "heartbeat") {
                options.datastore_only.push(key.clone());
            }
            match key.as_str() {
                "root" => {
                    let Value::Object(mut root) = value else {
                        return Err(option_error("'root' must be an object {user, pass}"));
                    };
                    let mut field = |name: &str| match root.remove(name) {
                        Some(value) => option_string(value, name),
                        None => Err(option_error(format!("'root' lacks '{name}'"))),
                    };
                    options.root = Some(auth::Root {
                        username: field("user")?,
                        password: field("pass")?,
                    });
                }
                "ca_file" => options.ca_file = Some(option_string(value, &key)?.into()),
                "reconnect" => options.reconnect = reconnect_policy(value)?,
                "heartbeat" => options.heartbeat = heartbeat(value)?,
                "query_timeout" => options.query_timeout = option_duration(value, &key)?,
                "transaction_timeout" => {
                    options.transaction_timeout = option_duration(value, &key)?
                }
                "guest_access" => caps = caps.with_guest_access(option_bool(value, &key)?),
                "live_query_notifications" => {
                    caps = caps.with_live_query_notifications(option_bool(value, &key)?)
                }
                "allow_functions" => apply_targets(
                    &mut caps,
                    option_targets(value, &key)?,
                    |caps| {
                        caps.allow_all_functions();
                    },
                    |caps| {
                        caps.allow_no_functions();
                    },
                    |caps, name| caps.allow_function(name).map(|_| ()),
                )?,
                "deny_functions" => apply_targets(
                    &mut caps,
                    option_targets(value, &key)?,
                    |caps| {
                        caps.deny_all_functions();
                    },
                    |caps| {
                        caps.deny_no_functions();
                    },
                    |caps, name| caps.deny_function(name).map(|_| ()),
                )?,
                "allow_net" => apply_targets(
                    &mut caps,
                    option_targets(value, &key)?,
                    |caps| {
                        caps.allow_all_net_targets();
                    },
                    |caps| {
                        caps.allow_no_net_targets();
                    },
                    |caps, name| caps.allow_net_target(name).map(|_| ()),
                )?,
                "deny_net" => apply_targets(
                    &mut caps,
                    option_targets(value, &key)?,
                    |caps| {
                        caps.deny_all_net_targets();
                    },
                    |caps| {
                        caps.deny_no_net_targets();
                    },
                    |caps, name| caps.deny_net_target(name).map(|_| ()),
                )?,
                other => return Err(option_error(format!("unknown option '{other}'"))),
            };
        }
        options.capabilities = caps;
        Ok(options)
    }
}

/// What an engine runs on.
enum Store {
    /// A datastore this crate opened.
    Local {
        datastore: Arc<Datastore>,
        /// The datastore's notification channel, which the pump reads;
        /// closed with the datastore. None when live-query notifications
        /// are off.
        notifications: Option<async_channel::Receiver<Notification>>,
    },
    /// An HTTP connection to a SurrealDB server, which the SDK owns.
    Remote,
    /// A WebSocket or gRPC connection to a SurrealDB server, which this
    /// crate's RPC client keeps.
    Rpc(rpc::Link),
}

/// One open datastore (or server connection) and what every session over it
/// shares. The last session to close shuts it down.
struct Engine {
    endpoint: Endpoint,
    store: Store,
    /// A session that never runs anything: new sessions are clones of it,
    /// so they start fresh (no namespace, no authentication, no parameters).
    /// None over WebSocket and gRPC: the link makes new sessions itself.
    pristine: Option<Client>,
    /// The subscribers of every live query, fed by the pump (live.rs), or
    /// for a server by one task per live query.
    live: Arc<LiveHub>,
    /// Numbers the sessions, so the live hub knows whose a live query is.
    sessions: AtomicU64,
}

/// A transaction of a session: the SDK's, until it is committed or
/// cancelled. Its operations take the lock in turn.
type TransactionSlot = Arc<tokio::sync::Mutex<Option<ClientTransaction>>>;

/// One session over an engine.
struct Connection {
    db: Client,
    engine: Arc<Engine>,
    /// This session's number in the live hub.
    serial: u64,
    /// Its open transactions, by the id `begin` answered.
    transactions: Mutex<HashMap<Uuid, TransactionSlot>>,
}

fn open_error(endpoint: &Endpoint, error: impl std::fmt::Display) -> FfiError {
    FfiError::connection(format!("cannot open {}: {error}", endpoint.address()))
}

impl Engine {
    async fn open(endpoint: &Endpoint, options: &Options) -> FfiResult<Self> {
        match endpoint {
            Endpoint::Remote(url) => Self::connect_remote(endpoint, url, options).await,
            _ => Self::open_local(endpoint, options).await,
        }
    }

    /// Connects to a server; the SDK keeps the connection (and reconnects
    /// it). Options that set up a datastore are the server's to set.
    async fn connect_remote(endpoint: &Endpoint, url: &str, options: &Options) -> FfiResult<Self> {
        if let Some(key) = options.datastore_only.first() {
            return Err(option_error(format!(
                "'{key}' configures a datastore this library opens; {url} is a server, \
                 whose own settings (surreal start --help) apply"
            )));
        }
        let live = Arc::new(LiveHub::default());
        // WebSocket and gRPC: this library's own RPC client (rpc/); HTTP:
        // the SDK's.
        let (store, pristine) = match endpoint.protocol() {
            Some("WebSocket") => {
                let connector = remote::tls_connector(url, options.ca_file.as_deref())
                    .map_err(|e| open_error(endpoint, e))?;
                let link = rpc::Link::connect(
                    url,
                    connector,
                    options.reconnect.clone(),
                    options.heartbeat.clone(),
                    Arc::clone(&live),
                )
                .await?;
                (Store::Rpc(link), None)
            }
            Some("gRPC") => {
                let link = rpc::Link::connect_grpc(
                    url,
                    options.ca_file.as_deref(),
                    options.reconnect.clone(),
                    options.heartbeat.clone(),
                    Arc::clone(&live),
                )
                .await?;
                (Store::Rpc(link), None)
            }
            _ => {
                let client = remote::connect(url, options.ca_file.as_deref())
                    .await
                    .map_err(|e| open_error(endpoint, e))?;
                (Store::Remote, Some(Client::Remote(client)))
            }
        };
        Ok(Engine {
            endpoint: endpoint.clone(),
            store,
            pristine,
            live,
            sessions: AtomicU64::new(0),
        })
    }

    async fn open_local(endpoint: &Endpoint, options: &Options) -> FfiResult<Self> {
        if options.ca_file.is_some() {
            return Err(option_error(format!(
                "'ca_file' is for wss://, grpcs:// and https:// endpoints, not {}",
                endpoint.address()
            )));
        }
        // The same steps, in the same order, as surrealdb-engine-local's own
        // `connect`, with the options of the SDK's `Config`.
        let capabilities: surrealdb_rpc::capabilities::Capabilities =
            options.capabilities.clone().into();
        let (notifications, builder) = if capabilities.allows_live_query_notifications() {
            let (send, receive) = async_channel::bounded(NOTIFICATIONS_CHANNEL_SIZE);
            (Some(receive), Datastore::builder().with_notify(send))
        } else {
            (None, Datastore::builder())
        };
        let datastore = builder
            .with_capabilities(capabilities)
            .with_query_timeout(options.query_timeout)
            .with_transaction_timeout(options.transaction_timeout)
            .with_auth(options.root.is_some())
            .without_maintenance_tasks()
            .build_with_path(&endpoint.address())
            .await
            .map_err(|e| open_error(endpoint, e))?;
        let prepared = async {
            datastore.check_version().await?;
            datastore.bootstrap().await?;
            datastore.start_maintenance_tasks();
            if let Some(root) = &options.root {
                datastore
                    .initialise_credentials(&root.username, &root.password)
                    .await?;
            }
            Ok::<_, anyhow::Error>(())
        };
        if let Err(error) = prepared.await {
            let _ = datastore.shutdown().await;
            return Err(open_error(endpoint, error));
        }
        // The notifications go to this crate's pump rather than the SDK's
        // (see live.rs for why).
        let live = Arc::new(LiveHub::default());
        if let Some(notifications) = &notifications {
            runtime::spawn(live::pump(Arc::clone(&live), notifications.clone()))?;
        }
        match Surreal::<Db>::unstable_from_datastore(Arc::clone(&datastore), None).await {
            Ok(pristine) => Ok(Engine {
                endpoint: endpoint.clone(),
                store: Store::Local {
                    datastore,
                    notifications,
                },
                pristine: Some(Client::Local(pristine)),
                live,
                sessions: AtomicU64::new(0),
            }),
            Err(error) => {
                if let Some(notifications) = &notifications {
                    notifications.close();
                }
                let _ = datastore.shutdown().await;
                Err(open_error(endpoint, error))
            }
        }
    }

    /// Why the protocol of a server cannot run `operation`, if it cannot.
    fn lacks(&self, operation: &Operation) -> Option<FfiError> {
        let message = match (self.endpoint.protocol(), operation) {
            (Some("HTTP"), Operation::Live { .. }) => {
                "live queries need a WebSocket or gRPC connection (ws://, wss://, grpc:// or \
                 grpcs://): over HTTP the \
                 server has no way to send their notifications"
            }
            (Some("HTTP"), Operation::Begin) => {
                "transactions need a WebSocket or gRPC connection (ws://, wss://, grpc:// or \
                 grpcs://): the SDK's HTTP \
                 client cannot hold one open between requests"
            }
            (Some("gRPC"), Operation::Export(..) | Operation::Import(..)) => {
                "export and import go over HTTP (http:// or https://): this library's gRPC \
                 client does not carry them"
            }
            (Some("WebSocket"), Operation::Export(..) | Operation::Import(..)) => {
                "export and import go over HTTP (http:// or https://): SurrealDB's WebSocket \
                 protocol does not carry them"
            }
            _ => return None,
        };
        Some(FfiError::invalid_argument(format!(
            "{}: {message}",
            operation.name()
        )))
    }

    /// A new session over this engine: cloned from the pristine one, or
    /// made by the link.
    fn session(self: &Arc<Self>) -> Connection {
        let db = match (&self.store, &self.pristine) {
            (Store::Rpc(link), _) => Client::Rpc(link.session()),
            (_, Some(Client::Local(db))) => Client::Local(db.clone()),
            (_, Some(Client::Remote(db))) => Client::Remote(db.clone()),
            (_, _) => unreachable!("an engine without a link has a pristine SDK session"),
        };
        Connection {
            db,
            engine: Arc::clone(self),
            serial: self.sessions.fetch_add(1, Ordering::Relaxed),
            transactions: Mutex::default(),
        }
    }

    async fn close(self) -> FfiResult<()> {
        let Engine {
            store,
            pristine,
            live,
            ..
        } = self;
        let (datastore, notifications) = match store {
            Store::Local {
                datastore,
                notifications,
            } => (datastore, notifications),
            Store::Rpc(link) => {
                link.close();
                live.end_all();
                return Ok(());
            }
            Store::Remote => {
                // A server connection closes with the SDK's last handle.
                live.end_all();
                drop(pristine);
                return Ok(());
            }
        };
        // Every session has closed, and each ended its own live queries;
        // this ends any left, and stops the pump.
        if let Some(notifications) = notifications {
            notifications.close();
        }
        live.end_all();
        // Dropping the last SDK handle ends its session task, which shuts the
        // datastore down too; the datastore serialises the two calls.
        drop(pristine);
        let shutdown = datastore.shutdown().await;
        // The session task holds a reference until its own shutdown call has
        // returned, and there is no signal for that: poll for it, bounded.
        let deadline = Instant::now() + RELEASE_TIMEOUT;
        while Arc::strong_count(&datastore) > 1 {
            if Instant::now() > deadline {
                return Err(FfiError::internal(
                    "the datastore was shut down but is still referenced; its files may stay locked",
                ));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        release(datastore).await;
        shutdown.map_err(|e| FfiError::internal(format!("error while closing the datastore: {e}")))
    }
}

fn unknown_transaction() -> FfiError {
    FfiError::invalid_argument(
        "no open transaction of this session has that id: it was committed or cancelled \
         already, or began on another session",
    )
}

/// Where a live query's id is bound in the statement that kills it.
const KILL: &str = "KILL $live";

impl Connection {
    /// Runs an operation.
    fn run(
        &self,
        operation: Operation,
    ) -> impl Future<Output = FfiResult<SurrealResponse>> + Send + '_ {
        match &self.engine.endpoint {
            // Boxed: a call over the network can afford the allocation, and
            // the local path's future stays half the size.
            Endpoint::Remote(_) => Either::Left(Box::pin(async move {
                remote::check_sendable(&operation)?;
                self.execute(operation).await
            })),
            _ => Either::Right(self.execute(operation)),
        }
    }

    /// Runs an operation on this session, or on one of its transactions.
    async fn execute(&self, operation: Operation) -> FfiResult<SurrealResponse> {
        if let Some(error) = self.engine.lacks(&operation) {
            return Err(error);
        }
        match operation {
            Operation::Begin => self.begin().await,
            Operation::Commit(id) => self.finish(id, true).await,
            Operation::Cancel(id) => self.finish(id, false).await,
            Operation::Live {
                sql,
                bindings,
                sink,
                retry,
            } => {
                let sink = sink.ok_or_else(|| FfiError::internal("live: no sink"))?;
                let attempts = if retry { CONFLICT_ATTEMPTS } else { 1 };
                if let Client::Rpc(session) = &self.db {
                    return self
                        .start_rpc_live(session, sql, bindings, sink, attempts)
                        .await;
                }
                let mut attempt = 1;
                loop {
                    match self.start_live(&sql, bindings.clone()).await {
                        Err(error)
                            if attempt < attempts
                                && error.code == error::SURREAL_ERR_TRANSACTION_CONFLICT =>
                        {
                            attempt += 1
                        }
                        Err(error) => return Err(error), // `sink` is dropped: its end is sent
                        Ok(id) => {
                            self.engine.live.subscribe(id, self.serial, sink);
                            return Ok(SurrealResponse::single(Value::Uuid(id.into())));
                        }
                    }
                }
            }
            Operation::Kill(id) => self.kill(id).await,
            Operation::InTransaction(id, operation) => {
                let slot = self.transaction(id)?;
                let transaction = slot.lock().await;
                let transaction = transaction.as_ref().ok_or_else(unknown_transaction)?;
                match (transaction, &self.db) {
                    (ClientTransaction::Local(tx), _) => operation.run_in(tx).await,
                    (ClientTransaction::Remote(tx), _) => operation.run_in(tx).await,
                    (ClientTransaction::Rpc(tx), Client::Rpc(session)) => {
                        operation.check_in_transaction()?;
                        rpc::verbs::run_verb(session, *operation, Some(*tx)).await
                    }
                    (ClientTransaction::Rpc(_), _) => Err(unknown_transaction()),
                }
            }
            operation => {
                let changes_principal = operation.changes_principal();
                let response = on_client!(&self.db,
                    db => operation.run(db).await,
                    session => rpc::verbs::run(session, operation).await)?;
                if changes_principal {
                    // A live query keeps the rights of whoever made it: none
                    // may outlive a sign-in as someone else, or a sign-out
                    // (as SurrealDB's own engine has it).
                    self.end_live_queries().await;
                }
                Ok(response)
            }
        }
    }

    fn transaction(&self, id: Uuid) -> FfiResult<TransactionSlot> {
        let transactions = self.transactions.lock().unwrap_or_else(|e| e.into_inner());
        transactions
            .get(&id)
            .cloned()
            .ok_or_else(unknown_transaction)
    }

    /// Begins a transaction with this session's namespace, database,
    /// authentication and parameters as they are now; answers its id.
    async fn begin(&self) -> FfiResult<SurrealResponse> {
        let transaction = self.db.begin().await.map_err(sdk_error)?;
        let id = Uuid::new_v4();
        self.transactions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, Arc::new(tokio::sync::Mutex::new(Some(transaction))));
        Ok(SurrealResponse::single(Value::Uuid(id.into())))
    }

    /// Commits or cancels a transaction, once its operations in flight have
    /// finished. It is gone afterwards, whatever the outcome.
    async fn finish(&self, id: Uuid, commit: bool) -> FfiResult<SurrealResponse> {
        let slot = self
            .transactions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id)
            .ok_or_else(unknown_transaction)?;
        let transaction = slot.lock().await.take().ok_or_else(unknown_transaction)?;
        self.db
            .finish(transaction, commit)
            .await
            .map_err(sdk_error)?;
        Ok(SurrealResponse::single(Value::None))
    }

    /// Starts a live query over this crate's RPC client, which routes its
    /// notifications (and starts it again after a reconnect).
    async fn start_rpc_live(
        &self,
        session: &rpc::Session,
        sql: String,
        bindings: Option<Value>,
        sink: live::Sink,
        attempts: usize,
    ) -> FfiResult<SurrealResponse> {
        let sink = rpc::PendingSink::new(sink);
        let mut attempt = 1;
        loop {
            let results = session
                .live(sql.clone(), bindings.clone(), sink.clone())
                .await
                .map_err(sdk_error)?;
            let failure = results
                .iter()
                .find_map(|result| result.result.as_ref().err());
            let started: Vec<Uuid> = results
                .iter()
                .filter(|result| matches!(result.query_type, QueryType::Live))
                .filter_map(|result| match &result.result {
                    Ok(Value::Uuid(id)) => Some(id.into_inner()),
                    _ => None,
                })
                .collect();
            match (failure, started.as_slice()) {
                (None, [id]) => return Ok(SurrealResponse::single(Value::Uuid((*id).into()))),
                (Some(error), []) if attempt < attempts && is_conflict(error) => {
                    attempt += 1;
                    continue;
                }
                _ => {}
            }
            // Not one live query: each started is killed, and the error says why.
            for id in &started {
                let _ = self.kill_in_engine(*id).await;
            }
            return Err(match failure {
                Some(error) => sdk_error(error.clone()),
                None if started.is_empty() => FfiError::invalid_argument(
                    "live_query: the SurrealQL started no live query: it needs one LIVE SELECT statement",
                ),
                None => FfiError::invalid_argument(
                    "live_query: the SurrealQL started more than one live query; give each its own call",
                ),
            });
        }
    }

    /// Runs SurrealQL holding one `LIVE SELECT` on a datastore; answers the
    /// live query's id, for the caller to route its notifications. Not
    /// cancelled part-way (see SurrealDatabase::execute): a live query
    /// registered in the datastore always gets its subscriber, so that it
    /// can be killed. (A server's live queries start in start_rpc_live; over
    /// HTTP there are none: `Engine::lacks` refuses them.)
    async fn start_live(&self, sql: &str, bindings: Option<Value>) -> FfiResult<Uuid> {
        let Client::Local(db) = &self.db else {
            return Err(FfiError::internal(
                "live: only an embedded datastore's live queries start here",
            ));
        };
        let (mut started, failure) = self.start_live_local(db, sql, bindings).await;
        let failure = failure.or(match started.len() {
            1 => None,
            0 => Some(FfiError::invalid_argument(
                "live_query: the SurrealQL started no live query: it needs one LIVE SELECT statement",
            )),
            _ => Some(FfiError::invalid_argument(
                "live_query: the SurrealQL started more than one live query; give each its own call",
            )),
        });
        if let Some(error) = failure {
            // Killed before answering.
            for id in started {
                let _ = self.kill_in_engine(id).await;
            }
            return Err(error);
        }
        Ok(started.remove(0))
    }

    /// The LIVE statements of `sql` on a datastore: the ids of those that
    /// started, and the first failure.
    async fn start_live_local(
        &self,
        db: &Surreal<Db>,
        sql: &str,
        bindings: Option<Value>,
    ) -> (Vec<Uuid>, Option<FfiError>) {
        let mut query = db.query(sql.to_owned());
        if let Some(bindings) = bindings {
            query = query.bind(bindings);
        }
        // The streaming form: the buffered one subscribes the SDK's own
        // stream to every live query it starts, and kills it when dropped.
        let mut items = match query.stream_items() {
            Ok(items) => items,
            Err(error) => return (Vec::new(), Some(sdk_error(error))),
        };
        let mut rows: HashMap<usize, Value> = HashMap::new();
        let mut started: Vec<Uuid> = Vec::new();
        let mut failure = None;
        while let Some(item) = items.next().await {
            match item {
                Ok(StreamItem::Row { statement, value }) => {
                    rows.insert(statement, value);
                }
                Ok(StreamItem::StatementEnd {
                    statement,
                    stats,
                    result,
                }) => match (result, rows.remove(&statement)) {
                    (Err(error), _) => failure = failure.or(Some(sdk_error(error))),
                    (Ok(()), Some(Value::Uuid(id)))
                        if matches!(stats.query_type, Some(QueryType::Live)) =>
                    {
                        started.push(id.into_inner())
                    }
                    _ => {}
                },
                Err(error) => failure = failure.or(Some(sdk_error(error))),
            }
        }
        (started, failure)
    }

    /// Kills one of this session's live queries: its subscriber hears no
    /// more (but its end), and the datastore drops it.
    async fn kill(&self, id: Uuid) -> FfiResult<SurrealResponse> {
        if !self.engine.live.end_owned(id, self.serial) {
            return Err(FfiError::invalid_argument(
                "kill: this session has no live query with that id (it ended already?)",
            ));
        }
        self.kill_in_engine(id).await?;
        Ok(SurrealResponse::single(Value::None))
    }

    /// Runs KILL for a live query, again while it loses a conflict (the
    /// kills of live queries on one table write the same catalog entry).
    /// Through the streaming form: the buffered one drops a KILL's result,
    /// failure included. A live query the datastore no longer has counts as
    /// killed: over a server, the SDK sends a KILL of its own, unawaited,
    /// when the forwarding task drops its stream, and either may land first.
    async fn kill_in_engine(&self, id: Uuid) -> FfiResult<()> {
        if let Client::Rpc(session) = &self.db {
            return self.kill_on_server(session, id).await;
        }
        let mut variables = Object::new();
        variables.insert("live".to_owned(), Value::Uuid(id.into()));
        let mut attempt = 1;
        loop {
            let query = on_client!(&self.db, db => {
                db.query(KILL).bind(Value::Object(variables.clone())).stream_items()
            }, _session => unreachable!("handled above"));
            let mut items = query.map_err(sdk_error)?;
            let mut failure = None;
            while let Some(item) = items.next().await {
                match item {
                    Ok(StreamItem::StatementEnd {
                        result: Err(error), ..
                    })
                    | Err(error) => failure = failure.or(Some(error)),
                    Ok(_) => {}
                }
            }
            match failure {
                Some(error) if attempt < CONFLICT_ATTEMPTS && is_conflict(&error) => attempt += 1,
                Some(error) if is_unknown_live_query(&error) => return Ok(()),
                Some(error) => return Err(sdk_error(error)),
                None => return Ok(()),
            }
        }
    }

    /// Kills a live query on the server, by the id it has there now: the
    /// link forgets it first, so that it is not started again.
    async fn kill_on_server(&self, session: &rpc::Session, id: Uuid) -> FfiResult<()> {
        let server_id = match session.forget_live(id) {
            rpc::Forgotten::Last(server_id) => server_id,
            rpc::Forgotten::Shared => return Ok(()),
            // Not one this link started (a KILL of another session's, say):
            // the server says what it makes of it.
            rpc::Forgotten::Unknown => id,
        };
        let mut variables = Object::new();
        variables.insert("live".to_owned(), Value::Uuid(server_id.into()));
        let bindings = Some(Value::Object(variables));
        let mut attempt = 1;
        loop {
            let results = session
                .query(KILL.to_owned(), bindings.clone(), None)
                .await
                .map_err(sdk_error)?;
            match results.into_iter().find_map(|result| result.result.err()) {
                Some(error) if attempt < CONFLICT_ATTEMPTS && is_conflict(&error) => attempt += 1,
                Some(error) if is_unknown_live_query(&error) => return Ok(()),
                Some(error) => return Err(sdk_error(error)),
                None => return Ok(()),
            }
        }
    }

    /// Ends this session's live queries, and kills them in the datastore.
    async fn end_live_queries(&self) {
        for id in self.engine.live.end_session(self.serial) {
            let _ = self.kill_in_engine(id).await; // its subscriber has ended already
        }
    }

    /// Ends this session: its live queries are killed and its transactions
    /// cancelled; the last session to end shuts the datastore down.
    async fn close(self) -> FfiResult<()> {
        self.end_live_queries().await;
        let open: Vec<TransactionSlot> = {
            let mut transactions = self.transactions.lock().unwrap_or_else(|e| e.into_inner());
            transactions.drain().map(|(_, slot)| slot).collect()
        };
        for slot in open {
            if let Some(transaction) = slot.lock().await.take() {
                let _ = self.db.finish(transaction, false).await;
            }
        }
        let Connection { db, engine, .. } = self;
        // Dropped here: the engine's close waits for the last reference.
        match db {
            Client::Rpc(session) => session.close().await,
            other => drop(other),
        }
        // Exactly one of the sessions closing at once gets the engine.
        match Arc::into_inner(engine) {
            Some(engine) => engine.close().await,
            None => Ok(()),
        }
    }
}

/// Operations that run to their end once started, whatever their token
/// says: a commit (stopped part-way, whether it happened would be unknown)
/// and the start of a live query (stopped part-way, the datastore could
/// keep a live query nobody can kill).
fn uncancellable(operation: &Operation) -> bool {
    matches!(operation, Operation::Commit(_) | Operation::Live { .. })
}

/// Drops the last reference to a datastore that has been shut down, on a
/// thread outside the runtime, and waits for it. SurrealKV's tree, dropped
/// inside a runtime, spawns one more close as a task that keeps files open
/// after the drop returns; outside one it closes them before returning, so
/// that `close()` leaves nothing of the store open.
async fn release(datastore: Arc<Datastore>) {
    let (done, released) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("surrealcpp-release".into())
        .spawn(move || {
            drop(datastore);
            let _ = done.send(());
        });
    if spawned.is_ok() {
        let _ = released.await;
    }
}

fn not_connected() -> FfiError {
    FfiError::connection("the database is not connected")
}

/// The object behind `SurrealDatabase*`: one session. Shared by reference
/// between threads. Operations hold a read lock on the connection while
/// they run, so connecting and closing (write locks) wait for the operations
/// in flight, asynchronous ones included.
pub struct SurrealDatabase {
    endpoint: Endpoint,
    options: std::sync::Mutex<Options>,
    connection: Arc<RwLock<Option<Connection>>>,
}

impl SurrealDatabase {
    pub fn new(endpoint: &str) -> FfiResult<Self> {
        Ok(Self {
            endpoint: Endpoint::parse(endpoint)?,
            options: Default::default(),
            connection: Arc::new(RwLock::new(None)),
        })
    }

    /// Sets the options the next connect opens the datastore with.
    pub fn configure(&self, options: Options) {
        *self.options.lock().unwrap_or_else(|e| e.into_inner()) = options;
    }

    /// Opens the datastore, and with root credentials signs this session in
    /// as root. Connecting again after success does nothing.
    pub async fn connect(&self) -> FfiResult<()> {
        let mut connection = self.connection.write().await;
        if connection.is_none() {
            let options =
                std::mem::take(&mut *self.options.lock().unwrap_or_else(|e| e.into_inner()));
            // The session holds the only reference to the engine, so that
            // closing it (below, when signing in fails) closes the engine.
            let session = Arc::new(Engine::open(&self.endpoint, &options).await?).session();
            if let Some(root) = options.root {
                let signin = on_client!(&session.db,
                    db => db.signin(root).await.map(|_| ()).map_err(sdk_error),
                    rpc => rpc::verbs::run(rpc, Operation::Signin(Auth::Root(root))).await.map(|_| ()));
                if let Err(error) = signin {
                    let _ = session.close().await;
                    return Err(error);
                }
            }
            *connection = Some(session);
        }
        Ok(())
    }

    /// A new session over the same datastore: no namespace, database,
    /// authentication or parameters of its own yet.
    pub async fn new_session(&self) -> FfiResult<Self> {
        let connection = self.connection.read().await;
        let connection = connection.as_ref().ok_or_else(not_connected)?;
        let session = connection.engine.session();
        Ok(Self {
            endpoint: self.endpoint.clone(),
            options: Default::default(),
            connection: Arc::new(RwLock::new(Some(session))),
        })
    }

    pub async fn use_ns(&self, ns: &str) -> FfiResult<()> {
        let connection = self.connection.read().await;
        let db = &connection.as_ref().ok_or_else(not_connected)?.db;
        on_client!(db,
            db => db.use_ns(ns).await.map(|_| ()).map_err(sdk_error),
            session => rpc::verbs::use_ns_db(session, Some(ns), None).await)
    }

    pub async fn use_db(&self, name: &str) -> FfiResult<()> {
        let connection = self.connection.read().await;
        let db = &connection.as_ref().ok_or_else(not_connected)?.db;
        on_client!(db,
            db => db.use_db(name).await.map(|_| ()).map_err(sdk_error),
            session => rpc::verbs::use_ns_db(session, None, Some(name)).await)
    }

    /// Runs an operation and waits for it; triggering `cancel` drops it
    /// wherever it is (waiting for the connection, or in the engine), but
    /// for what must not stop part-way (see [`uncancellable`]).
    ///
    /// A plain function returning the future, not an `async fn`, which
    /// would hold the operation's future twice (see SurrealCancel::guard).
    pub fn execute(
        &self,
        operation: Operation,
        cancel: Option<CancellationToken>,
    ) -> impl Future<Output = FfiResult<SurrealResponse>> + '_ {
        let cancel = cancel.filter(|_| !uncancellable(&operation));
        SurrealCancel::guard(cancel, async move {
            let connection = self.connection.read().await;
            let connection = connection.as_ref().ok_or_else(not_connected)?;
            connection.run(operation).await
        })
    }

    /// Runs an operation on the shared runtime without waiting for it; `done`
    /// receives the outcome on a runtime thread. A panic inside the operation
    /// reaches `done` as an error, so `done` is called exactly once.
    pub fn spawn<F>(
        &self,
        operation: Operation,
        cancel: Option<CancellationToken>,
        done: F,
    ) -> FfiResult<()>
    where
        F: FnOnce(FfiResult<SurrealResponse>) + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        let cancel = cancel.filter(|_| !uncancellable(&operation));
        runtime::spawn(async move {
            let outcome = AssertUnwindSafe(SurrealCancel::guard(cancel, async move {
                let connection = connection.read_owned().await;
                let connection = connection.as_ref().ok_or_else(not_connected)?;
                connection.run(operation).await
            }))
            .catch_unwind()
            .await
            .unwrap_or_else(|payload| Err(error::from_panic(&*payload)));
            done(outcome);
        })
    }

    /// The state of the connection this session runs on. A datastore this
    /// crate opened, or an HTTP server (no connection is kept), is connected
    /// until closed.
    pub async fn state(&self) -> rpc::State {
        let connection = self.connection.read().await;
        match connection
            .as_ref()
            .map(|connection| &connection.engine.store)
        {
            None => rpc::State::Disconnected,
            Some(Store::Rpc(link)) => link.state(),
            Some(_) => rpc::State::Connected,
        }
    }

    /// The listeners of the state of this session's connection; None where
    /// the state never changes but by closing (see [`Self::state`]).
    pub async fn state_listeners(&self) -> FfiResult<Option<Arc<rpc::Listeners>>> {
        let connection = self.connection.read().await;
        let connection = connection.as_ref().ok_or_else(not_connected)?;
        Ok(match &connection.engine.store {
            Store::Rpc(link) => Some(link.listeners()),
            _ => None,
        })
    }

    /// Ends this session once every operation in flight has finished; the
    /// last session of a datastore shuts it down completely (see the module
    /// comment).
    pub async fn close(self) -> FfiResult<()> {
        match self.connection.write().await.take() {
            Some(connection) => connection.close().await,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every call's future is moved whole on its way to the runtime (into
    /// block_on, into a task), so its size is paid on every call: it was
    /// 19.8 KiB in a debug build when each layer was an `async fn` holding
    /// the future of the layer below twice, and is about 2.2 KiB now.
    #[test]
    fn the_future_of_a_call_stays_small() {
        let db = SurrealDatabase::new("mem://").unwrap();
        let query = Operation::Query {
            sql: "RETURN 1".into(),
            bindings: None,
        };
        let call = db.execute(query, Some(CancellationToken::new()));
        let size = std::mem::size_of_val(&call);
        assert!(size <= 4096, "the future of a call takes {size} bytes");
    }

    #[test]
    fn endpoints() {
        assert_eq!(Endpoint::parse("mem://"), Ok(Endpoint::Memory));
        assert_eq!(
            Endpoint::parse("rocksdb:///tmp/x"),
            Ok(Endpoint::RocksDb("/tmp/x".into()))
        );
        assert!(Endpoint::parse("rocksdb://").is_err());
        assert_eq!(
            Endpoint::parse("surrealkv:///tmp/x?versioned=true"),
            Ok(Endpoint::SurrealKv("/tmp/x?versioned=true".into()))
        );
        assert!(Endpoint::parse("surrealkv://?versioned=true").is_err());
        let ws = Endpoint::parse("ws://127.0.0.1:8000").unwrap();
        assert_eq!(ws, Endpoint::Remote("ws://127.0.0.1:8000".into()));
        assert_eq!(ws.protocol(), Some("WebSocket"));
        let grpc = Endpoint::parse("grpcs://db.example:8000").unwrap();
        assert_eq!(grpc.protocol(), Some("gRPC"));
        assert!(Endpoint::parse("grpc://").is_err());
        let https = Endpoint::parse("https://db.example.com").unwrap();
        assert_eq!(https.protocol(), Some("HTTP"));
        assert_eq!(Endpoint::Memory.protocol(), None);
        assert!(Endpoint::parse("ws://").is_err());
        assert!(Endpoint::parse("tikv://127.0.0.1:2379").is_err());
        assert!(Endpoint::parse("").is_err());
    }
}
