//! The SDK handle a session runs on: over a datastore this crate opened
//! (`mem://`, `rocksdb://`, `surrealkv://`), or over a connection to a
//! SurrealDB server (`ws://`, `wss://`, `http://`, `https://`).
//!
//! The SDK gives both the same methods, with the engine as a type parameter;
//! [`on_client!`] runs one generic expression on whichever this is, so that
//! every operation is written once.

use surrealdb::engine::any::Any;
use surrealdb::engine::local::Db;
use surrealdb::method::Transaction;
use surrealdb::Surreal;

/// A session's SDK handle. Cloning it makes a new session with the same
/// state (namespace, database, authentication, parameters), as the SDK's
/// own clone does.
#[derive(Clone)]
pub enum Client {
    Local(Surreal<Db>),
    Remote(Surreal<Any>),
}

/// An open transaction of a [`Client`].
pub enum ClientTransaction {
    Local(Transaction<Db>),
    Remote(Transaction<Any>),
}

/// `on_client!(client, db => expression)`: the expression with `db` bound to
/// the `Surreal<Db>` or the `Surreal<Any>` inside `client` (a `Client` or a
/// `ClientTransaction`, by value or by reference).
macro_rules! on_client {
    ($client:expr, $db:ident => $body:expr) => {
        match $client {
            $crate::client::Client::Local($db) => $body,
            $crate::client::Client::Remote($db) => $body,
        }
    };
}

/// As [`on_client!`], for a [`ClientTransaction`].
macro_rules! on_transaction {
    ($transaction:expr, $tx:ident => $body:expr) => {
        match $transaction {
            $crate::client::ClientTransaction::Local($tx) => $body,
            $crate::client::ClientTransaction::Remote($tx) => $body,
        }
    };
}

pub(crate) use {on_client, on_transaction};

impl Client {
    /// Begins a transaction on a new session cloned from this one (the SDK's
    /// begin consumes its handle).
    pub async fn begin(&self) -> surrealdb::Result<ClientTransaction> {
        match self.clone() {
            Client::Local(db) => db.begin().await.map(ClientTransaction::Local),
            Client::Remote(db) => db.begin().await.map(ClientTransaction::Remote),
        }
    }
}

impl ClientTransaction {
    pub async fn commit(self) -> surrealdb::Result<()> {
        on_transaction!(self, tx => tx.commit().await.map(|_| ()))
    }

    pub async fn cancel(self) -> surrealdb::Result<()> {
        on_transaction!(self, tx => tx.cancel().await.map(|_| ()))
    }
}
