//! The object behind `SurrealResponse*`: one outcome per statement.

use std::borrow::Cow;

use surrealdb::types::{SurrealValue, Value};
use surrealdb::IndexedResults;

use crate::cbor::{CborWriter, TooDeep};
use crate::convert::JsonValue;
use crate::error::{
    FfiError, FfiResult, SURREAL_ERR_AUTHENTICATION, SURREAL_ERR_CONNECTION, SURREAL_ERR_INTERNAL,
    SURREAL_ERR_QUERY, SURREAL_ERR_TRANSACTION_CONFLICT,
};

/// Maps an SDK error to a status code, keeping SurrealDB's own message and
/// the error itself (its kind, details and cause).
pub fn sdk_error(error: surrealdb::Error) -> FfiError {
    let error = classify(error);
    let code = if error.is_connection() {
        SURREAL_ERR_CONNECTION
    } else if is_conflict(&error) {
        SURREAL_ERR_TRANSACTION_CONFLICT
    } else if error.is_not_allowed() {
        SURREAL_ERR_AUTHENTICATION
    } else {
        SURREAL_ERR_QUERY
    };
    FfiError::from_surreal(code, error)
}

/// SurrealDB's error with the kind it should have had: a unique index that
/// already holds the value is reported as `Internal` (surrealdb-core's
/// `IndexExists` maps to no kind), but it is the same mistake as a record
/// id that exists, so it becomes `AlreadyExists`, keeping its message and
/// cause.
pub fn classify(error: surrealdb::Error) -> surrealdb::Error {
    let message = error.message();
    if error.is_internal()
        && message.starts_with("Database index `")
        && message.contains("` already contains ")
    {
        let mut reclassified = surrealdb::Error::already_exists(message.to_owned(), None);
        if let Some(cause) = error.cause() {
            reclassified = reclassified.with_cause(cause.clone());
        }
        return reclassified;
    }
    error
}

/// A KILL of a live query the datastore no longer has (surrealdb-core's
/// `KillStatement` error, which has no kind of its own on the wire).
pub fn is_unknown_live_query(error: &surrealdb::Error) -> bool {
    error
        .message()
        .starts_with("Cannot execute KILL statement using id")
}

/// A transaction conflict, which SurrealDB reports as safe to retry:
/// nothing of the transaction that lost it was committed.
pub fn is_conflict(error: &surrealdb::Error) -> bool {
    matches!(
        error.query_details(),
        Some(surrealdb::types::QueryError::TransactionConflict)
    ) || error.message().contains("This transaction can be retried")
}

fn too_deep(error: TooDeep) -> FfiError {
    error.into_error(SURREAL_ERR_INTERNAL, "the result")
}

/// The object behind `SurrealResponse*`: the outcome of each statement of a
/// query, or the single result of a record operation. Immutable once made,
/// except that [`SurrealResponse::take_results_cbor`] moves the values out.
pub struct SurrealResponse {
    statements: Vec<Result<Output, surrealdb::Error>>,
}

/// A statement's result.
pub enum Output {
    Value(Value),
    /// Encoded already, in `crate::cbor`'s encoding (a server's answer read
    /// in place: rpc/transcode.rs).
    Cbor(Vec<u8>),
}

impl From<Value> for Output {
    fn from(value: Value) -> Self {
        Output::Value(value)
    }
}

impl SurrealResponse {
    pub fn single(value: Value) -> Self {
        Self {
            statements: vec![Ok(Output::Value(value))],
        }
    }

    pub fn from_query(mut results: IndexedResults) -> Self {
        // Results are keyed by statement index. KILL statements leave a gap,
        // which `take` fills with NONE, so walk the indices until none remain.
        let mut statements = Vec::with_capacity(results.num_statements());
        let mut index = 0;
        while results.num_statements() > 0 {
            statements.push(
                results
                    .take::<Value>(index)
                    .map(Output::Value)
                    .map_err(classify),
            );
            index += 1;
        }
        Self { statements }
    }

    /// The outcome of each statement, in order, as a server answered them.
    pub fn from_statements(statements: Vec<Result<Output, surrealdb::Error>>) -> Self {
        let statements = statements
            .into_iter()
            .map(|statement| statement.map_err(classify))
            .collect();
        Self { statements }
    }

    pub fn has_errors(&self) -> bool {
        self.statements.iter().any(Result::is_err)
    }

    /// A JSON array with one entry per statement: its result, or null where
    /// the statement failed.
    pub fn results_json(&self) -> FfiResult<String> {
        let results = self
            .statements
            .iter()
            .map(|statement| match statement {
                Ok(Output::Value(value)) => Ok(Cow::Borrowed(value)),
                Ok(Output::Cbor(bytes)) => crate::cbor::decode(bytes, "the result").map(Cow::Owned),
                Err(_) => Ok(Cow::Owned(Value::Null)),
            })
            .collect::<FfiResult<Vec<Cow<'_, Value>>>>()?;
        let values: Vec<JsonValue<'_>> = results.iter().map(|value| JsonValue(value)).collect();
        serde_json::to_string(&values)
            .map_err(|e| FfiError::internal(format!("cannot render the results as JSON: {e}")))
    }

    /// A CBOR array with one item per statement: its result, or NONE where
    /// the statement failed.
    pub fn results_cbor(&self) -> FfiResult<Vec<u8>> {
        statements_cbor(&self.statements, |writer, statement| match statement {
            Ok(Output::Value(value)) => writer.value(value),
            Ok(Output::Cbor(bytes)) => {
                writer.encoded(bytes);
                Ok(())
            }
            Err(_) => writer.none(),
        })
    }

    /// Like `results_cbor`, but moves each result out as it is encoded and
    /// drops it (an array's items one by one), so the values and their
    /// encoding are never both held in full. Afterwards every result is
    /// NONE; the errors stay. On error (a result nested too deep to encode)
    /// the results up to the failing one are NONE already.
    pub fn take_results_cbor(&mut self) -> FfiResult<Vec<u8>> {
        statements_cbor(&mut self.statements, |writer, statement| match statement {
            Ok(output) => match std::mem::replace(output, Output::Value(Value::None)) {
                Output::Value(value) => writer.value_owned(value),
                Output::Cbor(bytes) => {
                    writer.encoded(&bytes);
                    Ok(())
                }
            },
            Err(_) => writer.none(),
        })
    }

    /// A JSON array with one entry per statement: its error text, or null
    /// where the statement succeeded.
    pub fn errors_json(&self) -> FfiResult<String> {
        let errors: Vec<Option<&str>> = self
            .statements
            .iter()
            .map(|statement| statement.as_ref().err().map(surrealdb::Error::message))
            .collect();
        serde_json::to_string(&errors)
            .map_err(|e| FfiError::internal(format!("cannot render the errors as JSON: {e}")))
    }

    /// A CBOR array with one item per statement: NONE where it succeeded,
    /// else its error as `FfiError::structured` describes it (SurrealDB's
    /// code, message, kind, details and cause).
    pub fn errors_cbor(&self) -> FfiResult<Vec<u8>> {
        statements_cbor(&self.statements, |writer, statement| match statement {
            Ok(_) => writer.none(),
            Err(error) => writer.value_owned(error.clone().into_value()),
        })
    }
}

/// A CBOR array with one item per statement, each written by `item`.
fn statements_cbor<I>(
    statements: I,
    mut item: impl FnMut(&mut CborWriter<'_>, I::Item) -> Result<(), TooDeep>,
) -> FfiResult<Vec<u8>>
where
    I: IntoIterator,
    I::IntoIter: ExactSizeIterator,
{
    let statements = statements.into_iter();
    let mut out = Vec::new();
    let mut writer = CborWriter::new(&mut out);
    writer.begin_array(statements.len()).map_err(too_deep)?;
    for statement in statements {
        item(&mut writer, statement).map_err(too_deep)?;
    }
    writer.end_array();
    Ok(out)
}
