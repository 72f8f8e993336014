//! The native database handle: an endpoint, and once connected, one SDK
//! session over a datastore this crate owns. Further sessions over the same
//! datastore come from [`SurrealDatabase::new_session`].
//!
//! The datastore is built here rather than by `surrealdb::engine::any` so
//! that closing is deterministic. The SDK offers no close: the last handle's
//! drop merely tells a background task to shut the datastore down, and
//! RocksDB's directory lock is released only when the last reference to the
//! datastore goes. [`Connection::close`] therefore shuts the datastore down
//! itself and returns once that background task has let go of it, so the
//! same directory can be opened again straight away.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use surrealdb::engine::local::Db;
use surrealdb::opt::auth;
use surrealdb::opt::capabilities::Capabilities;
use surrealdb::types::Value;
use surrealdb::Surreal;
use surrealdb_engine_local::Datastore;
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

use crate::cancel::SurrealCancel;
use crate::error::{self, FfiError, FfiResult};
use crate::operation::Operation;
use crate::response::{sdk_error, SurrealResponse};
use crate::runtime;

/// Live-query notifications the datastore buffers before its writers wait,
/// as the SDK's own engine sets it up.
const NOTIFICATIONS_CHANNEL_SIZE: usize = 15_000;

/// How long close waits for the SDK's session task to release the datastore
/// after shutting it down. It normally takes well under a millisecond.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a database lives, in the form the datastore builder takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Memory,
    RocksDb(String),
}

impl Endpoint {
    pub fn parse(text: &str) -> FfiResult<Self> {
        if matches!(text, "mem://" | "memory") {
            return Ok(Endpoint::Memory);
        }
        match text.strip_prefix("rocksdb://") {
            Some("") => Err(FfiError::invalid_argument(
                "the rocksdb:// endpoint needs a directory path, as in rocksdb://path/to/dir",
            )),
            Some(path) => Ok(Endpoint::RocksDb(path.to_owned())),
            None => Err(FfiError::invalid_argument(format!(
                "unsupported endpoint '{text}': use mem:// or rocksdb://<path>"
            ))),
        }
    }

    fn datastore_path(&self) -> String {
        match self {
            Endpoint::Memory => "mem://".to_owned(),
            Endpoint::RocksDb(path) => format!("rocksdb://{path}"),
        }
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
    /// Reads a map: `root` `{user, pass}`, `query_timeout` and
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

/// One open datastore and what every session over it shares. The last
/// session to close shuts it down.
struct Engine {
    datastore: Arc<Datastore>,
    /// A session that never runs anything: new sessions are clones of it,
    /// so they start fresh (no namespace, no authentication, no parameters).
    pristine: Surreal<Db>,
}

/// One session over an engine.
struct Connection {
    db: Surreal<Db>,
    engine: Arc<Engine>,
}

fn open_error(endpoint: &Endpoint, error: impl std::fmt::Display) -> FfiError {
    FfiError::connection(format!(
        "cannot open {}: {error}",
        endpoint.datastore_path()
    ))
}

impl Engine {
    async fn open(endpoint: &Endpoint, options: &Options) -> FfiResult<Self> {
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
            .build_with_path(&endpoint.datastore_path())
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
        match Surreal::<Db>::unstable_from_datastore(Arc::clone(&datastore), notifications).await {
            Ok(pristine) => Ok(Engine {
                datastore,
                pristine,
            }),
            Err(error) => {
                let _ = datastore.shutdown().await;
                Err(open_error(endpoint, error))
            }
        }
    }

    async fn close(self) -> FfiResult<()> {
        let Engine {
            datastore,
            pristine,
        } = self;
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
        drop(datastore);
        shutdown.map_err(|e| FfiError::internal(format!("error while closing the datastore: {e}")))
    }
}

impl Connection {
    /// Ends this session; the last session to end shuts the datastore down.
    async fn close(self) -> FfiResult<()> {
        let Connection { db, engine } = self;
        drop(db);
        // Exactly one of the sessions closing at once gets the engine.
        match Arc::into_inner(engine) {
            Some(engine) => engine.close().await,
            None => Ok(()),
        }
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
            let engine = Arc::new(Engine::open(&self.endpoint, &options).await?);
            let session = Connection {
                db: engine.pristine.clone(),
                engine,
            };
            if let Some(root) = options.root {
                if let Err(error) = session.db.signin(root).await {
                    let _ = session.close().await;
                    return Err(sdk_error(error));
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
        let session = Connection {
            db: connection.engine.pristine.clone(),
            engine: Arc::clone(&connection.engine),
        };
        Ok(Self {
            endpoint: self.endpoint.clone(),
            options: Default::default(),
            connection: Arc::new(RwLock::new(Some(session))),
        })
    }

    pub async fn use_ns(&self, ns: &str) -> FfiResult<()> {
        let connection = self.connection.read().await;
        let db = &connection.as_ref().ok_or_else(not_connected)?.db;
        db.use_ns(ns).await.map(|_| ()).map_err(sdk_error)
    }

    pub async fn use_db(&self, name: &str) -> FfiResult<()> {
        let connection = self.connection.read().await;
        let db = &connection.as_ref().ok_or_else(not_connected)?.db;
        db.use_db(name).await.map(|_| ()).map_err(sdk_error)
    }

    /// Runs an operation and waits for it; triggering `cancel` drops it
    /// wherever it is (waiting for the connection, or in the engine).
    pub async fn execute(
        &self,
        operation: Operation,
        cancel: Option<CancellationToken>,
    ) -> FfiResult<SurrealResponse> {
        SurrealCancel::guard(cancel, async {
            let connection = self.connection.read().await;
            let connection = connection.as_ref().ok_or_else(not_connected)?;
            operation.run(&connection.db).await
        })
        .await
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
        runtime::spawn(async move {
            let outcome = AssertUnwindSafe(SurrealCancel::guard(cancel, async move {
                let connection = connection.read_owned().await;
                let connection = connection.as_ref().ok_or_else(not_connected)?;
                operation.run(&connection.db).await
            }))
            .catch_unwind()
            .await
            .unwrap_or_else(|payload| Err(error::from_panic(&*payload)));
            done(outcome);
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

    #[test]
    fn endpoints() {
        assert_eq!(Endpoint::parse("mem://"), Ok(Endpoint::Memory));
        assert_eq!(
            Endpoint::parse("rocksdb:///tmp/x"),
            Ok(Endpoint::RocksDb("/tmp/x".into()))
        );
        assert!(Endpoint::parse("rocksdb://").is_err());
        assert!(Endpoint::parse("ws://localhost:8000").is_err());
        assert!(Endpoint::parse("").is_err());
    }
}
