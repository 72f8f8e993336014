//! One call of the SDK, with its arguments already checked and parsed, so
//! that every C entry point (the named JSON and CBOR functions, and the
//! generic `surreal_db_execute`) runs the very same code, and bad input is
//! refused before anything is scheduled.
//!
//! [`Operation::from_call`] is the generic shape, after SurrealDB's own RPC
//! layer: a method name and an array of arguments. Each method maps to the
//! SDK method of the same name; user values travel as values (bound
//! variables), never as SurrealQL text.

use std::future::{Future, IntoFuture};
use std::path::PathBuf;

use futures::StreamExt;

use surrealdb::method::{Create, Delete, Insert, Query, Select, Transaction, Update, Upsert};
use surrealdb::opt::auth::{self, Credentials, Signin};
use surrealdb::opt::{PatchOp, PatchOps, Resource};
use surrealdb::types::{Kind, NotFoundError, Object, SurrealValue, Value};
use surrealdb::{Connection, Surreal};
use uuid::Uuid;

use crate::error::{FfiError, FfiResult};
use crate::live::Sink;
use crate::progress::ImportProgress;
use crate::response::{is_conflict, sdk_error, SurrealResponse};
use crate::{convert, resource};

/// How often a record operation is attempted when it keeps losing a
/// transaction conflict (concurrent first writes to a table that does not
/// exist yet conflict while defining it).
pub const CONFLICT_ATTEMPTS: usize = 16;

/// Relating two records. The statement is fixed text; the records, the edge
/// table and the content are bound variables.
const RELATE: &str = "RELATE ONLY $from->$edge->$to";
const RELATE_CONTENT: &str = "RELATE ONLY $from->$edge->$to CONTENT $data";

/// Credentials, as SurrealDB's RPC `signin` takes them: `{user, pass}` for
/// root, with `ns` for a namespace user, `ns` and `db` for a database user,
/// or `{ns, db, ac, ...params}` for a record access method.
pub enum Auth {
    Root(auth::Root),
    Namespace(auth::Namespace),
    Database(auth::Database),
    Record(auth::Record<Value>),
    /// A bearer key of an access method (`DEFINE ACCESS ... TYPE BEARER`):
    /// `{ns, db, ac, key}`, `ns` and `db` as the access method's level needs.
    Bearer(BearerKey),
}

/// Bearer-key credentials, passed to SurrealDB as they are (the SDK has no
/// type of its own for them; its signin takes any `Credentials<Signin>`).
pub struct BearerKey(Object);

impl SurrealValue for BearerKey {
    fn kind_of() -> Kind {
        Kind::Object
    }

    fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    fn from_value(value: Value) -> surrealdb::Result<Self> {
        match value {
            Value::Object(object) => Ok(Self(object)),
            _ => Err(surrealdb::Error::internal(
                "bearer credentials are an object".to_owned(),
            )),
        }
    }
}

impl Credentials<Signin> for BearerKey {}

pub enum Operation {
    Query {
        sql: String,
        bindings: Option<Value>,
    },
    Select(Resource),
    /// NONE as the data means no content (here and below).
    Create(Resource, Value),
    Insert(String, Value),
    InsertRelation(String, Value),
    Upsert(Resource, Value),
    Update(Resource, Value),
    Merge(Resource, Value),
    Patch(Resource, Vec<PatchOp>),
    Delete(Resource),
    Relate {
        from: Value,
        edge: String,
        to: Value,
        data: Value,
    },
    Run(String, Vec<Value>),
    Version,
    Health,
    Signin(Auth),
    Signup(auth::Record<Value>),
    Authenticate(String),
    /// New tokens for `{access, refresh}` (a refresh token).
    Refresh(Value),
    Invalidate,
    Set(String, Value),
    Unset(String),
    Import(PathBuf, Option<ImportProgress>),
    /// Without a sink it fails: the caller must say where the text goes
    /// (see [`Operation::with_stream`]).
    Export(ExportOptions, Option<ChunkSink>),
    // The rest need the session's own state (its transactions and live
    // queries), so `SurrealDatabase` runs them, not [`Operation::run`].
    /// Begins a transaction: answers its id.
    Begin,
    Commit(Uuid),
    Cancel(Uuid),
    /// A live query: SurrealQL with one `LIVE SELECT` statement, and where
    /// its notifications go (required: see [`Operation::with_stream`]).
    Live {
        sql: String,
        bindings: Option<Value>,
        sink: Option<Sink>,
        /// The SurrealQL is this crate's own `LIVE SELECT` (method live), so
        /// it may run again when it loses a conflict; a caller's (method
        /// live_query) may hold other statements, and never does.
        retry: bool,
    },
    Kill(Uuid),
    /// A query or record verb inside the session's transaction of that id.
    InTransaction(Uuid, Box<Operation>),
}

/// Receives an export's text, chunk by chunk, in order; false stops the
/// export (it then fails).
pub type ChunkSink = Box<dyn FnMut(&[u8]) -> bool + Send>;

/// The kinds of definitions an export may leave out, by their option names.
const EXPORT_FLAGS: &[&str] = &[
    "users",
    "accesses",
    "params",
    "functions",
    "analyzers",
    "records",
    "sequences",
    "apis",
    "buckets",
    "modules",
    "configs",
    "database_definition",
];

/// What an export includes: `surreal_db_export`'s options, decoded. Absent
/// settings keep the SDK's defaults (everything).
#[derive(Default)]
pub struct ExportOptions {
    flags: Vec<(&'static str, bool)>,
    tables: Option<surrealdb_rpc::export::TableConfig>,
}

impl ExportOptions {
    /// Reads an object of booleans named as in [`EXPORT_FLAGS`], and `tables`:
    /// `true` (all), `false` (none) or an array of table names. NONE: the
    /// defaults.
    pub fn from_value(value: Value) -> FfiResult<Self> {
        use surrealdb_rpc::export::TableConfig;
        let error =
            |message: String| FfiError::invalid_argument(format!("export options: {message}"));
        let object = match value {
            Value::None => return Ok(Self::default()),
            Value::Object(object) => object,
            other => {
                return Err(error(format!(
                    "must be an object, not {}",
                    convert::kind_name(&other)
                )))
            }
        };
        let mut options = Self::default();
        for (key, value) in object {
            if key == "tables" {
                options.tables = Some(match value {
                    Value::Bool(all) => TableConfig::from(all),
                    Value::Array(names) => TableConfig::Some(
                        names
                            .into_iter()
                            .map(|name| match name {
                                Value::String(name) => Ok(name),
                                Value::Table(table) => Ok(table.into_string()),
                                _ => Err(error("'tables' must list table names".to_owned())),
                            })
                            .collect::<FfiResult<Vec<_>>>()?,
                    ),
                    _ => {
                        return Err(error(
                            "'tables' must be true, false or an array of names".to_owned(),
                        ))
                    }
                });
                continue;
            }
            let Some(flag) = EXPORT_FLAGS.iter().find(|flag| **flag == key) else {
                return Err(error(format!(
                    "unknown option '{key}'; known: tables, {}",
                    EXPORT_FLAGS.join(", ")
                )));
            };
            match value {
                Value::Bool(on) => options.flags.push((flag, on)),
                _ => return Err(error(format!("'{key}' must be a boolean"))),
            }
        }
        Ok(options)
    }
}

/// The arguments of one call, taken in order.
struct Args<'a> {
    method: &'a str,
    values: std::vec::IntoIter<Value>,
}

impl Args<'_> {
    fn missing(&self, what: &str) -> FfiError {
        FfiError::invalid_argument(format!("{}: the {what} argument is missing", self.method))
    }

    fn value(&mut self, what: &str) -> FfiResult<Value> {
        self.values.next().ok_or_else(|| self.missing(what))
    }

    /// An optional trailing argument: NONE when absent.
    fn optional(&mut self) -> Value {
        self.values.next().unwrap_or(Value::None)
    }

    fn string(&mut self, what: &str) -> FfiResult<String> {
        match self.value(what)? {
            Value::String(text) => Ok(text),
            Value::Table(table) => Ok(table.into_string()),
            other => Err(FfiError::invalid_argument(format!(
                "{}: the {what} must be a string, not {}",
                self.method,
                convert::kind_name(&other)
            ))),
        }
    }

    fn resource(&mut self) -> FfiResult<Resource> {
        resource::from_value(self.value("resource")?)
    }

    fn record(&mut self, what: &str) -> FfiResult<Value> {
        match self.value(what)? {
            Value::String(text) => Ok(Value::RecordId(resource::parse_record_id(&text)?)),
            value @ Value::RecordId(_) => Ok(value),
            other => Err(FfiError::invalid_argument(format!(
                "{}: the {what} must be a record id, not {}",
                self.method,
                convert::kind_name(&other)
            ))),
        }
    }

    fn object(&mut self, what: &str) -> FfiResult<Object> {
        match self.value(what)? {
            Value::Object(object) => Ok(object),
            other => Err(FfiError::invalid_argument(format!(
                "{}: the {what} must be an object, not {}",
                self.method,
                convert::kind_name(&other)
            ))),
        }
    }

    fn array(&mut self, what: &str) -> FfiResult<Vec<Value>> {
        match self.optional() {
            Value::None => Ok(Vec::new()),
            Value::Array(array) => Ok(array.into_iter().collect()),
            other => Err(FfiError::invalid_argument(format!(
                "{}: the {what} must be an array, not {}",
                self.method,
                convert::kind_name(&other)
            ))),
        }
    }

    fn uuid(&mut self, what: &str) -> FfiResult<Uuid> {
        match self.value(what)? {
            Value::Uuid(uuid) => Ok(uuid.into_inner()),
            other => Err(FfiError::invalid_argument(format!(
                "{}: the {what} must be a uuid, not {}",
                self.method,
                convert::kind_name(&other)
            ))),
        }
    }

    /// An optional trailing boolean: false when absent.
    fn flag(&mut self, what: &str) -> FfiResult<bool> {
        match self.optional() {
            Value::None => Ok(false),
            Value::Bool(flag) => Ok(flag),
            other => Err(FfiError::invalid_argument(format!(
                "{}: the {what} must be a boolean, not {}",
                self.method,
                convert::kind_name(&other)
            ))),
        }
    }

    /// Refuses arguments beyond those the method takes.
    fn done(mut self) -> FfiResult<()> {
        match self.values.next() {
            None => Ok(()),
            Some(_) => Err(FfiError::invalid_argument(format!(
                "{}: too many arguments",
                self.method
            ))),
        }
    }
}

/// The method names `surreal_db_execute` accepts, as `surreal_core.h` lists them.
const METHODS: &[&str] = &[
    "query",
    "select",
    "create",
    "insert",
    "insert_relation",
    "upsert",
    "update",
    "merge",
    "patch",
    "delete",
    "relate",
    "run",
    "version",
    "health",
    "signin",
    "signup",
    "authenticate",
    "refresh",
    "invalidate",
    "set",
    "unset",
    "import",
    "export",
    "begin",
    "commit",
    "cancel",
    "live",
    "live_query",
    "kill",
];

fn take_string(object: &mut Object, key: &str, method: &str) -> FfiResult<String> {
    match object.remove(key) {
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(FfiError::invalid_argument(format!(
            "{method}: '{key}' must be a string"
        ))),
        None => Err(FfiError::invalid_argument(format!(
            "{method}: the object lacks '{key}'"
        ))),
    }
}

fn record_credentials(mut object: Object, method: &str) -> FfiResult<auth::Record<Value>> {
    Ok(auth::Record {
        namespace: take_string(&mut object, "ns", method)?,
        database: take_string(&mut object, "db", method)?,
        access: take_string(&mut object, "ac", method)?,
        params: Value::Object(object),
    })
}

impl Auth {
    fn from_object(mut object: Object) -> FfiResult<Self> {
        const M: &str = "signin";
        if object.get("key").is_some() {
            for (field, required) in [("ac", true), ("key", true), ("ns", false), ("db", false)] {
                match object.get(field) {
                    Some(Value::String(_)) => {}
                    None if !required => {}
                    Some(_) => {
                        return Err(FfiError::invalid_argument(format!(
                            "{M}: '{field}' must be a string"
                        )))
                    }
                    None => {
                        return Err(FfiError::invalid_argument(format!(
                            "{M}: bearer credentials need '{field}'"
                        )))
                    }
                }
            }
            return Ok(Auth::Bearer(BearerKey(object)));
        }
        if object.get("ac").is_some() {
            return record_credentials(object, M).map(Auth::Record);
        }
        let ns = object.get("ns").is_some();
        let db = object.get("db").is_some();
        let username = take_string(&mut object, "user", M)?;
        let password = take_string(&mut object, "pass", M)?;
        Ok(match (ns, db) {
            (false, false) => Auth::Root(auth::Root { username, password }),
            (true, false) => Auth::Namespace(auth::Namespace {
                namespace: take_string(&mut object, "ns", M)?,
                username,
                password,
            }),
            (true, true) => Auth::Database(auth::Database {
                namespace: take_string(&mut object, "ns", M)?,
                database: take_string(&mut object, "db", M)?,
                username,
                password,
            }),
            (false, true) => {
                return Err(FfiError::invalid_argument(
                    "signin: database credentials need 'ns' as well as 'db'",
                ))
            }
        })
    }
}

fn patch_op(value: Value) -> FfiResult<PatchOp> {
    let Value::Object(mut object) = value else {
        return Err(FfiError::invalid_argument(
            "patch: each operation must be an object {op, path, value}",
        ));
    };
    let op = take_string(&mut object, "op", "patch")?;
    let path = take_string(&mut object, "path", "patch")?;
    let value = object.remove("value");
    let needs_value = || {
        FfiError::invalid_argument(format!(
            "patch: the '{op}' operation at '{path}' needs a value"
        ))
    };
    Ok(match op.as_str() {
        "add" => PatchOp::Add {
            value: value.ok_or_else(needs_value)?,
            path,
        },
        "replace" => PatchOp::Replace {
            value: value.ok_or_else(needs_value)?,
            path,
        },
        "remove" => PatchOp::Remove { path },
        "change" => match value {
            Some(Value::String(diff)) => PatchOp::Change { path, value: diff },
            _ => {
                return Err(FfiError::invalid_argument(format!(
                    "patch: the 'change' operation at '{path}' needs a text diff as its value"
                )))
            }
        },
        other => {
            return Err(FfiError::invalid_argument(format!(
                "patch: unknown operation '{other}' (add, remove, replace or change)"
            )))
        }
    })
}

impl Operation {
    /// One call in the generic shape: `method` names it, `params` is an array
    /// of its arguments (NONE for none), as documented at `surreal_db_execute`.
    pub fn from_call(method: &str, params: Value) -> FfiResult<Self> {
        let values: Vec<Value> = match params {
            Value::None => Vec::new(),
            Value::Array(array) => array.into_inner(),
            other => {
                return Err(FfiError::invalid_argument(format!(
                    "{method}: the arguments must be an array, not {}",
                    convert::kind_name(&other)
                )))
            }
        };
        let mut args = Args {
            method,
            values: values.into_iter(),
        };
        let operation = match method {
            "query" => {
                let sql = args.string("SurrealQL text")?;
                let bindings = match args.optional() {
                    Value::None => None,
                    other => Some(other),
                };
                Self::query_with(sql, bindings)?
            }
            "select" => Operation::Select(args.resource()?),
            "create" => Operation::Create(args.resource()?, args.optional()),
            "insert" => Operation::Insert(args.string("table")?, args.value("data")?),
            "insert_relation" => {
                Operation::InsertRelation(args.string("table")?, args.value("data")?)
            }
            "upsert" => Operation::Upsert(args.resource()?, args.optional()),
            "update" => Operation::Update(args.resource()?, args.optional()),
            "merge" => Operation::Merge(args.resource()?, args.value("data")?),
            "patch" => {
                let resource = args.resource()?;
                let ops = args
                    .array("operations")?
                    .into_iter()
                    .map(patch_op)
                    .collect::<FfiResult<Vec<_>>>()?;
                Operation::Patch(resource, ops)
            }
            "delete" => Operation::Delete(args.resource()?),
            "relate" => Operation::Relate {
                from: args.record("from record")?,
                edge: args.string("edge table")?,
                to: args.record("to record")?,
                data: args.optional(),
            },
            "run" => Operation::Run(args.string("function name")?, args.array("arguments")?),
            "version" => Operation::Version,
            "health" => Operation::Health,
            "signin" => Operation::Signin(Auth::from_object(args.object("credentials")?)?),
            "signup" => {
                Operation::Signup(record_credentials(args.object("credentials")?, "signup")?)
            }
            "authenticate" => Operation::Authenticate(args.string("token")?),
            "refresh" => Operation::Refresh(Value::Object(args.object("tokens")?)),
            "invalidate" => Operation::Invalidate,
            "set" => Operation::Set(args.string("name")?, args.value("value")?),
            "unset" => Operation::Unset(args.string("name")?),
            "import" => Operation::Import(args.string("file path")?.into(), None),
            "export" => Operation::Export(ExportOptions::from_value(args.optional())?, None),
            "begin" => Operation::Begin,
            "commit" => Operation::Commit(args.uuid("transaction id")?),
            "cancel" => Operation::Cancel(args.uuid("transaction id")?),
            "live" => {
                let resource = args.resource()?;
                let diff = args.flag("diff")?;
                let (sql, bindings) = live_select(resource, diff)?;
                Operation::Live {
                    sql,
                    bindings: Some(bindings),
                    sink: None,
                    retry: true,
                }
            }
            "live_query" => {
                let sql = args.string("SurrealQL text")?;
                let bindings = match args.optional() {
                    Value::None => None,
                    Value::Object(object) => Some(Value::Object(object)),
                    other => {
                        return Err(FfiError::invalid_argument(format!(
                            "live_query: the bindings must be an object, not {}",
                            convert::kind_name(&other)
                        )))
                    }
                };
                Operation::Live {
                    sql,
                    bindings,
                    sink: None,
                    retry: false,
                }
            }
            "kill" => Operation::Kill(args.uuid("live query id")?),
            unknown => {
                return Err(FfiError::invalid_argument(format!(
                    "unknown method '{unknown}'; known: {}",
                    METHODS.join(", ")
                )))
            }
        };
        args.done()?;
        Ok(operation)
    }

    /// The error of an operation that needs a stream and has none: an
    /// export (its text goes somewhere) and a live query (its
    /// notifications do), as `with_stream(None, None, None)` reports it.
    pub fn lacks_stream(&self) -> Option<FfiError> {
        match self {
            Operation::Export(..) => Some(FfiError::invalid_argument(
                "export: the stream has no chunk callback",
            )),
            Operation::Live { .. } => Some(FfiError::invalid_argument(
                "live: the stream has no notify callback for the notifications",
            )),
            _ => None,
        }
    }

    /// Gives an export its sink, an import its progress report, and a live
    /// query where its notifications go; other operations take none of them.
    pub fn with_stream(
        self,
        sink: Option<ChunkSink>,
        progress: Option<ImportProgress>,
        notify: Option<Sink>,
    ) -> FfiResult<Self> {
        match self {
            Operation::Export(..) | Operation::Import(..) if notify.is_some() => Err(
                FfiError::invalid_argument("a stream's notify callback is for live queries only"),
            ),
            Operation::Export(options, _) => {
                let sink = sink.ok_or_else(|| {
                    FfiError::invalid_argument("export: the stream has no chunk callback")
                })?;
                Ok(Operation::Export(options, Some(sink)))
            }
            Operation::Import(path, _) => Ok(Operation::Import(path, progress)),
            Operation::Live {
                sql,
                bindings,
                retry,
                ..
            } => {
                let notify = notify.ok_or_else(|| {
                    FfiError::invalid_argument(
                        "live: the stream has no notify callback for the notifications",
                    )
                })?;
                Ok(Operation::Live {
                    sql,
                    bindings,
                    sink: Some(notify),
                    retry,
                })
            }
            other if sink.is_none() && progress.is_none() && notify.is_none() => Ok(other),
            _ => Err(FfiError::invalid_argument(
                "a stream is for export, import and live queries only",
            )),
        }
    }

    /// The same operation inside the transaction `id` of the session.
    pub fn in_transaction(self, id: Uuid) -> Self {
        Operation::InTransaction(id, Box::new(self))
    }

    /// SurrealQL with optional variables (JSON text of an object).
    pub fn query(sql: &str, bindings: Option<&str>) -> FfiResult<Self> {
        let bindings = bindings
            .map(|text| convert::parse_json_object(text, "bindings"))
            .transpose()?;
        Self::query_with(sql.to_owned(), bindings)
    }

    /// SurrealQL with optional variables, already decoded: an object.
    pub fn query_with(sql: String, bindings: Option<Value>) -> FfiResult<Self> {
        if bindings
            .as_ref()
            .is_some_and(|value| !matches!(value, Value::Object(_)))
        {
            return Err(FfiError::invalid_argument(
                "bindings must be an object (a CBOR map)",
            ));
        }
        Ok(Operation::Query { sql, bindings })
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

    /// The method's name, as `surreal_db_execute` takes it.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Query { .. } => "query",
            Operation::Select(_) => "select",
            Operation::Create(..) => "create",
            Operation::Insert(..) => "insert",
            Operation::InsertRelation(..) => "insert_relation",
            Operation::Upsert(..) => "upsert",
            Operation::Update(..) => "update",
            Operation::Merge(..) => "merge",
            Operation::Patch(..) => "patch",
            Operation::Delete(_) => "delete",
            Operation::Relate { .. } => "relate",
            Operation::Run(..) => "run",
            Operation::Version => "version",
            Operation::Health => "health",
            Operation::Signin(_) => "signin",
            Operation::Signup(_) => "signup",
            Operation::Authenticate(_) => "authenticate",
            Operation::Refresh(_) => "refresh",
            Operation::Invalidate => "invalidate",
            Operation::Set(..) => "set",
            Operation::Unset(_) => "unset",
            Operation::Import(..) => "import",
            Operation::Export(..) => "export",
            Operation::Begin => "begin",
            Operation::Commit(_) => "commit",
            Operation::Cancel(_) => "cancel",
            Operation::Live { .. } => "live",
            Operation::Kill(_) => "kill",
            Operation::InTransaction(_, operation) => operation.name(),
        }
    }

    /// Whether it changes who the session is: signing in, up or out.
    pub fn changes_principal(&self) -> bool {
        matches!(
            self,
            Operation::Signin(_)
                | Operation::Signup(_)
                | Operation::Authenticate(_)
                | Operation::Refresh(_)
                | Operation::Invalidate
        )
    }

    /// Runs the operation on a session. For a query, an error that stops
    /// the whole query (a syntax error, say) is an `Err`; the failure of
    /// single statements is recorded in the response. Selecting a table that
    /// does not exist gives an empty result, as in SurrealDB 2, rather than
    /// SurrealDB 3's error.
    pub async fn run<C: Connection>(self, db: &Surreal<C>) -> FfiResult<SurrealResponse> {
        let result = match self {
            Operation::Run(function, args) => {
                return run_function(db, &function, args)
                    .await
                    .map(SurrealResponse::single)
            }
            Operation::Version => db
                .version()
                .await
                .map(|version| Value::String(version.to_string())),
            Operation::Health => db.health().await.map(|()| Value::None),
            Operation::Signin(credentials) => {
                let tokens = match credentials {
                    Auth::Root(c) => signin(db, c).await,
                    Auth::Namespace(c) => signin(db, c).await,
                    Auth::Database(c) => signin(db, c).await,
                    Auth::Record(c) => signin(db, c).await,
                    Auth::Bearer(c) => signin(db, c).await,
                };
                return tokens.map(SurrealResponse::single).map_err(auth_error);
            }
            Operation::Signup(credentials) => {
                let tokens = db.signup(credentials).await.map(token_value);
                return tokens.map(SurrealResponse::single).map_err(auth_error);
            }
            Operation::Authenticate(token) => {
                let done = db.authenticate(token).await.map(|_| Value::None);
                return done.map(SurrealResponse::single).map_err(auth_error);
            }
            Operation::Refresh(tokens) => {
                let tokens = auth::Token::from_value(tokens).map_err(|error| {
                    FfiError::invalid_argument(format!(
                        "refresh: the tokens must be {{access, refresh}}: {}",
                        error.message()
                    ))
                })?;
                if tokens.refresh.is_none() {
                    return Err(FfiError::invalid_argument(
                        "refresh: there is no refresh token (the access method issues one WITH REFRESH)",
                    ));
                }
                let refreshed = db.authenticate(tokens).refresh().await.map(token_value);
                return refreshed.map(SurrealResponse::single).map_err(auth_error);
            }
            Operation::Invalidate => db.invalidate().await.map(|()| Value::None),
            Operation::Set(name, value) => db.set(name, value).await.map(|()| Value::None),
            Operation::Unset(name) => db.unset(name).await.map(|()| Value::None),
            Operation::Import(path, None) => db.import(path).await.map(|()| Value::None),
            Operation::Import(path, Some(progress)) => {
                return progress
                    .watch(&path, db.import(&path).into_future())
                    .await
                    .map(|()| SurrealResponse::single(Value::None))
            }
            Operation::Export(options, Some(sink)) => {
                return export(db, options, sink).await.map(SurrealResponse::single)
            }
            Operation::Export(_, None) => {
                return Err(FfiError::invalid_argument(
                    "export: the text needs somewhere to go: pass a chunk callback",
                ))
            }
            session @ (Operation::Begin
            | Operation::Commit(_)
            | Operation::Cancel(_)
            | Operation::Live { .. }
            | Operation::Kill(_)
            | Operation::InTransaction(..)) => {
                return Err(FfiError::internal(format!(
                    "{}: run by the session, not as a plain operation",
                    session.name()
                )))
            }
            verb => return verb.run_verb(db).await,
        };
        result.map(SurrealResponse::single).map_err(sdk_error)
    }

    /// Runs the operation inside a transaction: the query and record verbs
    /// only (the SDK's transaction offers no others).
    pub async fn run_in<C: Connection>(
        self,
        transaction: &Transaction<C>,
    ) -> FfiResult<SurrealResponse> {
        self.check_in_transaction()?;
        self.run_verb(transaction).await
    }

    /// Refuses what cannot run inside a transaction: all but the query and
    /// record verbs.
    pub fn check_in_transaction(&self) -> FfiResult<()> {
        match self {
            Operation::Query { .. }
            | Operation::Select(_)
            | Operation::Create(..)
            | Operation::Insert(..)
            | Operation::InsertRelation(..)
            | Operation::Upsert(..)
            | Operation::Update(..)
            | Operation::Merge(..)
            | Operation::Patch(..)
            | Operation::Delete(_)
            | Operation::Relate { .. } => Ok(()),
            other => Err(FfiError::invalid_argument(format!(
                "{} cannot run inside a transaction: only query, select, create, insert, \
                 insert_relation, upsert, update, merge, patch, delete and relate can",
                other.name()
            ))),
        }
    }

    /// The query and record verbs, on a session or in a transaction.
    async fn run_verb<T: Target>(self, db: &T) -> FfiResult<SurrealResponse> {
        let retry = T::RETRIES;
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
                match retry_conflicts(retry, || db.select(resource.clone()).into_future()).await {
                    Err(error) if is_missing_table(&error) => Ok(Value::Array(Default::default())),
                    other => other,
                }
            }
            Operation::Create(resource, Value::None) => {
                retry_conflicts(retry, || db.create(resource.clone()).into_future()).await
            }
            Operation::Create(resource, data) => {
                retry_conflicts(retry, || {
                    db.create(resource.clone())
                        .content(data.clone())
                        .into_future()
                })
                .await
            }
            Operation::Insert(table, data) => {
                retry_conflicts(retry, || {
                    let insert = db.insert(table.clone()).content(data.clone());
                    async { insert.await.map(records) }
                })
                .await
            }
            Operation::InsertRelation(table, data) => {
                retry_conflicts(retry, || {
                    let insert = db.insert(table.clone()).relation(data.clone());
                    async { insert.await.map(records) }
                })
                .await
            }
            Operation::Upsert(resource, Value::None) => {
                retry_conflicts(retry, || db.upsert(resource.clone()).into_future()).await
            }
            Operation::Upsert(resource, data) => {
                retry_conflicts(retry, || {
                    db.upsert(resource.clone())
                        .content(data.clone())
                        .into_future()
                })
                .await
            }
            Operation::Update(resource, Value::None) => {
                retry_conflicts(retry, || db.update(resource.clone()).into_future()).await
            }
            Operation::Update(resource, data) => {
                retry_conflicts(retry, || {
                    db.update(resource.clone())
                        .content(data.clone())
                        .into_future()
                })
                .await
            }
            Operation::Merge(resource, data) => {
                retry_conflicts(retry, || {
                    db.update(resource.clone())
                        .merge(data.clone())
                        .into_future()
                })
                .await
            }
            Operation::Patch(resource, ops) => {
                let mut patch = db.update(resource).patch(PatchOps::new());
                for op in ops {
                    patch = patch.patch(op);
                }
                patch.await
            }
            Operation::Delete(resource) => {
                retry_conflicts(retry, || db.delete(resource.clone()).into_future()).await
            }
            Operation::Relate {
                from,
                edge,
                to,
                data,
            } => {
                let (sql, variables) = relate_statement(from, edge, to, data);
                let mut results = db
                    .query(sql.to_owned())
                    .bind(Value::Object(variables))
                    .await
                    .map_err(sdk_error)?;
                results.take::<Value>(0)
            }
            other => {
                return Err(FfiError::internal(format!(
                    "{} is not a query or record verb",
                    other.name()
                )))
            }
        };
        result.map(SurrealResponse::single).map_err(sdk_error)
    }
}

/// What the query and record verbs run on: a session, or a transaction of
/// one, over any engine. The SDK gives both the same methods, answering the
/// same builders; this trait names them once, so that each verb is written
/// once.
trait Target {
    type Engine: Connection;
    /// Whether a single-statement write that loses a conflict runs again.
    /// Not inside a transaction: the conflict is the transaction's, and its
    /// caller retries the whole of it.
    const RETRIES: bool;
    fn query(&self, sql: String) -> Query<'_, Self::Engine>;
    fn select(&self, resource: Resource) -> Select<'_, Self::Engine, Value>;
    fn create(&self, resource: Resource) -> Create<'_, Self::Engine, Value>;
    fn insert(&self, table: String) -> Insert<'_, Self::Engine, Vec<Value>>;
    fn upsert(&self, resource: Resource) -> Upsert<'_, Self::Engine, Value>;
    fn update(&self, resource: Resource) -> Update<'_, Self::Engine, Value>;
    fn delete(&self, resource: Resource) -> Delete<'_, Self::Engine, Value>;
}

/// Implements [`Target`] by the type's own methods of the same names.
macro_rules! target {
    ($type:ident, retries: $retries:expr) => {
        impl<C: Connection> Target for $type<C> {
            type Engine = C;
            const RETRIES: bool = $retries;
            fn query(&self, sql: String) -> Query<'_, C> {
                $type::query(self, sql)
            }
            fn select(&self, resource: Resource) -> Select<'_, C, Value> {
                $type::select(self, resource)
            }
            fn create(&self, resource: Resource) -> Create<'_, C, Value> {
                $type::create(self, resource)
            }
            fn insert(&self, table: String) -> Insert<'_, C, Vec<Value>> {
                $type::insert(self, table)
            }
            fn upsert(&self, resource: Resource) -> Upsert<'_, C, Value> {
                $type::upsert(self, resource)
            }
            fn update(&self, resource: Resource) -> Update<'_, C, Value> {
                $type::update(self, resource)
            }
            fn delete(&self, resource: Resource) -> Delete<'_, C, Value> {
                $type::delete(self, resource)
            }
        }
    };
}

target!(Surreal, retries: true);
target!(Transaction, retries: false);

/// The `LIVE SELECT` of a table, one record or a range of records, as the
/// SDK's own `live()` writes it: fixed text, the resource bound.
fn live_select(resource: Resource, diff: bool) -> FfiResult<(String, Value)> {
    use std::ops::Bound;
    use surrealdb::types::RecordId;
    let fields = if diff { "DIFF" } else { "*" };
    let mut variables = Object::new();
    let mut conditions: Vec<&str> = Vec::new();
    match resource {
        Resource::Table(table) => {
            variables.insert("table".to_owned(), Value::Table(table));
        }
        Resource::RecordId(record) => {
            variables.insert("table".to_owned(), Value::Table(record.table.clone()));
            variables.insert("record".to_owned(), Value::RecordId(record));
            conditions.push("id = $record");
        }
        Resource::Range(range) => {
            let table = range.table.clone();
            variables.insert("table".to_owned(), Value::Table(table.clone()));
            let mut bound = |bound: Bound<_>, name: &str, inclusive, exclusive| match bound {
                Bound::Included(key) => {
                    variables.insert(
                        name.to_owned(),
                        Value::RecordId(RecordId::new(table.clone(), key)),
                    );
                    conditions.push(inclusive);
                }
                Bound::Excluded(key) => {
                    variables.insert(
                        name.to_owned(),
                        Value::RecordId(RecordId::new(table.clone(), key)),
                    );
                    conditions.push(exclusive);
                }
                Bound::Unbounded => {}
            };
            bound(range.range.start, "start", "id >= $start", "id > $start");
            bound(range.range.end, "end", "id <= $end", "id < $end");
        }
        _ => {
            return Err(FfiError::invalid_argument(
                "live: the resource must be a table, a record id or a range of record ids",
            ))
        }
    }
    let mut sql = format!("LIVE SELECT {fields} FROM $table");
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    Ok((sql, Value::Object(variables)))
}

/// Records the SDK answers as a vector, as one array value.
fn records(records: Vec<Value>) -> Value {
    Value::Array(records.into())
}

/// Streams an export into `sink`.
async fn export<C: Connection>(
    db: &Surreal<C>,
    options: ExportOptions,
    mut sink: ChunkSink,
) -> FfiResult<Value> {
    let mut export = db.export(()).with_config();
    for (flag, on) in options.flags {
        export = match flag {
            "users" => export.users(on),
            "accesses" => export.accesses(on),
            "params" => export.params(on),
            "functions" => export.functions(on),
            "analyzers" => export.analyzers(on),
            "records" => export.records(on),
            "sequences" => export.sequences(on),
            "apis" => export.apis(on),
            "buckets" => export.buckets(on),
            "modules" => export.modules(on),
            "configs" => export.configs(on),
            "database_definition" => export.database_definition(on),
            _ => unreachable!("every name in EXPORT_FLAGS has an arm"),
        };
    }
    if let Some(tables) = options.tables {
        export = export.tables(tables);
    }
    let mut chunks = export.await.map_err(sdk_error)?;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(sdk_error)?;
        if !sink(&chunk) {
            return Err(FfiError::internal(
                "the export was stopped by its chunk callback",
            ));
        }
    }
    Ok(Value::None)
}

/// Calls the function `function` (a built-in such as `string::len`, a
/// defined `fn::...`, or a model `ml::name<version>`) with `args`, each
/// argument a bound parameter, and answers what it returned.
///
/// Not the SDK's `Surreal::run`, which answers a function's array of one
/// element as that element (its deserialisation cannot tell them apart
/// afterwards): `array::flatten([[1]])` would answer `1`. The name is held
/// to the grammar of a function name before it becomes the query's text,
/// as the SDK's `run` does (the engines build the same text from it); the
/// arguments never become text.
async fn run_function<C: Connection>(
    db: &Surreal<C>,
    function: &str,
    args: Vec<Value>,
) -> FfiResult<Value> {
    let (sql, bindings) = function_call(function, args)?;
    let mut response = db.query(sql).bind(bindings).await.map_err(sdk_error)?;
    response.take::<Value>(0).map_err(sdk_error)
}

/// The statement that relates `from` to `to` through `edge`, with `data`
/// as its content unless NONE, and its variables.
pub(crate) fn relate_statement(
    from: Value,
    edge: String,
    to: Value,
    data: Value,
) -> (&'static str, Object) {
    let sql = if data.is_none() {
        RELATE
    } else {
        RELATE_CONTENT
    };
    let mut variables = Object::new();
    variables.insert("from".to_owned(), from);
    variables.insert(
        "edge".to_owned(),
        Value::Table(surrealdb::types::Table::new(edge)),
    );
    variables.insert("to".to_owned(), to);
    variables.insert("data".to_owned(), data);
    (sql, variables)
}

/// The query that calls `function` with `args`, and its bindings.
pub(crate) fn function_call(function: &str, args: Vec<Value>) -> FfiResult<(String, Value)> {
    let name = function_name(function)?;
    let mut bindings = Object::new();
    let mut params = Vec::with_capacity(args.len());
    for (index, arg) in args.into_iter().enumerate() {
        let param = format!("surrealcpp_arg{index}");
        params.push(format!("${param}"));
        bindings.insert(param, arg);
    }
    Ok((
        format!("RETURN {name}({})", params.join(", ")),
        Value::Object(bindings),
    ))
}

/// `function` when it is a SurrealQL function name: `::`-separated parts,
/// each a letter or `_` and then letters, digits or `_`, optionally followed
/// by a version in angle brackets (`ml::model<1.0.0>`) of digits and dots.
fn function_name(function: &str) -> FfiResult<&str> {
    let invalid =
        || FfiError::invalid_argument(format!("run: '{function}' is not a function name"));
    let (name, version) = match function.split_once('<') {
        Some((name, rest)) => (name, Some(rest.strip_suffix('>').ok_or_else(invalid)?)),
        None => (function, None),
    };
    let part_ok = |part: &str| {
        let mut chars = part.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let version_ok = |version: &str| {
        !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.')
    };
    if name.split("::").all(part_ok) && version.is_none_or(version_ok) {
        Ok(function)
    } else {
        Err(invalid())
    }
}

/// The failure of signing in or up, or of a token: an authentication error
/// whatever the engine's kind for it (it reports a bad token as a plain
/// error), but for a lost connection. SurrealDB's messages name no secret.
pub(crate) fn auth_error(error: surrealdb::Error) -> FfiError {
    if error.is_connection() {
        return sdk_error(error);
    }
    FfiError::from_surreal(crate::error::SURREAL_ERR_AUTHENTICATION, error)
}

async fn signin<C: Connection, K: Credentials<Signin>>(
    db: &Surreal<C>,
    credentials: K,
) -> surrealdb::Result<Value> {
    db.signin(credentials).await.map(token_value)
}

/// A token as a value: `{access, refresh}`, without `refresh` when SurrealDB
/// gave none.
fn token_value(token: auth::Token) -> Value {
    let mut object = Object::new();
    object.insert(
        "access".to_owned(),
        Value::String(token.access.into_insecure_token()),
    );
    if let Some(refresh) = token.refresh {
        object.insert(
            "refresh".to_owned(),
            Value::String(refresh.into_insecure_token()),
        );
    }
    Value::Object(object)
}

/// Runs a single-statement record operation again, when `retry`, while it
/// fails with a transaction conflict, which SurrealDB reports as safe to retry: nothing of
/// the failed attempt was committed.
async fn retry_conflicts<F, Fut>(retry: bool, mut operation: F) -> surrealdb::Result<Value>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = surrealdb::Result<Value>>,
{
    let attempts = if retry { CONFLICT_ATTEMPTS } else { 1 };
    let mut attempt = 1;
    loop {
        match operation().await {
            Err(error) if attempt < attempts && is_conflict(&error) => attempt += 1,
            result => return result,
        }
    }
}

pub(crate) fn is_missing_table(error: &surrealdb::Error) -> bool {
    matches!(error.not_found_details(), Some(NotFoundError::Table { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_method_has_its_arm() {
        for method in METHODS {
            if let Err(error) = Operation::from_call(method, Value::None) {
                assert!(
                    !error.message.starts_with("unknown method"),
                    "{method}: {}",
                    error.message
                );
            }
        }
        let error = Operation::from_call("nope", Value::None).err().unwrap();
        assert!(
            error.message.starts_with("unknown method 'nope'"),
            "{}",
            error.message
        );
    }

    #[test]
    fn function_names_follow_surrealql_grammar() {
        for good in [
            "string::len",
            "fn::greet",
            "count",
            "_x::y_2",
            "ml::model<1.0.0>",
        ] {
            assert_eq!(function_name(good), Ok(good));
        }
        for bad in [
            "",
            "string::",
            "::len",
            "2fn::x",
            "fn::x; DELETE person",
            "fn::x()",
            "ml::model<1.0",
            "ml::model<>",
            "ml::model<1); DELETE x; (>",
            "fn::gr\u{e9}et",
        ] {
            let error = function_name(bad).expect_err(bad);
            assert_eq!(
                error.code,
                crate::error::SURREAL_ERR_INVALID_ARGUMENT,
                "{bad}"
            );
        }
    }

    fn call(method: &str, args: Vec<Value>) -> FfiResult<Operation> {
        Operation::from_call(method, Value::Array(args.into()))
    }

    fn message(result: FfiResult<Operation>) -> String {
        match result {
            Ok(_) => panic!("expected an error"),
            Err(error) => error.message,
        }
    }

    #[test]
    fn unknown_methods_and_bad_arguments_are_refused() {
        assert!(message(call("drop_everything", vec![])).contains("unknown method"));
        assert!(message(call("select", vec![])).contains("resource argument is missing"));
        assert!(message(call("version", vec![Value::Bool(true)])).contains("too many"));
        assert!(message(call("relate", vec![Value::Bool(true)])).contains("must be a record id"));
        assert!(message(Operation::from_call("health", Value::Bool(true))).contains("array"));
        let bad_op = Value::Object(Object::from_iter([(
            "op".to_owned(),
            Value::String("move".into()),
        )]));
        let patch = call(
            "patch",
            vec![
                Value::String("person:1".into()),
                Value::Array(vec![bad_op].into()),
            ],
        );
        assert!(message(patch).contains("lacks 'path'"));
    }

    #[test]
    fn credentials_pick_their_level() {
        let object = |pairs: &[(&str, &str)]| {
            Object::from_iter(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned()))),
            )
        };
        let root = object(&[("user", "u"), ("pass", "p")]);
        assert!(matches!(Auth::from_object(root), Ok(Auth::Root(_))));
        let ns = object(&[("ns", "n"), ("user", "u"), ("pass", "p")]);
        assert!(matches!(Auth::from_object(ns), Ok(Auth::Namespace(_))));
        let db = object(&[("ns", "n"), ("db", "d"), ("user", "u"), ("pass", "p")]);
        assert!(matches!(Auth::from_object(db), Ok(Auth::Database(_))));
        let record = object(&[("ns", "n"), ("db", "d"), ("ac", "a"), ("email", "e")]);
        match Auth::from_object(record) {
            Ok(Auth::Record(record)) => {
                assert_eq!(record.access, "a");
                assert_eq!(record.params, Value::Object(object(&[("email", "e")])));
            }
            _ => panic!("expected record credentials"),
        }
    }
}
