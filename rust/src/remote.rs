//! SurrealDB servers: connecting over WebSocket or HTTP, and what differs
//! from a datastore this crate opens.
//!
//! TLS (`wss://`, `https://`) goes through the system's OpenSSL, by the
//! SDK's `native-tls` feature: it trusts the system's certificate store
//! (`/etc/ssl/certs`, kept by Debian's `ca-certificates`), gets the
//! distribution's security updates, and adds no TLS library to the build.
//! A `ca_file` connect option adds certificates to trust, for a server whose
//! certificate a private authority signed.

use std::ops::Bound;
use std::path::Path;

use surrealdb::engine::any::{self, Any};
use surrealdb::opt::{Config, Resource};
use surrealdb::types::{RecordIdKey, Value};
use surrealdb::Surreal;

use crate::error::{FfiError, FfiResult};
use crate::operation::Operation;

/// Connects to the server at `url`. Over TLS, trusts the system's
/// certificates and those in `ca_file`.
pub async fn connect(url: &str, ca_file: Option<&Path>) -> Result<Surreal<Any>, String> {
    let mut config = Config::new();
    // Always OpenSSL: the SDK would otherwise leave the choice to its
    // HTTP client, whose default is rustls with a built-in root store.
    if let Some(connector) = tls_connector(url, ca_file)? {
        config = config.native_tls(connector);
    }
    any::connect((url, config))
        .await
        .map_err(|error| error.message().to_owned())
}

/// The TLS connector for `url`: None unless it is `wss://` or `https://`.
pub fn tls_connector(
    url: &str,
    ca_file: Option<&Path>,
) -> Result<Option<native_tls::TlsConnector>, String> {
    if url.starts_with("wss://") || url.starts_with("https://") {
        connector(ca_file).map(Some)
    } else if ca_file.is_some() {
        Err("'ca_file' is for wss:// and https:// endpoints".to_owned())
    } else {
        Ok(None)
    }
}

/// An OpenSSL connector trusting the system's certificates, and those in
/// `ca_file` (PEM, one or more).
fn connector(ca_file: Option<&Path>) -> Result<native_tls::TlsConnector, String> {
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(path) = ca_file {
        let pem = std::fs::read(path)
            .map_err(|error| format!("cannot read the CA file {}: {error}", path.display()))?;
        let certificates = native_tls::Certificate::stack_from_pem(&pem)
            .ok()
            .filter(|certificates| !certificates.is_empty())
            .ok_or_else(|| format!("the CA file {} holds no PEM certificate", path.display()))?;
        for certificate in certificates {
            builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(|error| error.to_string())
}

/// Refuses, before it is sent, a value SurrealDB's wire format cannot carry:
/// a duration of more than `i64::MAX` seconds (the engine's own durations go
/// to `u64::MAX`). The SDK's clients do not fail such a request; its
/// WebSocket router panics on it and the connection is gone.
pub fn check_sendable(operation: &Operation) -> FfiResult<()> {
    let mut values: Vec<&Value> = Vec::new();
    let mut keys: Vec<&RecordIdKey> = Vec::new();
    match operation {
        Operation::Query { bindings, .. } | Operation::Live { bindings, .. } => {
            values.extend(bindings.iter())
        }
        Operation::Create(resource, data)
        | Operation::Upsert(resource, data)
        | Operation::Update(resource, data)
        | Operation::Merge(resource, data) => {
            keys.extend(resource_key(resource));
            values.push(data);
        }
        Operation::Select(resource) | Operation::Delete(resource) => {
            keys.extend(resource_key(resource))
        }
        Operation::Insert(_, data) | Operation::InsertRelation(_, data) => values.push(data),
        Operation::Relate { from, to, data, .. } => values.extend([from, to, data]),
        Operation::Run(_, arguments) => values.extend(arguments.iter()),
        Operation::Set(_, value) => values.push(value),
        _ => {}
    }
    let too_long = values
        .into_iter()
        .find_map(too_long_duration)
        .or_else(|| keys.into_iter().find_map(key_too_long_duration));
    match too_long {
        Some(seconds) => Err(FfiError::invalid_argument(format!(
            "{}: a duration of {seconds} s is longer than a server connection carries \
             ({} s at most)",
            operation.name(),
            i64::MAX
        ))),
        None => Ok(()),
    }
}

fn resource_key(resource: &Resource) -> Option<&RecordIdKey> {
    match resource {
        Resource::RecordId(id) => Some(&id.key),
        _ => None,
    }
}

/// The seconds of the first duration in `value` longer than the wire carries.
fn too_long_duration(value: &Value) -> Option<u64> {
    match value {
        Value::Duration(duration) => {
            let seconds = duration.as_secs();
            (i64::try_from(seconds).is_err()).then_some(seconds)
        }
        Value::Array(items) => items.iter().find_map(too_long_duration),
        Value::Set(items) => items.iter().find_map(too_long_duration),
        Value::Object(fields) => fields.values().find_map(too_long_duration),
        Value::RecordId(id) => key_too_long_duration(&id.key),
        Value::Range(range) => [range.start.as_ref(), range.end.as_ref()]
            .into_iter()
            .find_map(|bound| bound_value(bound).and_then(too_long_duration)),
        _ => None,
    }
}

fn key_too_long_duration(key: &RecordIdKey) -> Option<u64> {
    match key {
        RecordIdKey::Array(items) => items.iter().find_map(too_long_duration),
        RecordIdKey::Object(fields) => fields.values().find_map(too_long_duration),
        RecordIdKey::Range(range) => [range.start.as_ref(), range.end.as_ref()]
            .into_iter()
            .find_map(|bound| bound_value(bound).and_then(key_too_long_duration)),
        _ => None,
    }
}

fn bound_value<T>(bound: Bound<&T>) -> Option<&T> {
    match bound {
        Bound::Included(value) | Bound::Excluded(value) => Some(value),
        Bound::Unbounded => None,
    }
}
