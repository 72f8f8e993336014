//! The SDK handle a session runs on: over a datastore this crate opened
//! (`mem://`, `rocksdb://`, `surrealkv://`), or over a connection to a
//! SurrealDB server (`ws://`, `wss://`, `grpc://`, `grpcs://`, `http://`,
//! `https://`).
//!
//! The SDK gives both the same methods, with the engine as a type parameter;
//! [`on_client!`] runs one generic expression on whichever this is, so that
//! every operation is written once. A WebSocket or gRPC connection (`ws://`,
//! `wss://`, `grpc://`, `grpcs://`) is this crate's own RPC client instead
//! (`rpc/`), which the macro's third arm names.

use surrealdb::engine::any::Any;
use surrealdb::engine::local::Db;
use surrealdb::method::Transaction;
use surrealdb::Surreal;

use crate::rpc;

/// A session's handle.
pub enum Client {
    Local(Surreal<Db>),
    /// An HTTP connection, through the SDK.
    Remote(Surreal<Any>),
    /// A WebSocket or gRPC connection, through this crate's RPC client.
    Rpc(rpc::Session),
}

/// An open transaction of a [`Client`].
pub enum ClientTransaction {
    Local(Transaction<Db>),
    Remote(Transaction<Any>),
    Rpc(rpc::Transaction),
}

/// `on_client!(client, db => expression, session => rpc_expression)`: the
/// expression with `db` bound to the `Surreal<Db>` or the `Surreal<Any>`
/// inside `client` (by value or by reference), or the second with `session`
/// bound to its RPC session.
macro_rules! on_client {
    ($client:expr, $db:ident => $body:expr, $session:ident => $rpc:expr) => {
        match $client {
            $crate::client::Client::Local($db) => $body,
            $crate::client::Client::Remote($db) => $body,
            $crate::client::Client::Rpc($session) => $rpc,
        }
    };
}

pub(crate) use on_client;

impl Client {
    /// Begins a transaction. Over the SDK, on a new session cloned from this
    /// one (the SDK's begin consumes its handle).
    pub async fn begin(&self) -> surrealdb::Result<ClientTransaction> {
        match self {
            Client::Local(db) => db.clone().begin().await.map(ClientTransaction::Local),
            Client::Remote(db) => db.clone().begin().await.map(ClientTransaction::Remote),
            Client::Rpc(session) => session.begin().await.map(ClientTransaction::Rpc),
        }
    }

    /// Commits or cancels one of this session's transactions.
    pub async fn finish(
        &self,
        transaction: ClientTransaction,
        commit: bool,
    ) -> surrealdb::Result<()> {
        match (transaction, commit) {
            (ClientTransaction::Local(tx), true) => tx.commit().await.map(|_| ()),
            (ClientTransaction::Local(tx), false) => tx.cancel().await.map(|_| ()),
            (ClientTransaction::Remote(tx), true) => tx.commit().await.map(|_| ()),
            (ClientTransaction::Remote(tx), false) => tx.cancel().await.map(|_| ()),
            (ClientTransaction::Rpc(tx), commit) => match self {
                Client::Rpc(session) => session.finish(tx, commit).await,
                _ => Err(surrealdb::Error::internal(
                    "a server transaction finished on another kind of session".to_owned(),
                )),
            },
        }
    }
}
