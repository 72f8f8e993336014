//! The operations of the C ABI on a session of this crate's RPC client.
//!
//! The record verbs become one SurrealQL statement each, with the resource
//! and the data bound as variables, as the SDK's own clients build them for
//! SurrealDB 3 (its `method/*.rs`), so that a server answers the same values
//! to both.

use surrealdb::opt::Resource;
use surrealdb::types::{Object, RecordId, RecordIdKey, SurrealValue, Value};
use surrealdb_rpc::DbResult;

use super::session::{token_value, tokens_of, Session, Transaction};
use crate::error::{FfiError, FfiResult};
use crate::operation::{
    auth_error, function_call, is_missing_table, relate_statement, Auth, Operation,
    CONFLICT_ATTEMPTS,
};
use crate::response::{is_conflict, sdk_error, Output, SurrealResponse};

/// Runs an operation on a session (not one the session runs itself: see
/// `database.rs`).
pub async fn run(session: &Session, operation: Operation) -> FfiResult<SurrealResponse> {
    let value = match operation {
        Operation::Version => {
            let version = other(session.call("version", Vec::new()).await)?;
            match version {
                Value::String(text) => {
                    Value::String(text.trim_start_matches("surrealdb-").to_owned())
                }
                other => other,
            }
        }
        Operation::Health => other(session.call("ping", Vec::new()).await).map(|_| Value::None)?,
        Operation::Signin(credentials) => {
            let credentials = credentials_value(credentials);
            let answer = session.call("signin", vec![credentials.clone()]).await;
            let (access, refresh) = tokens_answered(answer)?;
            session.signed_in(credentials);
            token_value(access, refresh)
        }
        Operation::Signup(credentials) => {
            let credentials = credentials.into_value();
            let answer = session.call("signup", vec![credentials.clone()]).await;
            let (access, refresh) = tokens_answered(answer)?;
            // Signing in with the same credentials restores it.
            session.signed_in(credentials);
            token_value(access, refresh)
        }
        Operation::Authenticate(token) => {
            let access = Value::String(token);
            let answer = session.call("authenticate", vec![access.clone()]).await;
            answer.map_err(auth_error)?;
            session.authenticated(access, None);
            Value::None
        }
        Operation::Refresh(tokens) => {
            let Some((access, Some(refresh))) = tokens_of(tokens) else {
                return Err(FfiError::invalid_argument(
                    "refresh: the tokens must be {access, refresh}, with a refresh token \
                     (the access method issues one WITH REFRESH)",
                ));
            };
            let tokens = token_value(access, Some(refresh));
            let answer = session.call("refresh", vec![tokens]).await;
            let (access, refresh) = tokens_answered(answer)?;
            session.authenticated(access.clone(), refresh.clone());
            token_value(access, refresh)
        }
        Operation::Invalidate => {
            other(session.call("invalidate", Vec::new()).await)?;
            session.invalidated();
            Value::None
        }
        Operation::Set(name, value) => {
            let params = vec![Value::String(name.clone()), value.clone()];
            other(session.call("let", params).await)?;
            session.set(name, value);
            Value::None
        }
        Operation::Unset(name) => {
            other(
                session
                    .call("unset", vec![Value::String(name.clone())])
                    .await,
            )?;
            session.unset(&name);
            Value::None
        }
        Operation::Run(function, args) => {
            let (sql, bindings) = function_call(&function, args)?;
            let results = session
                .query(sql, Some(bindings), None)
                .await
                .map_err(sdk_error)?;
            single(results.into_iter().map(|result| result.result).collect()).map_err(sdk_error)?
        }
        verb => return run_verb(session, verb, None).await,
    };
    Ok(SurrealResponse::single(value))
}

/// Selects a namespace and/or database (None leaves one as it is).
pub async fn use_ns_db(
    session: &Session,
    namespace: Option<&str>,
    database: Option<&str>,
) -> FfiResult<()> {
    let name = |name: Option<&str>| name.map_or(Value::None, |name| Value::String(name.to_owned()));
    let params = vec![name(namespace), name(database)];
    other(session.call("use", params).await)?;
    session.used(namespace.map(str::to_owned), database.map(str::to_owned));
    Ok(())
}

/// Runs a query or record verb, in a transaction or not.
pub async fn run_verb(
    session: &Session,
    operation: Operation,
    transaction: Option<Transaction>,
) -> FfiResult<SurrealResponse> {
    if let Operation::Query { sql, bindings } = operation {
        let results = session
            .query_outputs(sql, bindings, transaction)
            .await
            .map_err(sdk_error)?;
        return Ok(SurrealResponse::from_statements(results));
    }
    let select = matches!(operation, Operation::Select(_));
    let (sql, variables, shape) = statement(operation)?;
    let bindings = Some(Value::Object(variables));
    // Outside a transaction, a write that loses a conflict runs again
    // (inside one, the conflict is the transaction's).
    let attempts = if transaction.is_none() {
        CONFLICT_ATTEMPTS
    } else {
        1
    };
    let mut attempt = 1;
    let output = loop {
        let outcome = session
            .query_outputs(sql.clone(), bindings.clone(), transaction)
            .await
            .and_then(single);
        match outcome {
            Err(error) if attempt < attempts && is_conflict(&error) => attempt += 1,
            Err(error) if select && is_missing_table(&error) => {
                break Output::Value(Value::Array(Default::default()))
            }
            Err(error) => return Err(sdk_error(error)),
            Ok(output) => break output,
        }
    };
    let output = match shape {
        Shape::Value => output,
        Shape::Records => match output {
            Output::Value(Value::Array(records)) => Output::Value(Value::Array(records)),
            Output::Value(Value::None) => Output::Value(Value::Array(Default::default())),
            Output::Value(record) => Output::Value(Value::Array(vec![record].into())),
            Output::Cbor(item) => Output::Cbor(crate::cbor::as_array(item)),
        },
    };
    Ok(SurrealResponse::from_statements(vec![Ok(output)]))
}

/// How a verb's statement result becomes its answer.
enum Shape {
    Value,
    /// Always an array of records (insert).
    Records,
}

/// The statement of a record verb, its variables, and its answer's shape.
fn statement(operation: Operation) -> FfiResult<(String, Object, Shape)> {
    let mut variables = Object::new();
    let (sql, shape) = match operation {
        Operation::Select(resource) => {
            let what = bind(&mut variables, resource)?;
            (format!("SELECT * FROM {what}"), Shape::Value)
        }
        Operation::Create(resource, data) => {
            let what = bind(&mut variables, resource)?;
            (
                with_content(&mut variables, format!("CREATE {what}"), data),
                Shape::Value,
            )
        }
        Operation::Upsert(resource, data) => {
            let what = bind(&mut variables, resource)?;
            (
                with_content(&mut variables, format!("UPSERT {what}"), data),
                Shape::Value,
            )
        }
        Operation::Update(resource, data) => {
            let what = bind(&mut variables, resource)?;
            (
                with_content(&mut variables, format!("UPDATE {what}"), data),
                Shape::Value,
            )
        }
        Operation::Merge(resource, data) => {
            let what = bind(&mut variables, resource)?;
            variables.insert("_data".to_owned(), data);
            (format!("UPDATE {what} MERGE $_data"), Shape::Value)
        }
        Operation::Patch(resource, operations) => {
            let what = bind(&mut variables, resource)?;
            let patches: Vec<Value> = operations.into_iter().map(Value::from).collect();
            variables.insert("_patches".to_owned(), Value::Array(patches.into()));
            (
                format!("UPDATE {what} PATCH $_patches RETURN AFTER"),
                Shape::Value,
            )
        }
        Operation::Delete(resource) => {
            let what = bind(&mut variables, resource)?;
            (format!("DELETE FROM {what} RETURN BEFORE"), Shape::Value)
        }
        Operation::Insert(table, data) => {
            variables.insert("_table".to_owned(), Value::Table(table.into()));
            let sql = if matches!(data, Value::Array(_)) {
                "INSERT INTO $_table $_data"
            } else {
                "CREATE $_table CONTENT $_data"
            };
            variables.insert("_data".to_owned(), data);
            (sql.to_owned(), Shape::Records)
        }
        Operation::InsertRelation(table, data) => {
            variables.insert("_table".to_owned(), Value::Table(table.into()));
            variables.insert("_data".to_owned(), data);
            (
                "INSERT RELATION INTO $_table $_data".to_owned(),
                Shape::Records,
            )
        }
        Operation::Relate {
            from,
            edge,
            to,
            data,
        } => {
            let (sql, relate_variables) = relate_statement(from, edge, to, data);
            variables = relate_variables;
            (sql.to_owned(), Shape::Value)
        }
        other => {
            return Err(FfiError::internal(format!(
                "{} is not a query or record verb",
                other.name()
            )))
        }
    };
    Ok((sql, variables, shape))
}

/// Binds a resource as the SDK does: answers the variable that names it.
fn bind(variables: &mut Object, resource: Resource) -> FfiResult<&'static str> {
    let (variable, value) = match resource {
        Resource::Table(table) => ("$_table", Value::Table(table)),
        Resource::RecordId(id) => ("$_record_id", Value::RecordId(id)),
        Resource::Object(object) => ("$_object", Value::Object(object)),
        Resource::Array(array) => ("$_array", Value::Array(array.into())),
        Resource::Range(range) => (
            "$_range",
            Value::RecordId(RecordId::new(
                range.table,
                RecordIdKey::Range(Box::new(range.range)),
            )),
        ),
        _ => {
            return Err(FfiError::invalid_argument(
                "this kind of resource is not supported over a server connection",
            ))
        }
    };
    variables.insert(variable[1..].to_owned(), value);
    Ok(variable)
}

/// `statement CONTENT $_content`, or the statement alone when `data` is NONE.
fn with_content(variables: &mut Object, statement: String, data: Value) -> String {
    if data.is_none() {
        return statement;
    }
    variables.insert("_content".to_owned(), data);
    format!("{statement} CONTENT $_content")
}

/// The one statement's result.
fn single<T: From<Value>>(mut results: Vec<surrealdb::Result<T>>) -> surrealdb::Result<T> {
    match results.len() {
        0 => Ok(T::from(Value::None)),
        1 => results.remove(0),
        _ => Err(surrealdb::Error::internal(
            "the server answered one statement with several results".to_owned(),
        )),
    }
}

/// The value of an answer to a method other than `query`.
fn other(answer: surrealdb::Result<DbResult>) -> FfiResult<Value> {
    match answer.map_err(sdk_error)? {
        DbResult::Other(value) => Ok(value),
        DbResult::Query(_) | DbResult::Live(_) => Err(FfiError::internal(
            "the server answered with query results where it should have answered a value",
        )),
    }
}

/// The access and refresh tokens a sign-in, sign-up or refresh answered;
/// its failure as an authentication error.
fn tokens_answered(answer: surrealdb::Result<DbResult>) -> FfiResult<(Value, Option<Value>)> {
    let without = || FfiError::internal("the server answered without a token");
    match answer.map_err(auth_error)? {
        DbResult::Other(value) => tokens_of(value).ok_or_else(without),
        _ => Err(without()),
    }
}

/// Credentials as SurrealDB's `signin` takes them.
fn credentials_value(credentials: Auth) -> Value {
    match credentials {
        Auth::Root(c) => c.into_value(),
        Auth::Namespace(c) => c.into_value(),
        Auth::Database(c) => c.into_value(),
        Auth::Record(c) => c.into_value(),
        Auth::Bearer(c) => c.into_value(),
    }
}
