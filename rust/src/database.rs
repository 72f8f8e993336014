//! The native database handle: an endpoint, and once connected, an SDK
//! connection over a datastore this crate owns.
//!
//! The datastore is built here rather than by `surrealdb::engine::any` so
//! that closing is deterministic. The SDK offers no close: the last handle's
//! drop merely tells a background task to shut the datastore down, and
//! RocksDB's directory lock is released only when the last reference to the
//! datastore goes. [`Connection::close`] therefore shuts the datastore down
//! itself and returns once that background task has let go of it, so the
//! same directory can be opened again straight away.

use std::future::{Future, IntoFuture};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use surrealdb::engine::local::Db;
use surrealdb::opt::capabilities::Capabilities;
use surrealdb::opt::Resource;
use surrealdb::types::{NotFoundError, QueryError, Value};
use surrealdb::Surreal;
use surrealdb_engine_local::Datastore;
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

use crate::cancel::SurrealCancel;
use crate::error::{self, FfiError, FfiResult};
use crate::response::{sdk_error, SurrealResponse};
use crate::{convert, resource, runtime};

/// How often a record operation is attempted when it keeps losing a
/// transaction conflict (concurrent first writes to a table that does not
/// exist yet conflict while defining it).
const CONFLICT_ATTEMPTS: usize = 16;

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

struct Connection {
    db: Surreal<Db>,
    datastore: Arc<Datastore>,
}

fn open_error(endpoint: &Endpoint, error: impl std::fmt::Display) -> FfiError {
    FfiError::connection(format!(
        "cannot open {}: {error}",
        endpoint.datastore_path()
    ))
}

impl Connection {
    async fn open(endpoint: &Endpoint) -> FfiResult<Self> {
        // The same steps, in the same order, as surrealdb-engine-local's own
        // `connect`; the capabilities are the SDK's defaults.
        let datastore = Datastore::builder()
            .with_capabilities(Capabilities::default().into())
            .without_maintenance_tasks()
            .build_with_path(&endpoint.datastore_path())
            .await
            .map_err(|e| open_error(endpoint, e))?;
        let prepared = async {
            datastore.check_version().await?;
            datastore.bootstrap().await
        };
        if let Err(error) = prepared.await {
            let _ = datastore.shutdown().await;
            return Err(open_error(endpoint, error));
        }
        datastore.start_maintenance_tasks();
        match Surreal::<Db>::unstable_from_datastore(Arc::clone(&datastore), None).await {
            Ok(db) => Ok(Connection { db, datastore }),
            Err(error) => {
                let _ = datastore.shutdown().await;
                Err(open_error(endpoint, error))
            }
        }
    }

    async fn close(self) -> FfiResult<()> {
        let Connection { db, datastore } = self;
        // Dropping the only SDK handle ends its session task, which shuts the
        // datastore down too; the datastore serialises the two calls.
        drop(db);
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

/// One data operation, with its arguments already checked and parsed, so that
/// the blocking and the asynchronous entry points run the very same code and
/// bad input is refused before anything is scheduled.
pub enum Operation {
    Query {
        sql: String,
        bindings: Option<Value>,
    },
    Select(Resource),
    /// NONE as the data means no content.
    Create(Resource, Value),
    /// NONE as the data means no content.
    Update(Resource, Value),
    Delete(Resource),
}

impl Operation {
    /// SurrealQL with optional variables (JSON text of an object).
    pub fn query(sql: &str, bindings: Option<&str>) -> FfiResult<Self> {
        let bindings = bindings
            .map(|text| convert::parse_json_object(text, "bindings"))
            .transpose()?;
        Self::query_with(sql, bindings)
    }

    /// SurrealQL with optional variables, already decoded: an object.
    pub fn query_with(sql: &str, bindings: Option<Value>) -> FfiResult<Self> {
        if bindings
            .as_ref()
            .is_some_and(|value| !matches!(value, Value::Object(_)))
        {
            return Err(FfiError::invalid_argument(
                "bindings must be an object (a CBOR map)",
            ));
        }
        Ok(Operation::Query {
            sql: sql.to_owned(),
            bindings,
        })
    }

    pub fn select(resource: &str) -> FfiResult<Self> {
        Ok(Operation::Select(resource::parse_resource(resource)?))
    }

    pub fn create(table: &str, data: &str) -> FfiResult<Self> {
        Ok(Operation::Create(
            resource::parse_resource(table)?,
            convert::parse_json_object(data, "data")?,
        ))
    }

    pub fn update(resource: &str, data: &str) -> FfiResult<Self> {
        Ok(Operation::Update(
            resource::parse_resource(resource)?,
            convert::parse_json_object(data, "data")?,
        ))
    }

    pub fn delete(resource: &str) -> FfiResult<Self> {
        Ok(Operation::Delete(resource::parse_resource(resource)?))
    }

    // The same operations with arguments that are already values (decoded
    // from CBOR): a resource value is text, a table or a record id (see
    // `resource::from_value`); data is any value, NONE meaning no content.

    pub fn select_value(resource: Value) -> FfiResult<Self> {
        Ok(Operation::Select(resource::from_value(resource)?))
    }

    pub fn create_value(resource: Value, data: Value) -> FfiResult<Self> {
        Ok(Operation::Create(resource::from_value(resource)?, data))
    }

    pub fn update_value(resource: Value, data: Value) -> FfiResult<Self> {
        Ok(Operation::Update(resource::from_value(resource)?, data))
    }

    pub fn delete_value(resource: Value) -> FfiResult<Self> {
        Ok(Operation::Delete(resource::from_value(resource)?))
    }

    /// Runs the operation. For a query, an error that stops the whole query
    /// (a syntax error, say) is an `Err`; the failure of single statements is
    /// recorded in the response. Selecting a table that does not exist gives
    /// an empty result, as in SurrealDB 2, rather than SurrealDB 3's error.
    async fn run(self, db: &Surreal<Db>) -> FfiResult<SurrealResponse> {
        let result = match self {
            Operation::Query { sql, bindings } => {
                let mut query = db.query(sql);
                if let Some(bindings) = bindings {
                    query = query.bind(bindings);
                }
                let results = query.await.map_err(sdk_error)?;
                return Ok(SurrealResponse::from_query(results));
            }
            Operation::Select(resource) => {
                match retry_conflicts(|| db.select(resource.clone()).into_future()).await {
                    Err(error) if is_missing_table(&error) => Ok(Value::Array(Default::default())),
                    other => other,
                }
            }
            Operation::Create(resource, Value::None) => {
                retry_conflicts(|| db.create(resource.clone()).into_future()).await
            }
            Operation::Create(resource, data) => {
                retry_conflicts(|| {
                    db.create(resource.clone())
                        .content(data.clone())
                        .into_future()
                })
                .await
            }
            Operation::Update(resource, Value::None) => {
                retry_conflicts(|| db.update(resource.clone()).into_future()).await
            }
            Operation::Update(resource, data) => {
                retry_conflicts(|| {
                    db.update(resource.clone())
                        .content(data.clone())
                        .into_future()
                })
                .await
            }
            Operation::Delete(resource) => {
                retry_conflicts(|| db.delete(resource.clone()).into_future()).await
            }
        };
        result.map(SurrealResponse::single).map_err(sdk_error)
    }
}

fn not_connected() -> FfiError {
    FfiError::connection("the database is not connected")
}

/// The object behind `SurrealDatabase*`. Shared by reference between
/// threads. Operations hold a read lock on the connection while they run, so
/// connecting and closing (write locks) wait for the operations in flight,
/// asynchronous ones included.
pub struct SurrealDatabase {
    endpoint: Endpoint,
    connection: Arc<RwLock<Option<Connection>>>,
}

impl SurrealDatabase {
    pub fn new(endpoint: &str) -> FfiResult<Self> {
        Ok(Self {
            endpoint: Endpoint::parse(endpoint)?,
            connection: Arc::new(RwLock::new(None)),
        })
    }

    /// Opens the datastore. Connecting again after success does nothing.
    pub async fn connect(&self) -> FfiResult<()> {
        let mut connection = self.connection.write().await;
        if connection.is_none() {
            *connection = Some(Connection::open(&self.endpoint).await?);
        }
        Ok(())
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

    /// Shuts the datastore down completely (see the module comment), once
    /// every operation in flight has finished.
    pub async fn close(self) -> FfiResult<()> {
        match self.connection.write().await.take() {
            Some(connection) => connection.close().await,
            None => Ok(()),
        }
    }
}

/// Runs a single-statement record operation again while it fails with a
/// transaction conflict, which SurrealDB reports as safe to retry: nothing of
/// the failed attempt was committed.
async fn retry_conflicts<F, Fut>(mut operation: F) -> surrealdb::Result<Value>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = surrealdb::Result<Value>>,
{
    let mut attempt = 1;
    loop {
        match operation().await {
            Err(error) if attempt < CONFLICT_ATTEMPTS && is_conflict(&error) => attempt += 1,
            result => return result,
        }
    }
}

fn is_conflict(error: &surrealdb::Error) -> bool {
    matches!(error.query_details(), Some(QueryError::TransactionConflict))
        || error.message().contains("This transaction can be retried")
}

fn is_missing_table(error: &surrealdb::Error) -> bool {
    matches!(error.not_found_details(), Some(NotFoundError::Table { .. }))
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
